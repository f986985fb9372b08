"""A citizen's answers to messages about their cases: a rating prompt, an official's question.

Those messages are sent from an official's transaction, so their choices reach this chat as case keys
(`rs:45`, `rpl:45`) - see handlers/case_keys.py. This runs before the citizen's flows: a key goes to the
rating or reply flow; a message (words, photo, voice, location) while nothing else is in progress is the
answer an official waits for, never the start of a new report.
"""

from __future__ import annotations

from bot.domain.action_keys import CITIZEN_VERBS, Verb
from handlers.base import OFFERED, Turn
from handlers.case_keys import chosen_key
from handlers.case_reply import CaseReplyFlow, answer_of
from handlers.common import MENU
from handlers.rating import RatingFlow
from handlers.routing import Entry, Middleware, Route, Then

KEY = "case_key"  # what the case-key route found, for its handler
WAITING = "waiting_cases"


class CasePrompts:
    def __init__(self, rating: RatingFlow, reply: CaseReplyFlow) -> None:
        self.rating, self.reply = rating, reply

    def routes(self) -> list[Entry]:
        """The citizens' answers to messages about their cases, before their own flows."""
        return [
            Route("case choice", "a rating or «Trả lời» key from a message about a case (button, number or label)",
                  self._chose_key, self._answer_key),
            Middleware("answer follow-up", "more messages of an answer just given, while its window is open",
                       self._follow_up),
            Route("answer to an official", "anything a citizen sends while idle, when an official waits for an "
                  "answer: the answer, never a new report", self._official_waits, self._relay),
        ]

    async def _chose_key(self, turn: Turn) -> bool:
        if turn.actor.citizen_id is None or turn.inbound.command:
            return False
        turn.found[KEY] = await chosen_key(turn, CITIZEN_VERBS)
        return turn.found[KEY] is not None

    async def _answer_key(self, turn: Turn) -> None:
        action = turn.found[KEY]
        where, offered = turn.state.flow, list(turn.state.data.get(OFFERED) or [])
        if action.verb is Verb.REPLY:
            await self.reply.chosen(turn, action.case_id)
        else:
            await self.rating.start(turn, action)
        if turn.state.flow == where and not turn.state.data.get(OFFERED):
            turn.state.data[OFFERED] = offered  # a refusal or a thank-you is not a question

    async def _follow_up(self, turn: Turn, then: Then) -> None:
        following = (turn.actor.citizen_id is not None and not turn.inbound.command
                     and turn.state.flow == self.reply.name and turn.state.step == "more")
        if following and await self.reply.more(turn):
            return
        await then(turn)  # the window closed or the citizen turned to something else (the flow was left)

    async def _official_waits(self, turn: Turn) -> bool:
        if turn.actor.citizen_id is None or turn.inbound.command:
            return False
        idle = turn.state.flow in (None, MENU) and turn.choice is None
        if not idle or answer_of(turn) is None:
            return False
        turn.found[WAITING] = await turn.services.case_actions.waiting_for(turn.actor.identity_id)
        return bool(turn.found[WAITING])

    async def _relay(self, turn: Turn) -> None:
        await self.reply.relay(turn, turn.found[WAITING])
