"""The frame of an official's action on one case: checked, opened, then a declared table of steps.

Like python-telegram-bot's `ConversationHandler(states=...)`: a flow declares its steps in order (`states`,
drawn in its .mmd) and maps each to the method that handles a message there (`steps`). Opening is the same
for every action: the service checks the official against the case as it is now (a refusal is said and
nothing opens), the flow may still decline (`may_open`), whatever was open gives way, and the first step asks
its question (`opened`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from bot.domain.action_keys import Verb
from bot.domain.authz import Refused
from handlers.base import Turn
from handlers.officials.common import CASE, case_in_hand, done, say_refusal

Step = Callable[[Turn], Awaitable[None]]
RETYPE = "officials.refused.too_"  # a text too short or too long: the same step asks again


class CaseActionFlow(ABC):
    name: ClassVar[str]
    states: ClassVar[tuple[str, ...]]  # the steps in order; the flow opens at the first
    verb: ClassVar[Verb]  # what the service checks the official may do to the case

    @abstractmethod
    def steps(self) -> dict[str, Step]:
        """Each declared step's handler (tests check the keys are `states`)."""

    async def start(self, turn: Turn, case_id: int) -> bool:
        """Open on this case if allowed now; False (and the reason said) when not."""
        try:
            case = await turn.services.case_actions.check(turn.actor.official_id, case_id, self.verb)
        except Refused as refusal:
            say_refusal(turn, refusal)
            return False
        return await self.open(turn, case)

    async def open(self, turn: Turn, case: Any) -> bool:
        """The case was allowed: open at the first step unless the flow declines."""
        try:
            if not await self.may_open(turn, case):
                return False
        except Refused as refusal:
            say_refusal(turn, refusal)
            return False
        done(turn)  # allowed: whatever was open before gives way to this case
        turn.goto(self.name, self.states[0])
        turn.state.data.update({CASE: case.id, "code": case.code})
        await self.opened(turn, case)
        return True

    async def may_open(self, turn: Turn, case: Any) -> bool:
        """A last word before opening (say why when declining)."""
        return True

    @abstractmethod
    async def opened(self, turn: Turn, case: Any) -> None:
        """Ask the first step's question."""

    async def begin(self, turn: Turn) -> None:
        await self.start(turn, case_in_hand(turn))

    async def handle(self, turn: Turn) -> None:
        table = self.steps()
        await table[turn.state.step if turn.state.step in table else self.states[0]](turn)

    @staticmethod
    def refused(turn: Turn, refusal: Refused, *, retype: str | None = None) -> None:
        """Say a refusal of the action itself: a text to type again keeps the flow (at `retype`, when given),
        anything else ends it."""
        say_refusal(turn, refusal)
        if refusal.key.startswith(RETYPE):
            if retype is not None:
                turn.goto(turn.state.flow, retype)
            return
        done(turn)

    @staticmethod
    def code(turn: Turn) -> str:
        return str(turn.state.data.get("code", ""))
