"""Closing a task: done at once; "not done" only with a reason the standing committee accepts (3 không)."""

from __future__ import annotations

from bot.channels.model import Choice
from bot.domain.authz import Refused
from bot.i18n import N_
from handlers.base import DeclaredFlow, Turn
from handlers.leaders.common import CODE, choose_again, open_tracked, typed
from handlers.officials.common import done, say_refusal


class CloseFlow(DeclaredFlow, name="task_close", states=("how", "reason")):
    async def begin(self, turn: Turn) -> None:
        item = await open_tracked(turn, self.name, "how", N_("work.close.usage"))
        if item is None:
            return
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
