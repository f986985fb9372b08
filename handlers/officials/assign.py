"""A head gives a case to a named officer of the unit, picked from a short list (buttons or numbers)."""

from __future__ import annotations

from typing import Any

from bot.channels.model import Choice
from bot.domain.action_keys import Verb
from bot.domain.authz import Refused
from handlers.base import Turn
from handlers.officials.case_action import CaseActionFlow
from handlers.officials.common import case_in_hand, done, say_refusal

PEOPLE = "people"


class AssignFlow(CaseActionFlow, name="official_assign", verb=Verb.ASSIGN, states=("who",)):
    async def may_open(self, turn: Turn, case: Any) -> bool:
        turn.found[PEOPLE] = await turn.services.case_actions.assignable(turn.actor.official_id, case.id)
        if not turn.found[PEOPLE]:
            turn.say(turn.t("officials.assign.nobody", code=case.code))
        return bool(turn.found[PEOPLE])

    async def opened(self, turn: Turn, case: Any) -> None:
        turn.state.data[PEOPLE] = [[i, n] for i, n in turn.found[PEOPLE]]
        self._ask(turn)

    def _choices(self, turn: Turn) -> list[Choice]:
        return [Choice(f"o{i}", name) for i, name in turn.state.data.get(PEOPLE) or []]

    def _ask(self, turn: Turn) -> None:
        turn.say(turn.t("officials.assign.pick", code=turn.state.data.get("code", "")), self._choices(turn))

    async def _on_who(self, turn: Turn) -> None:
        if turn.choice not in {c.key for c in self._choices(turn)}:
            turn.say(turn.t("common.choose_from_list"))
            self._ask(turn)
            return
        officer = int(str(turn.choice)[1:])
        try:
            await turn.services.case_actions.assign(turn.actor.official_id, case_in_hand(turn), officer)
        except Refused as refusal:
            done(turn)
            say_refusal(turn, refusal)
            return
        name = dict((i, n) for i, n in turn.state.data.get(PEOPLE) or []).get(officer, "")
        code = turn.state.data.get("code", "")
        done(turn)
        turn.say(turn.t("officials.assign.done", code=code, name=name))
