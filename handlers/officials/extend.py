"""Extend a case's deadline with a reason: the head approves it from the chat; the citizen is told the date."""

from __future__ import annotations

from typing import Any

from bot.channels.model import Choice
from bot.domain.action_keys import Verb
from bot.domain.authz import Refused
from bot.services.case_actions import EXTENSION_DAYS
from handlers.base import Turn
from handlers.officials.case_action import CaseActionFlow
from handlers.officials.common import case_in_hand, done, typed_text


class ExtendFlow(CaseActionFlow, name="official_extend", verb=Verb.EXTEND, states=("days", "reason")):
    async def opened(self, turn: Turn, case: Any) -> None:
        self._ask_days(turn)

    def _ask_days(self, turn: Turn) -> None:
        turn.say(turn.t("officials.extend.ask_days", code=self.code(turn)),
                 [Choice(str(d), turn.t("officials.extend.days", days=d)) for d in EXTENSION_DAYS])

    async def _on_days(self, turn: Turn) -> None:
        if turn.choice in {str(d) for d in EXTENSION_DAYS}:
            turn.state.data["days"] = int(turn.choice or 0)
            turn.goto(self.name, "reason")
            turn.say(turn.t("officials.extend.ask_reason"))
        else:
            turn.say(turn.t("common.choose_from_list"))
            self._ask_days(turn)

    async def _on_reason(self, turn: Turn) -> None:
        reason = typed_text(turn)
        if reason is None:
            return
        try:
            result = await turn.services.case_actions.request_extension(
                turn.actor.official_id, case_in_hand(turn), int(turn.state.data.get("days", 0)), reason)
        except Refused as refusal:
            self.refused(turn, refusal)
            return
        done(turn)
        due = turn.t.due(result.new_due, turn.services.app.tz)
        if result.granted:
            turn.say(turn.t("officials.extend.granted", code=result.code, due=due))
        else:
            turn.say(turn.t("officials.extend.requested", code=result.code, due=due))
