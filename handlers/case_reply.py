"""The citizen answers an official's question: the bot carries it back to the case.

A question arrives with a Reply choice; the citizen may also just type the answer when nothing else is in
progress. With several questions open, the citizen says which case the answer is for.
"""

from __future__ import annotations

from typing import ClassVar

from bot.channels.model import Choice
from bot.services.action_keys import Verb, key
from bot.services.authz import Refused
from handlers.base import Turn
from handlers.common import show_menu
from handlers.officials.common import CASE, case_in_hand, free_text, say_refusal

PENDING = "answer"


class CaseReplyFlow:
    name: ClassVar[str] = "case_reply"
    states: ClassVar[tuple[str, ...]] = ("text", "which")

    async def chosen(self, turn: Turn, case_id: int) -> None:
        """Reply pressed (or a case picked for an answer already typed)."""
        waiting = dict(await turn.services.case_actions.waiting_for(turn.actor.identity_id))
        if case_id not in waiting:
            turn.say(turn.t("reply.nothing_to_answer"))  # whatever the citizen was doing stays as it was
            return
        pending = turn.state.data.get(PENDING) if turn.state.flow == self.name else None
        if pending:
            await self._send(turn, case_id, str(pending))
            return
        turn.goto(self.name, "text")
        turn.state.data[CASE] = case_id
        turn.say(turn.t("reply.ask_text", code=waiting[case_id]))

    async def relay(self, turn: Turn, text: str) -> bool:
        """Typed text while nothing else is in progress: an answer, if an official waits for one."""
        waiting = await turn.services.case_actions.waiting_for(turn.actor.identity_id)
        if not waiting:
            return False
        if len(waiting) == 1:
            await self._send(turn, waiting[0][0], text)
            return True
        turn.goto(self.name, "which")
        turn.state.data[PENDING] = text
        turn.say(turn.t("reply.which"), [Choice(key(Verb.REPLY, case_id), code) for case_id, code in waiting])
        return True

    async def begin(self, turn: Turn) -> None:
        await show_menu(turn)

    async def handle(self, turn: Turn) -> None:
        if turn.state.step == "which":
            turn.say(turn.t("common.choose_from_list"))
            waiting = await turn.services.case_actions.waiting_for(turn.actor.identity_id)
            turn.say(turn.t("reply.which"), [Choice(key(Verb.REPLY, i), code) for i, code in waiting])
            return
        text = free_text(turn)
        if text is None:
            turn.say(turn.t("reply.text_only"))
            return
        await self._send(turn, case_in_hand(turn), text)

    async def _send(self, turn: Turn, case_id: int, text: str) -> None:
        try:
            code = await turn.services.case_actions.citizen_reply(turn.actor.identity_id, case_id, text)
        except Refused as refusal:
            turn.finish()
            say_refusal(turn, refusal)
            return
        turn.finish()
        turn.say(turn.t("reply.sent", code=code))
