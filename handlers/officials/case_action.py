"""The frame of an official's action on one case: checked, opened, then a declared table of steps.

Like python-telegram-bot's `ConversationHandler(states=...)`: a flow declares its name, the verb the service
checks and its steps in order in its class line (`class ExtendFlow(CaseActionFlow, name="official_extend",
verb=Verb.EXTEND, states=("days", "reason"))`, the states drawn in its .mmd); the method `_on_<state>` handles
a message at that step, and a flow missing one fails when its class is defined. Opening is the same
for every action: the service checks the official against the case as it is now (a refusal is said and
nothing opens), the flow may still decline (`may_open`), whatever was open gives way, and the first step asks
its question (`opened`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, cast

from bot.domain.action_keys import Verb
from bot.domain.authz import Refused
from handlers.base import DeclaredFlow, Turn
from handlers.officials.common import CASE, case_in_hand, done, say_refusal, typed_text

Step = Callable[[Turn], Awaitable[None]]
RETYPE = "officials.refused.too_"  # a text too short or too long: the same step asks again


class CaseActionFlow(ABC, DeclaredFlow):
    # `states`: the steps in order; the flow opens at the first
    verb: ClassVar[Verb]  # what the service checks the official may do to the case

    def __init_subclass__(cls, *, verb: Verb | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if verb is not None:
            cls.verb = verb
        unhandled = [s for s in getattr(cls, "states", ()) if not callable(getattr(cls, f"_on_{s}", None))]
        if unhandled:
            raise TypeError(f"{cls.__name__} declares steps with no _on_<step> method: {unhandled}")

    def steps(self) -> dict[str, Step]:
        """Each declared step's handler, in the declared order (the first opens)."""
        return {state: cast(Step, getattr(self, f"_on_{state}")) for state in self.states}

    async def start(self, turn: Turn, case_id: int) -> bool:
        """Open on this case if allowed now; False (and the reason said) when not."""
        checked = turn.services.case_actions.check(turn.actor.official_id, case_id, self.verb)
        return await self.open(turn, checked)

    async def open(self, turn: Turn, checked: Awaitable[Any]) -> bool:
        """Open at the first step on the case `checked` gives (the service's check of the official against the
        case) unless the check or the flow declines."""
        try:
            case = await checked
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

    def kept(self, turn: Turn, key: str, then: str) -> bool:
        """The typed text kept under `key` and the flow moved to step `then`; False (and asked to type) when
        this message is no text."""
        text = typed_text(turn)
        if text is None:
            return False
        turn.state.data[key] = text
        turn.goto(self.name, then)
        return True

    @staticmethod
    def told(turn: Turn, result: Any, sent: str, no_account: str) -> None:
        """The action is done: say the citizen was told (`sent`), or has no account and how to reach them."""
        done(turn)
        if result.to_citizen:
            turn.say(turn.t(sent, code=result.code))
        else:
            turn.say(turn.t(no_account, code=result.code, contact=result.contact or "-"))

    @staticmethod
    def code(turn: Turn) -> str:
        return str(turn.state.data.get("code", ""))
