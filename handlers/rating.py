"""The citizen's verdict on an answer: satisfied, or not (with an optional comment).

Not satisfied reopens a report, petition or question once at the same unit; a second time it goes up to the
head of the unit above. A complaint is not reopened: the bot explains the second-level complaint and the
lawsuit, and helps file the second-level complaint with the next authority.
"""

from __future__ import annotations

from typing import ClassVar

from bot.channels.model import Choice
from bot.domain.action_keys import ActionKey, Verb, key
from bot.domain.authz import Refused
from bot.services.track_links import receipt_link
from handlers.base import Turn
from handlers.common import show_menu
from handlers.officials.common import CASE, case_in_hand, free_text, say_refusal


class RatingFlow:
    name: ClassVar[str] = "rating"
    states: ClassVar[tuple[str, ...]] = ("comment", "second_level", "appeal")

    async def start(self, turn: Turn, action: ActionKey) -> None:
        actions = turn.services.case_actions
        try:
            if action.verb is Verb.SATISFIED:
                verdict = await actions.rate(turn.actor.identity_id, action.case_id, True)
                turn.say(turn.t("rating.thanks", code=verdict.code))  # one tap: what was open stays open
                return
            if action.verb is Verb.UNSATISFIED:
                code = await actions.ratable(turn.actor.identity_id, action.case_id)
                turn.goto(self.name, "comment")
                turn.state.data[CASE] = action.case_id
                turn.say(turn.t("rating.ask_comment", code=code), [Choice("skip", turn.t("rating.skip"))])
                return
            code = await actions.second_level_open(turn.actor.identity_id, action.case_id)
        except Refused as refusal:
            say_refusal(turn, refusal)  # whatever the citizen was doing stays as it was
            return
        turn.goto(self.name, "appeal")
        turn.state.data[CASE] = action.case_id
        turn.say(turn.t("rating.ask_appeal", code=code))

    async def begin(self, turn: Turn) -> None:
        await show_menu(turn)

    async def handle(self, turn: Turn) -> None:
        step = turn.state.step
        if step == "comment":
            comment = free_text(turn)
            if comment is None and turn.choice != "skip":
                turn.say(turn.t("rating.comment_or_skip"), [Choice("skip", turn.t("rating.skip"))])
                return
            await self._unsatisfied(turn, None if turn.choice == "skip" else comment)
        elif step == "second_level":
            turn.finish()
            turn.say(turn.t("rating.no_second_level"))
            await show_menu(turn)
        else:
            text = free_text(turn)
            if text is None:
                turn.say(turn.t("rating.appeal_text_please"))
                return
            await self._second_level(turn, text)

    async def _unsatisfied(self, turn: Turn, comment: str | None) -> None:
        case_id = case_in_hand(turn)
        try:
            verdict = await turn.services.case_actions.rate(turn.actor.identity_id, case_id, False, comment)
        except Refused as refusal:
            turn.finish()
            say_refusal(turn, refusal)
            return
        tz, lang = turn.services.app.tz, turn.state.language
        unit = verdict.unit.name(lang) if verdict.unit else ""
        due = turn.t.due(verdict.due_at, tz) if verdict.due_at else turn.t("common.none")
        if verdict.outcome == "second_level":
            turn.goto(self.name, "second_level")
            turn.say(turn.t("rating.second_level_path", code=verdict.code, authority=unit),
                     [Choice(key(Verb.SECOND_LEVEL, case_id), turn.t("rating.start_second_level")),
                      Choice("no", turn.t("rating.no_thanks"))])
            return
        turn.finish()
        if verdict.outcome == "reopened":
            turn.say(turn.t("rating.reopened", code=verdict.code, unit=unit, due=due))
        else:
            turn.say(turn.t("rating.sent_up", code=verdict.code, unit=unit, due=due))

    async def _second_level(self, turn: Turn, text: str) -> None:
        try:
            receipt = await turn.services.case_actions.second_level(turn.actor.identity_id, case_in_hand(turn), text)
        except Refused as refusal:
            say_refusal(turn, refusal)
            if not refusal.key.startswith("officials.refused.too_"):
                turn.finish()
            return
        turn.finish()
        app = turn.services.app
        link = receipt_link(app.track_links, app.public_base_url, receipt.code)
        turn.say(turn.t("rating.second_level_received", code=receipt.code, pin=receipt.pin,
                        unit=receipt.unit.name(turn.state.language), due=turn.t.due(receipt.due_at, app.tz),
                        link=link), secrets=(receipt.pin, link))
