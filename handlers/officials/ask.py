"""Ask the citizen for more information: the bot relays the question, the clock pauses until they answer."""

from __future__ import annotations

from typing import Any

from bot.domain.action_keys import Verb
from bot.domain.authz import Refused
from handlers.base import Turn
from handlers.officials.case_action import CaseActionFlow
from handlers.officials.common import case_in_hand, done, typed_text


class AskFlow(CaseActionFlow, name="official_ask", verb=Verb.ASK, states=("question",)):
    async def may_open(self, turn: Turn, case: Any) -> bool:
        if not case.reachable:
            turn.say(turn.t("officials.ask.no_account", code=case.code, contact=case.contact or "-"))
        return bool(case.reachable)

    async def opened(self, turn: Turn, case: Any) -> None:
        turn.say(turn.t("officials.ask.prompt", code=case.code))

    async def _on_question(self, turn: Turn) -> None:
        question = typed_text(turn)
        if question is None:
            return
        try:
            code = await turn.services.case_actions.ask(turn.actor.official_id, case_in_hand(turn), question)
        except Refused as refusal:
            self.refused(turn, refusal)
            return
        done(turn)
        turn.say(turn.t("officials.ask.sent", code=code))
