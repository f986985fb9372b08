"""The citizen answers an official's question: the bot carries it back to the case.

While a question is open, the citizen's next message - words, a photo (with or without a caption), a voice
note, a location - is the answer: relayed to the official, its files added to the case's evidence, never the
start of a new report. A question arrives with a Reply choice, but nothing needs pressing. With several
questions open, the citizen says which case the answer is for. For 30 minutes after an answer, further
messages (an album's next photos, the words after a photo) join it; a command or a menu choice leaves.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any, ClassVar

from bot.channels.model import Choice, InboundKind, MediaRef
from bot.domain.action_keys import Verb, key
from bot.domain.authz import Refused
from handlers.base import Turn
from handlers.common import show_menu
from handlers.officials.common import CASE, case_in_hand, say_refusal

PENDING = "answer"
UNTIL = "more_until"
MORE_FOR = timedelta(minutes=30)
ANSWER_KINDS = (InboundKind.TEXT, InboundKind.PHOTO, InboundKind.VOICE, InboundKind.DOCUMENT,
                InboundKind.LOCATION)


def answer_of(turn: Turn) -> dict[str, Any] | None:
    """The parts of this message that can answer a question, or None (a button, a command, a sticker)."""
    inbound = turn.inbound
    if inbound.kind not in ANSWER_KINDS or inbound.command or turn.choice is not None:
        return None
    text = (inbound.text or "").strip()
    if inbound.kind is InboundKind.TEXT and not text:
        return None
    return {"text": text, "media": [asdict(m) for m in inbound.media], "lat": inbound.lat, "lon": inbound.lon}


class CaseReplyFlow:
    name: ClassVar[str] = "case_reply"
    states: ClassVar[tuple[str, ...]] = ("text", "which", "more")

    async def chosen(self, turn: Turn, case_id: int) -> None:
        """Reply pressed (or a case picked for an answer already given)."""
        waiting = dict(await turn.services.case_actions.waiting_for(turn.actor.identity_id))
        if case_id not in waiting:
            turn.say(turn.t("reply.nothing_to_answer"))  # whatever the citizen was doing stays as it was
            return
        pending = turn.state.data.get(PENDING) if turn.state.flow == self.name else None
        if pending:
            await self._send(turn, case_id, pending)
            return
        turn.goto(self.name, "text")
        turn.state.data[CASE] = case_id
        turn.say(turn.t("reply.ask_text", code=waiting[case_id]))

    async def relay(self, turn: Turn, waiting: list[tuple[int, str]]) -> bool:
        """A message while nothing else is in progress: an answer to the case(s) whose official waits for one."""
        answer = answer_of(turn)
        if answer is None or not waiting:
            return False
        if len(waiting) == 1:
            await self._send(turn, waiting[0][0], answer)
            return True
        turn.goto(self.name, "which")
        turn.state.data[PENDING] = answer
        turn.say(turn.t("reply.which"), [Choice(key(Verb.REPLY, case_id), code) for case_id, code in waiting])
        return True

    async def more(self, turn: Turn) -> bool:
        """A further message of an answer just given; False (and the flow left) once the window closed or
        the citizen turned to something else."""
        answer = answer_of(turn)
        until = turn.state.data.get(UNTIL)
        if answer is None or until is None or turn.now > datetime.fromisoformat(str(until)):
            turn.finish()
            return False
        try:
            await self._deliver(turn, case_in_hand(turn), answer, follow_up=True)
        except Refused:
            turn.finish()
            return False
        turn.state.data[UNTIL] = (turn.now + MORE_FOR).isoformat()
        turn.say(turn.t("reply.sent", code=turn.state.data.get("code", "")))
        return True

    async def begin(self, turn: Turn) -> None:
        await show_menu(turn)

    async def handle(self, turn: Turn) -> None:
        if turn.state.step == "which":
            turn.say(turn.t("common.choose_from_list"))
            waiting = await turn.services.case_actions.waiting_for(turn.actor.identity_id)
            turn.say(turn.t("reply.which"), [Choice(key(Verb.REPLY, i), code) for i, code in waiting])
            return
        answer = answer_of(turn)
        if answer is None:
            turn.say(turn.t("reply.text_only"))
            return
        await self._send(turn, case_in_hand(turn), answer)

    async def _deliver(self, turn: Turn, case_id: int, answer: dict[str, Any], *, follow_up: bool) -> str:
        lat, lon = answer.get("lat"), answer.get("lon")
        return await turn.services.case_actions.citizen_reply(
            turn.actor.identity_id, case_id, str(answer.get("text") or ""), channel=turn.inbound.channel,
            media=tuple(MediaRef(**m) for m in answer.get("media") or ()),
            lat=float(lat) if lat is not None else None, lon=float(lon) if lon is not None else None,
            follow_up=follow_up)

    async def _send(self, turn: Turn, case_id: int, answer: dict[str, Any]) -> None:
        try:
            code = await self._deliver(turn, case_id, answer, follow_up=False)
        except Refused as refusal:
            turn.finish()
            say_refusal(turn, refusal)
            return
        turn.goto(self.name, "more")
        turn.state.data.pop(PENDING, None)
        turn.state.data.update({CASE: case_id, "code": code, UNTIL: (turn.now + MORE_FOR).isoformat()})
        sent = turn.t("reply.sent", code=code)
        turn.say(f"{sent}\n{turn.t('reply.more')}" if answer.get("media") else sent)  # an album has more
