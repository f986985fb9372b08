"""Ask the citizen for more information: the bot relays the question, the clock pauses until they answer."""

from __future__ import annotations

from typing import Any, ClassVar

from bot.domain.action_keys import Verb
from bot.domain.authz import Refused
from handlers.base import Turn
from handlers.officials.case_action import CaseActionFlow, Step
from handlers.officials.common import case_in_hand, done, free_text


class AskFlow(CaseActionFlow):
    name: ClassVar[str] = "official_ask"
    states: ClassVar[tuple[str, ...]] = ("question",)
    verb: ClassVar[Verb] = Verb.ASK

    def steps(self) -> dict[str, Step]:
        return {"question": self._on_question}

    async def may_open(self, turn: Turn, case: Any) -> bool:
        if not case.reachable:
            turn.say(turn.t("officials.ask.no_account", code=case.code, contact=case.contact or "-"))
        return bool(case.reachable)

    async def opened(self, turn: Turn, case: Any) -> None:
        turn.say(turn.t("officials.ask.prompt", code=case.code))

    async def _on_question(self, turn: Turn) -> None:
        question = free_text(turn)
        if question is None:
            turn.say(turn.t("officials.text_please"))
            return
        try:
            code = await turn.services.case_actions.ask(turn.actor.official_id, case_in_hand(turn), question)
        except Refused as refusal:
            self.refused(turn, refusal)
            return
        done(turn)
        turn.say(turn.t("officials.ask.sent", code=code))
