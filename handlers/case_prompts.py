"""A citizen's answers to messages about their cases: a rating prompt, an official's question.

Those messages are sent from an official's transaction, so their choices reach this chat as case keys
(`rs:45`, `rpl:45`) - see handlers/case_keys.py. This runs before the citizen's flows: a key goes to the
rating or reply flow; a message (words, photo, voice, location) while nothing else is in progress is the
answer an official waits for, never the start of a new report.
"""

from __future__ import annotations

from bot.services.action_keys import CITIZEN_VERBS, Verb
from handlers.base import OFFERED, Turn
from handlers.case_keys import chosen_key
from handlers.case_reply import CaseReplyFlow
from handlers.common import MENU
from handlers.rating import RatingFlow


class CasePrompts:
    def __init__(self, rating: RatingFlow, reply: CaseReplyFlow) -> None:
        self.rating, self.reply = rating, reply

    async def dispatch(self, turn: Turn) -> bool:
        """True when this turn answered a message about a case; the router stops here."""
        if turn.actor.citizen_id is None or turn.inbound.command:
            return False
        action = await chosen_key(turn, CITIZEN_VERBS)
        if action is not None:
            where, offered = turn.state.flow, list(turn.state.data.get(OFFERED) or [])
            if action.verb is Verb.REPLY:
                await self.reply.chosen(turn, action.case_id)
            else:
                await self.rating.start(turn, action)
            if turn.state.flow == where and not turn.state.data.get(OFFERED):
                turn.state.data[OFFERED] = offered  # a refusal or a thank-you is not a question
            return True
        if turn.state.flow == self.reply.name and turn.state.step == "more":
            return await self.reply.more(turn)
        idle = turn.state.flow in (None, MENU) and turn.choice is None
        return bool(idle and await self.reply.relay(turn))
