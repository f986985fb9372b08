"""The end of the report flow: the summary to confirm, the parts that can be changed, and the receipt - the
tracking code, the unit that will handle it and the due date in words (and, for a denunciation, the way to make
it formal)."""

from __future__ import annotations

from bot.channels.model import Choice
from bot.domain.cases import CaseKind
from bot.domain.intake import TRIAGE, Step
from bot.domain.matching import parse_yes_no
from bot.services.abuse import DailyLimit
from bot.services.drafts import OpenDraft
from bot.services.track_links import receipt_link
from handlers import denunciation, evidence, where
from handlers.base import Turn
from handlers.common import show_menu
from handlers.drafting import FLOW, Answer, NotAnAnswer, Outcome, day_words


def summary(turn: Turn, draft: OpenDraft) -> str:
    t, facts, org, lang = turn.t, draft.facts, turn.services.org, turn.state.language
    kind = facts.case_kind or CaseKind.REPORT
    lines = [t("report.summary"), t("report.summary_kind", kind=t(f"report.kind.{_triage_key(kind)}"))]
    if kind is CaseKind.DENUNCIATION:
        lines.append(t("report.summary_accused", unit=denunciation.unit_name(turn, facts.accused_unit)))
    else:
        category = org.categories.get(facts.category or "")
        lines.append(t("report.summary_category", category=category.name(lang) if category else t("report.place_none")))
        lines.append(t("report.summary_place", place=where.place_label(turn, facts.area or facts.ward)))
    if kind is CaseKind.COMPLAINT:
        lines.append(t("report.summary_decision", decision=facts.decision))
        learned = day_words(facts.learned_on) if facts.learned_on else t("report.learned_unknown")
        lines.append(t("report.summary_learned", day=learned))
    if facts.text:
        lines.append(t("report.summary_text", text=facts.text))
    lines.append(t("report.summary_evidence", evidence=evidence_words(turn, draft)))
    unit = turn.services.drafts.handling_unit(draft, turn.now)
    lines.append(t("report.summary_unit", unit=unit.name(lang)))
    return "\n".join(lines)


def evidence_words(turn: Turn, draft: OpenDraft) -> str:
    t, facts = turn.t, draft.facts
    parts = [t(f"report.count.{kind}", count=facts.media[kind]) for kind in ("photo", "voice", "document")
             if facts.media.get(kind)]
    if facts.lat is not None:
        parts.append(t("report.count.location"))
    return ", ".join(parts) if parts else t("report.place_none")


def _triage_key(kind: CaseKind) -> str:
    return next((key for key, value in TRIAGE.items() if value is kind), "report")


def ask_confirm(turn: Turn, draft: OpenDraft) -> None:
    t = turn.t
    turn.say(summary(turn, draft), [Choice("send", t("report.send")), Choice("change", t("report.change")),
                                    Choice("discard", t("report.discard"))])


async def on_confirm(turn: Turn, draft: OpenDraft) -> Answer:
    yes_no = parse_yes_no(turn.text) if turn.choice is None and turn.text else None
    if turn.choice == "send" or yes_no is True:
        await submit(turn, draft)
        return Outcome.DONE
    if turn.choice == "change" or yes_no is False:
        turn.goto(FLOW, Step.CHANGE.value)
        ask_change(turn, draft)
        return Outcome.STAY
    if turn.choice == "discard":
        await turn.services.drafts.discard(turn.inbound.channel, turn.inbound.chat_id)
        turn.finish()
        turn.say(turn.t("common.cancelled"))
        await show_menu(turn)
        return Outcome.DONE
    return NotAnAnswer()


CHANGES = {
    CaseKind.COMPLAINT: ("words", "kind", "decision", "learned", "place", "category", "evidence", "back"),
    CaseKind.DENUNCIATION: ("words", "kind", "accused", "evidence", "back"),
}
DEFAULT_CHANGES = ("words", "kind", "place", "category", "evidence", "back")


def ask_change(turn: Turn, draft: OpenDraft) -> None:
    t = turn.t
    keys = CHANGES.get(draft.facts.case_kind or CaseKind.REPORT, DEFAULT_CHANGES)
    turn.say(t("report.ask_change"), [Choice(key, t(f"report.change.{key}")) for key in keys])


async def on_change(turn: Turn, draft: OpenDraft) -> Answer:
    facts, choice = draft.facts, turn.choice
    if choice == "words":
        turn.state.data["rewrite"] = True
        turn.goto(FLOW, Step.CONTENT.value)
        turn.say(turn.t("report.ask_rewrite", text=facts.text or turn.t("report.place_none")))
        return Outcome.STAY
    if choice == "evidence":
        facts.evidence_done = False
        turn.goto(FLOW, Step.EVIDENCE.value)
        evidence.ask_evidence(turn, draft)
        return Outcome.STAY
    if choice == "kind":
        facts.kind = None
    elif choice == "place":
        facts.ward = facts.area = facts.guess = None
        facts.place_skipped = facts.area_skipped = False
        facts.no_guess = True
    elif choice == "category":
        facts.category = None
        turn.state.data["all_categories"] = True
    elif choice == "decision":
        facts.decision = ""
    elif choice == "learned":
        facts.learned_on, facts.learned_unknown = None, False
    elif choice == "accused":
        facts.accused_unit = None
    elif choice != "back":
        return NotAnAnswer()
    return Outcome.MOVED


async def submit(turn: Turn, draft: OpenDraft) -> None:
    t, facts = turn.t, draft.facts
    kind = facts.case_kind or CaseKind.REPORT
    try:
        receipt = await turn.services.drafts.submit(
            draft, citizen_id=turn.actor.citizen_id, identity_id=turn.actor.identity_id,
            language=turn.state.language, now=turn.now, origin=turn.inbound.origin,
        )
    except DailyLimit as limit:  # the draft stays; tomorrow it can be sent
        turn.say(t("report.daily_limit", limit=limit.limit))
        return
    turn.finish()
    app = turn.services.app
    link = receipt_link(app.track_links, app.public_base_url, receipt.code)
    # The PIN and the link are shown once: every stored copy of this message masks them once it is sent.
    turn.say(t("report.received", what=t(f"report.what.{_triage_key(kind)}"), code=receipt.code, pin=receipt.pin,
               unit=receipt.unit.name(turn.state.language), due=t.due(receipt.due_at, app.tz), link=link),
             secrets=(receipt.pin, link))
    if kind is CaseKind.DENUNCIATION:
        denunciation.formal_steps(turn, receipt, facts.accused_unit, facts.text)
        # The raw messages of this chat carry the sender's profile: wipe them once they are all handled.
        await turn.services.privacy.forget_messages_later(turn.inbound.channel, turn.inbound.chat_id, turn.now)
    await show_menu(turn)
