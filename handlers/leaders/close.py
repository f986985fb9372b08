"""Closing a task: done at once; "not done" only with a reason the standing committee accepts (3 không)."""

from __future__ import annotations

from typing import ClassVar

from bot.channels.model import Choice
from bot.domain.authz import Refused
from handlers.base import Turn
from handlers.leaders.common import choose_again, typed
from handlers.officials.common import done, say_refusal

CODE = "code"


class CloseFlow:
    name: ClassVar[str] = "task_close"
    states: ClassVar[tuple[str, ...]] = ("how", "reason")

    async def begin(self, turn: Turn) -> None:
        code = (turn.inbound.argument or "").strip()
        if not code or len(code) > 32:
            turn.say(turn.t("work.close.usage"))
            return
        try:
            item = await turn.services.work.tracked(turn.actor.official_id, code)
        except Refused as refusal:
            say_refusal(turn, refusal)
            return
        done(turn)
        turn.goto(self.name, "how")
        turn.state.data[CODE] = item.code
        turn.say(turn.t("work.close.ask", code=item.code or "", title=item.title),
                 [Choice("done", turn.t("work.close.done")), Choice("not_done", turn.t("work.close.not_done"))])

    async def handle(self, turn: Turn) -> None:
        code = str(turn.state.data.get(CODE, ""))
        if turn.state.step == "how":
            if turn.choice == "not_done":
                turn.state.step = "reason"
                turn.say(turn.t("work.close.ask_reason"))
            elif turn.choice == "done":
                await self._close(turn, code, True, "")
            else:
                choose_again(turn)
            return
        reason = typed(turn)
        if reason == "":
            turn.say(turn.t("work.refused.reason_needed"))
        if reason:
            await self._close(turn, code, False, reason)

    async def _close(self, turn: Turn, code: str, is_done: bool, reason: str) -> None:
        try:
            await turn.services.work.close(turn.actor.official_id, code, is_done, reason)
        except Refused as refusal:
            say_refusal(turn, refusal)
            done(turn)
            return
        done(turn)
        turn.say(turn.t("work.close.closed" if is_done else "work.close.asked", code=code))
