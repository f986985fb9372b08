"""Where it happened: the ward (from a short list, typed by name, or a shared location), an unsure match
confirmed with yes or no, then the residential area inside the ward."""

from __future__ import annotations

from bot.channels.model import Choice
from bot.domain.cases import CaseKind
from bot.domain.intake import set_place
from bot.domain.matching import parse_yes_no
from bot.services.drafts import OpenDraft
from bot.services.org_view import OrgSnapshot
from handlers.base import Turn
from handlers.drafting import Answer, NotAnAnswer, Outcome


def place_label(turn: Turn, code: str | None) -> str:
    """ "khu dân cư Tiền Định, phường Sao Đỏ" for an area, "phường Sao Đỏ" for a ward."""
    org = turn.services.org
    area = org.areas.get(code or "")
    if area is None:
        return turn.t("report.place_none")
    if area.parent_code and area.parent_code in org.areas:
        return turn.t("report.place_area", area=area.name, ward=ward_label(turn, area.parent_code))
    return ward_label(turn, code)


def ward_label(turn: Turn, code: str | None) -> str:
    area = turn.services.org.areas.get(code or "")
    if area is None:
        return turn.t("report.place_none")
    return turn.t("report.place_commune" if area.kind == "commune" else "report.place_ward", name=area.name)


def _areas_of(org: OrgSnapshot, ward: str | None) -> list[Choice]:
    return [Choice(a.code, a.name) for a in org.areas.values()
            if a.parent_code == ward and a.kind == "residential" and a.active]


def ask_ward(turn: Turn, draft: OpenDraft) -> None:
    t = turn.t
    choices = [Choice(a.code, a.name) for a in turn.services.org.wards()]
    choices.append(Choice("skip", t("report.place_unknown")))
    question = t("report.ask_ward_question" if draft.facts.kind == CaseKind.QUESTION.value else "report.ask_ward")
    turn.say(question, choices, request="location", request_label=t("report.share_location"))


def ask_ward_confirm(turn: Turn, draft: OpenDraft) -> None:
    t = turn.t
    turn.say(t("report.ask_place_confirm", place=place_label(turn, draft.facts.guess)),
             [Choice("yes", t("report.yes")), Choice("no", t("report.no"))])


def ask_area(turn: Turn, draft: OpenDraft) -> None:
    t = turn.t
    choices = _areas_of(turn.services.org, draft.facts.ward)
    choices.append(Choice("skip", t("report.area_unknown")))
    turn.say(t("report.ask_area", ward=ward_label(turn, draft.facts.ward)), choices)


async def on_ward(turn: Turn, draft: OpenDraft) -> Answer:
    facts, drafts = draft.facts, turn.services.drafts
    if turn.choice == "skip":
        facts.place_skipped, facts.guess = True, None
        return Outcome.MOVED
    chosen = drafts.place(turn.choice) if turn.choice else None
    if chosen is not None:
        set_place(facts, chosen)
        return Outcome.MOVED
    if not turn.text:
        return NotAnAnswer()
    found = drafts.find_place(turn.text)
    if found is None:
        return NotAnAnswer(turn.t("report.place_not_found", text=turn.text[:60]))
    if found.sure:
        set_place(facts, found)
    else:
        facts.guess = found.code
    return Outcome.MOVED


async def on_ward_confirm(turn: Turn, draft: OpenDraft) -> Answer:
    facts = draft.facts
    answer = {"yes": True, "no": False}.get(turn.choice or "", parse_yes_no(turn.text) if turn.text else None)
    if answer is True and facts.guess:
        found = turn.services.drafts.place(facts.guess)
        if found is not None:
            set_place(facts, found)
        return Outcome.MOVED
    if answer is False:
        facts.guess, facts.no_guess = None, True
        return Outcome.MOVED
    return await on_ward(turn, draft)  # a place typed instead of yes or no


async def on_area(turn: Turn, draft: OpenDraft) -> Answer:
    facts, drafts = draft.facts, turn.services.drafts
    if turn.choice == "skip":
        facts.area_skipped = True
        return Outcome.MOVED
    chosen = drafts.place(turn.choice) if turn.choice else None
    if chosen is not None and chosen.ward == facts.ward and chosen.area:
        facts.area = chosen.area
        return Outcome.MOVED
    if not turn.text:
        return NotAnAnswer()
    found = drafts.find_place(turn.text, within_ward=facts.ward)
    if found is not None:
        facts.area = found.area
        return Outcome.MOVED
    elsewhere = drafts.find_place(turn.text)
    if elsewhere is not None and elsewhere.sure and elsewhere.ward != facts.ward:
        set_place(facts, elsewhere)  # another ward named outright: the citizen corrects the place
        return Outcome.MOVED
    return NotAnAnswer(turn.t("report.area_not_found", ward=ward_label(turn, facts.ward)))
