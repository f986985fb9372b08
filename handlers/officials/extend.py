"""Extend a case's deadline with a reason: the head approves it from the chat; the citizen is told the date."""

from __future__ import annotations

from typing import ClassVar

from bot.channels.model import Choice
from bot.services.action_keys import Verb
from bot.services.authz import Refused
from bot.services.case_actions import EXTENSION_DAYS
from handlers.base import Turn
from handlers.officials.common import CASE, case_in_hand, done, free_text, say_refusal


class ExtendFlow:
    name: ClassVar[str] = "official_extend"
    states: ClassVar[tuple[str, ...]] = ("days", "reason")

    async def start(self, turn: Turn, case_id: int) -> bool:
        """Begin on this case if allowed now; False (and the reason said) when not."""
        try:
            case = await turn.services.case_actions.check(turn.actor.official_id, case_id, Verb.EXTEND)
        except Refused as refusal:
            say_refusal(turn, refusal)
            return False
        done(turn)  # allowed: whatever was open before gives way to this case
        turn.goto(self.name, "days")
        turn.state.data[CASE] = case.id
        turn.state.data["code"] = case.code
        self._ask_days(turn)
        return True

    async def begin(self, turn: Turn) -> None:
        await self.start(turn, case_in_hand(turn))

    def _ask_days(self, turn: Turn) -> None:
        turn.say(turn.t("officials.extend.ask_days", code=turn.state.data.get("code", "")),
                 [Choice(str(d), turn.t("officials.extend.days", days=d)) for d in EXTENSION_DAYS])

    async def handle(self, turn: Turn) -> None:
        if turn.state.step == "days":
            if turn.choice in {str(d) for d in EXTENSION_DAYS}:
                turn.state.data["days"] = int(turn.choice or 0)
                turn.goto(self.name, "reason")
                turn.say(turn.t("officials.extend.ask_reason"))
            else:
                turn.say(turn.t("common.choose_from_list"))
                self._ask_days(turn)
            return
        reason = free_text(turn)
        if reason is None:
            turn.say(turn.t("officials.text_please"))
            return
        try:
            result = await turn.services.case_actions.request_extension(
                turn.actor.official_id, case_in_hand(turn), int(turn.state.data.get("days", 0)), reason)
        except Refused as refusal:
            say_refusal(turn, refusal)
            if not refusal.key.startswith("officials.refused.too_"):
                done(turn)
            return
        done(turn)
        due = turn.t.due(result.new_due, turn.services.app.tz)
        if result.granted:
            turn.say(turn.t("officials.extend.granted", code=result.code, due=due))
        else:
            turn.say(turn.t("officials.extend.requested", code=result.code, due=due))
