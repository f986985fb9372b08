"""The menu: what the citizen can do; free text here gets a pointer, never silence."""

from __future__ import annotations

from typing import ClassVar

from handlers.base import Flow, Turn
from handlers.common import MENU, help_for, show_menu


class MenuFlow:
    name: ClassVar[str] = MENU
    states: ClassVar[tuple[str, ...]] = ("choose",)

    def __init__(self, targets: dict[str, Flow]) -> None:
        self.targets = targets  # menu key -> the flow it starts

    async def begin(self, turn: Turn) -> None:
        await show_menu(turn)

    async def handle(self, turn: Turn) -> None:
        target = self.targets.get(turn.choice or "")
        if target is not None:
            await target.begin(turn)
        elif turn.choice == "help":
            turn.finish()
            await help_for(turn)
            await show_menu(turn)
        else:
            turn.say(turn.t("menu.not_understood"))
            await show_menu(turn)
