"""The citizen's report flow: from whatever they send first to a tracking code, asking only what is missing.

Any first message - words, a photo, a voice note, a location - starts a draft (kept in the database); one
plain-language question sorts it (a question / a problem or proposal / a complaint / a denunciation); then the
draft's facts decide the next question (bot.domain.intake.next_step): where, what, a complaint's decision and
date, a denunciation's unit, evidence, and a summary to confirm. Words that do not answer the question are
never lost: within 30 seconds they continue the description, later they are added to it. Steps are drawn in
report.mmd; the place, category, complaint, denunciation, evidence and summary steps live in their own modules
(where, category, complaint, denunciation, evidence, summary).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ClassVar

from bot.channels.model import Choice
from bot.domain.cases import MAX_DESCRIPTION
from bot.domain.intake import TRIAGE, Step, TooLong, replace_words
from bot.services.drafts import OpenDraft, excerpt
from handlers import category, complaint, denunciation, evidence, summary, where
from handlers.base import Turn
from handlers.common import cancel, show_menu
from handlers.drafting import (
    FLOW,
    Answer,
    Content,
    NotAnAnswer,
    Outcome,
    compact,
    content_of,
    keep_words,
)

Ask = Callable[[Turn, OpenDraft], None]
Read = Callable[[Turn, OpenDraft], Awaitable[Answer]]


class ReportFlow:
    name: ClassVar[str] = FLOW
    states: ClassVar[tuple[str, ...]] = tuple(step.value for step in Step)

    async def begin(self, turn: Turn) -> None:
        """/report or the menu: continue an unfinished draft, or ask what happened."""
        start = len(turn.replies)
        if turn.actor.citizen_id is None:
            turn.say(turn.t("report.citizens_only"))
            return
        existing = await turn.services.drafts.of_chat(turn.inbound.channel, turn.inbound.chat_id)
        if existing is not None:
            turn.goto(FLOW, Step.RESUME.value)
            turn.state.data["pending"] = []
            ask_resume(turn, existing)
        else:
            turn.goto(FLOW, Step.CONTENT.value)
            ask_content(turn, None)
        compact(turn, start)

    async def handle(self, turn: Turn) -> None:
        start = len(turn.replies)
        await self._handle(turn)
        compact(turn, start)

    async def ask_again(self, turn: Turn) -> bool:
        """The current question once more, as it was asked (after a language switch: in the new language)."""
        step = _current(turn)
        if step is None:
            return False
        draft = await turn.services.drafts.of_chat(turn.inbound.channel, turn.inbound.chat_id)
        if draft is None or step is Step.CONTENT:  # not started yet, or the draft is gone meanwhile
            turn.goto(FLOW, Step.CONTENT.value)
            ask_content(turn, draft)
        else:
            ASK[step](turn, draft)
        return True

    async def _handle(self, turn: Turn) -> None:
        step = _current(turn) or Step.CONTENT
        if step is Step.RESUME:
            await on_resume(turn)
            return
        drafts = turn.services.drafts
        draft = await drafts.of_chat(turn.inbound.channel, turn.inbound.chat_id)
        content = content_of(turn.inbound)
        if draft is None:  # not started yet (the menu's "report"), or dropped after a week untouched
            if step is not Step.CONTENT:
                turn.say(turn.t("report.draft_gone"))
            if content is None:
                turn.goto(FLOW, Step.CONTENT.value)
                ask_content(turn, None)
            else:
                await start_draft(turn, [content])
            return
        if content is not None and content.kind != "text":
            await evidence.take(turn, draft, content)
            if step is Step.EVIDENCE:  # more may follow: stay until the citizen says they are done
                await drafts.save(draft, turn.now, turn.state.language)
                evidence.ask_evidence(turn, draft)
            else:
                await proceed(turn, draft)
            return
        if turn.stale_choice:
            turn.say(turn.t("common.stale_choice"))
            await proceed(turn, draft, again=step if step in ON_REQUEST else None)
            return
        answer = await READ[step](turn, draft)
        if answer is Outcome.MOVED:
            await proceed(turn, draft)
        elif answer is Outcome.STAY:
            await drafts.save(draft, turn.now, turn.state.language)
        elif isinstance(answer, NotAnAnswer):
            await not_an_answer(turn, draft, answer)


# --- moving on ----------------------------------------------------------------------------------------------

# Steps the citizen asks for (to change something, to add evidence): they are asked again, not skipped,
# when a message does not answer them.
ON_REQUEST = frozenset({Step.CHANGE, Step.EVIDENCE})


async def proceed(turn: Turn, draft: OpenDraft, *, again: Step | None = None) -> None:
    """Read the words again, save, and ask the first thing the draft still lacks (or `again`)."""
    drafts = turn.services.drafts
    turn.state.data.pop("rewrite", None)
    drafts.understand(draft)
    step = again or drafts.next_step(draft)
    await drafts.save(draft, turn.now, turn.state.language)
    turn.goto(FLOW, step.value)
    ASK[step](turn, draft)


async def not_an_answer(turn: Turn, draft: OpenDraft, answer: NotAnAnswer) -> None:
    """Words that answer nothing are kept: a quick follow-up continues the description, a later one is added
    to it; either way the citizen is told, and the question comes again."""
    t = turn.t
    if turn.text:
        continued = keep_words(turn, draft, turn.text)
        if continued:
            turn.say(t("report.added_quick"))
        elif continued is False:
            turn.say(answer.hint or t("report.not_an_answer"))
            turn.say(t("report.words_kept"))
    else:
        turn.say(answer.hint or t("common.choose_from_list"))
    await proceed(turn, draft, again=_current(turn) if _current(turn) in ON_REQUEST else None)


def _current(turn: Turn) -> Step | None:
    return Step(turn.state.step) if turn.state.step in ReportFlow.states else None


async def start_draft(turn: Turn, contents: list[Content]) -> None:
    """Start a case from what the citizen sent (the menu, after consent, or an expired draft)."""
    start = len(turn.replies)
    if turn.actor.citizen_id is None:
        turn.say(turn.t("report.citizens_only"))
        return
    drafts = turn.services.drafts
    existing = await drafts.of_chat(turn.inbound.channel, turn.inbound.chat_id)
    if existing is not None:
        turn.goto(FLOW, Step.RESUME.value)
        turn.state.data["pending"] = [c.to_json() for c in contents]
        ask_resume(turn, existing)
    else:
        draft = await drafts.start(turn.inbound.channel, turn.inbound.chat_id, turn.actor.citizen_id,
                                   turn.state.language, turn.now)
        turn.goto(FLOW, Step.CONTENT.value)
        for content in contents:
            await evidence.take(turn, draft, content, into="text" if content.kind == "text" else None)
        await proceed(turn, draft)
    compact(turn, start)


async def cancel_with_draft(turn: Turn) -> None:
    """/cancel: the chat's unfinished draft (and its evidence) is dropped too, wherever the citizen is."""
    dropped = await turn.services.drafts.discard(turn.inbound.channel, turn.inbound.chat_id)
    if not dropped:
        await cancel(turn)
        return
    turn.finish()
    turn.say(turn.t("common.cancelled"))
    await show_menu(turn)


# --- content, resume, kind, describe ------------------------------------------------------------------------

def ask_content(turn: Turn, draft: OpenDraft | None) -> None:
    turn.say(turn.t("report.ask_content"), request="location", request_label=turn.t("report.share_location"))


async def on_content(turn: Turn, draft: OpenDraft) -> Answer:
    if not turn.text:
        return NotAnAnswer(turn.t("report.ask_content"))
    if turn.state.data.pop("rewrite", False):
        try:
            replace_words(draft.facts, turn.text, turn.now)
        except TooLong as exc:
            turn.state.data["rewrite"] = True
            turn.say(turn.t("report.too_long", length=exc.length, limit=MAX_DESCRIPTION))
            ask_content(turn, draft)
            return Outcome.STAY
        return Outcome.MOVED
    return Outcome.MOVED if keep_words(turn, draft, turn.text, into="text") is not None else Outcome.STAY


def ask_resume(turn: Turn, draft: OpenDraft) -> None:
    t, facts = turn.t, draft.facts
    shown = excerpt(facts.text) if facts.text else t("report.excerpt_media", count=facts.media_total)
    turn.say(t("report.ask_resume", started=t.moment(draft.row.created_at, turn.services.app.tz), excerpt=shown),
             [Choice("continue", t("report.resume_continue")), Choice("new", t("report.resume_new"))])


async def on_resume(turn: Turn) -> None:
    drafts = turn.services.drafts
    pending = [Content.from_json(c) for c in turn.state.data.get("pending", [])]
    draft = await drafts.of_chat(turn.inbound.channel, turn.inbound.chat_id)
    if draft is None or turn.choice == "new":
        if draft is not None:
            await drafts.discard(turn.inbound.channel, turn.inbound.chat_id)
        if pending:
            await start_draft(turn, pending)
        else:
            turn.goto(FLOW, Step.CONTENT.value)
            ask_content(turn, None)
        return
    if turn.choice == "continue":
        turn.state.data.pop("pending", None)
        for held in pending:
            await evidence.take(turn, draft, held)
        await proceed(turn, draft)
        return
    content = content_of(turn.inbound)
    if content is not None:  # kept for whichever draft the citizen chooses
        turn.state.data["pending"] = [*turn.state.data.get("pending", []), content.to_json()]
        turn.say(turn.t("report.resume_first"))
    else:
        turn.say(turn.t("common.choose_from_list"))
    ask_resume(turn, draft)


def ask_kind(turn: Turn, draft: OpenDraft) -> None:
    t = turn.t
    turn.say(t("report.ask_kind"), [Choice(key, t(f"report.kind.{key}")) for key in TRIAGE])


async def on_kind(turn: Turn, draft: OpenDraft) -> Answer:
    if turn.choice in TRIAGE:
        draft.facts.kind = TRIAGE[turn.choice].value
        return Outcome.MOVED
    return NotAnAnswer()


def ask_describe(turn: Turn, draft: OpenDraft) -> None:
    t = turn.t
    turn.say(t("report.ask_describe"), [Choice("skip", t("report.describe_skip"))])


async def on_describe(turn: Turn, draft: OpenDraft) -> Answer:
    if turn.choice == "skip":
        draft.facts.described = True
        return Outcome.MOVED
    if turn.text and keep_words(turn, draft, turn.text, into="text") is not None:
        draft.facts.described = True
        return Outcome.MOVED
    return NotAnAnswer()


ASK: dict[Step, Ask] = {
    Step.CONTENT: ask_content, Step.RESUME: ask_resume, Step.KIND: ask_kind, Step.DESCRIBE: ask_describe,
    Step.DECISION: complaint.ask_decision, Step.LEARNED: complaint.ask_learned,
    Step.ACCUSED: denunciation.ask_accused, Step.WARD: where.ask_ward, Step.WARD_CONFIRM: where.ask_ward_confirm,
    Step.AREA: where.ask_area, Step.CATEGORY: category.ask_category, Step.EVIDENCE: evidence.ask_evidence,
    Step.CONFIRM: summary.ask_confirm, Step.CHANGE: summary.ask_change,
}
READ: dict[Step, Read] = {
    Step.CONTENT: on_content, Step.KIND: on_kind, Step.DESCRIBE: on_describe,
    Step.DECISION: complaint.on_decision, Step.LEARNED: complaint.on_learned,
    Step.ACCUSED: denunciation.on_accused, Step.WARD: where.on_ward, Step.WARD_CONFIRM: where.on_ward_confirm,
    Step.AREA: where.on_area, Step.CATEGORY: category.on_category, Step.EVIDENCE: evidence.on_evidence,
    Step.CONFIRM: summary.on_confirm, Step.CHANGE: summary.on_change,
}
