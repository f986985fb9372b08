"""A head gives a case to a named officer of the unit, picked from a short list (buttons or numbers)."""

from __future__ import annotations

from typing import ClassVar

from bot.channels.model import Choice
from bot.services.action_keys import Verb
from bot.services.authz import Refused
from handlers.base import Turn
from handlers.officials.common import CASE, case_in_hand, done, say_refusal

PEOPLE = "people"


class AssignFlow:
    name: ClassVar[str] = "official_assign"
    states: ClassVar[tuple[str, ...]] = ("who",)

    async def start(self, turn: Turn, case_id: int) -> bool:
        actions = turn.services.case_actions
        try:
            case = await actions.check(turn.actor.official_id, case_id, Verb.ASSIGN)
            people = await actions.assignable(turn.actor.official_id, case_id)
        except Refused as refusal:
            say_refusal(turn, refusal)
            return False
        if not people:
            turn.say(turn.t("officials.assign.nobody", code=case.code))
            return False
        done(turn)
        turn.goto(self.name, "who")
        turn.state.data.update({CASE: case.id, "code": case.code, PEOPLE: [[i, n] for i, n in people]})
        self._ask(turn)
        return True

    def _choices(self, turn: Turn) -> list[Choice]:
        return [Choice(f"o{i}", name) for i, name in turn.state.data.get(PEOPLE) or []]

    def _ask(self, turn: Turn) -> None:
        turn.say(turn.t("officials.assign.pick", code=turn.state.data.get("code", "")), self._choices(turn))

    async def begin(self, turn: Turn) -> None:
        await self.start(turn, case_in_hand(turn))

    async def handle(self, turn: Turn) -> None:
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
