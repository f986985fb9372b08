"""/my: the citizen's own cases, newest first, a page at a time."""

from __future__ import annotations

from typing import ClassVar

from bot.channels.model import Choice
from handlers.base import Turn
from handlers.common import show_menu
from handlers.menu import tell_or_point


class MyCasesFlow:
    name: ClassVar[str] = "my_cases"
    states: ClassVar[tuple[str, ...]] = ("list",)

    async def begin(self, turn: Turn) -> None:
        turn.goto(self.name, "list")
        await self._show(turn, 0)

    async def handle(self, turn: Turn) -> None:
        page = int(turn.state.data.get("page", 0))
        if turn.choice == "next":
            await self._show(turn, page + 1)
        elif turn.choice == "prev":
            await self._show(turn, max(0, page - 1))
        elif turn.choice == "menu":
            turn.finish()
            await show_menu(turn)
        else:  # words, a photo...: the list is done with, and what they sent may be a new case
            turn.finish()
            await tell_or_point(turn)

    async def _show(self, turn: Turn, page: int) -> None:
        if turn.actor.citizen_id is None:
            turn.finish()
            turn.say(turn.t("my.none"))
            return
        cases = turn.services.cases
        lines, pages = await cases.mine(turn.actor.citizen_id, page, turn.state.language)
        if not lines and page > 0:  # an old "next" pressed again: show the last page there is
            page = pages - 1
            lines, pages = await cases.mine(turn.actor.citizen_id, page, turn.state.language)
        if not lines:
            turn.finish()
            turn.say(turn.t("my.none"))
            await show_menu(turn)
            return
        turn.state.data["page"] = page
        tz = turn.services.app.tz
        body = "\n\n".join(
            turn.t("my.line", code=c.code, kind=turn.t(f"kind.{c.kind}"), status=turn.t(f"status.{c.status}"),
                   unit=c.unit, due=turn.t.due(c.due_at, tz) if c.due_at else turn.t("common.none"))
            for c in lines
        )
        choices = []
        if page > 0:
            choices.append(Choice("prev", turn.t("my.prev")))
        if page + 1 < pages:
            choices.append(Choice("next", turn.t("my.next")))
        choices.append(Choice("menu", turn.t("menu.back")))
        turn.say(turn.t("my.header", page=page + 1, pages=pages) + "\n\n" + body + "\n\n" + turn.t("my.hint"),
                 choices)
