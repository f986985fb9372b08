"""A denunciation's extra step and its aftermath.

The bot asks which unit the wrongdoing is about - and nothing about the denouncer: no name, phone or address.
The tip goes to the inspection unit above the unit concerned (never to that unit). Afterwards the citizen
learns how to make it a formal, signed denunciation: where and when that unit receives citizens, and a
print-ready text.
"""

from __future__ import annotations

from bot.channels.model import Choice
from bot.domain.intake import match_units
from bot.services.drafts import OpenDraft
from bot.services.intake import Receipt
from handlers.base import Turn
from handlers.drafting import Answer, NotAnAnswer, Outcome, keep_words

SAYS_MORE_THAN_A_NAME = 5  # words: an answer this long says who did it, not just which unit


def unit_name(turn: Turn, code: str | None) -> str:
    unit = turn.services.org.units.get(code or "")
    return unit.name(turn.state.language) if unit else turn.t("report.place_none")


def ask_accused(turn: Turn, draft: OpenDraft) -> None:
    t = turn.t
    units = turn.services.drafts.index.accusable
    turn.say(t("report.denunciation_privacy") + "\n\n" + t("report.ask_accused"),
             [Choice(code, unit_name(turn, code)) for code in units])


async def on_accused(turn: Turn, draft: OpenDraft) -> Answer:
    units = turn.services.drafts.index.accusable
    if turn.choice in units:
        draft.facts.accused_unit = turn.choice
        return Outcome.MOVED
    if not turn.text:
        return NotAnAnswer()
    named = match_units(turn.text, units)
    found = turn.services.drafts.find_place(turn.text)
    ward = turn.services.org.areas.get(found.ward) if found is not None and found.sure else None
    if ward is not None and ward.unit_code in units and ward.unit_code not in named:
        named.append(ward.unit_code)  # "cán bộ phường Sao Đỏ": the ward's People's Committee
    if len(named) == 1:
        draft.facts.accused_unit = named[0]
        if len(turn.text.split()) >= SAYS_MORE_THAN_A_NAME:  # "cán bộ địa chính phường Sao Đỏ": who, too
            keep_words(turn, draft, turn.text)
        return Outcome.MOVED
    if named:
        turn.say(turn.t("report.accused_which"), [Choice(code, unit_name(turn, code)) for code in named])
        return Outcome.STAY
    return NotAnAnswer(turn.t("report.accused_not_found"))


def formal_steps(turn: Turn, receipt: Receipt, accused: str | None, text: str) -> None:
    """How to make the tip a formal denunciation, and the text to print, sign and bring."""
    t, language = turn.t, turn.state.language
    unit = receipt.unit
    turn.say(t("report.denunciation_formal", unit=unit.name(language),
               reception=unit.reception or t("report.reception_unknown")))
    turn.say(t("report.formal_text", unit=unit.name(language), accused=unit_name(turn, accused), text=text,
               code=receipt.code))
