"""Ask the citizen for more information: the bot relays the question, the clock pauses until they answer."""

from __future__ import annotations

from typing import ClassVar

from bot.services.action_keys import Verb
from bot.services.authz import Refused
from handlers.base import Turn
from handlers.officials.common import CASE, case_in_hand, done, free_text, say_refusal


class AskFlow:
    name: ClassVar[str] = "official_ask"
    states: ClassVar[tuple[str, ...]] = ("question",)

    async def start(self, turn: Turn, case_id: int) -> bool:
        """Begin on this case if allowed now; False (and the reason said) when not."""
        try:
            case = await turn.services.case_actions.check(turn.actor.official_id, case_id, Verb.ASK)
        except Refused as refusal:
            say_refusal(turn, refusal)
            return False
        if not case.reachable:
            turn.say(turn.t("officials.ask.no_account", code=case.code, contact=case.contact or "-"))
            return False
        done(turn)  # allowed: whatever was open before gives way to this case
        turn.goto(self.name, "question")
        turn.state.data[CASE] = case.id
        turn.say(turn.t("officials.ask.prompt", code=case.code))
        return True

    async def begin(self, turn: Turn) -> None:
        await self.start(turn, case_in_hand(turn))

    async def handle(self, turn: Turn) -> None:
        question = free_text(turn)
        if question is None:
            turn.say(turn.t("officials.text_please"))
            return
        try:
            code = await turn.services.case_actions.ask(turn.actor.official_id, case_in_hand(turn), question)
        except Refused as refusal:
            say_refusal(turn, refusal)
            if refusal.key.startswith("officials.refused.too_"):
                return  # the question was too short or too long: type it again
            done(turn)
            return
        done(turn)
        turn.say(turn.t("officials.ask.sent", code=code))
