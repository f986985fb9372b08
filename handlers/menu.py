"""The menu: what the citizen can do. Anything they send here that could be a case starts one; a greeting
gets a friendly pointer, never silence."""

from __future__ import annotations

from typing import ClassVar

from bot.domain.intake import is_small_talk
from handlers.base import Flow, Turn
from handlers.common import MENU, help_for, show_menu
from handlers.drafting import content_of
from handlers.report import start_draft


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
            await tell_or_point(turn)


async def tell_or_point(turn: Turn) -> None:
    """A message outside any question: the start of a case, or a greeting answered with the menu."""
    content = content_of(turn.inbound)
    if content is None or turn.actor.citizen_id is None:
        turn.say(turn.t("menu.not_understood"))
        await show_menu(turn)
    elif content.kind == "text" and is_small_talk(content.text):
        turn.say(turn.t("menu.hello"))
        await show_menu(turn)
    else:
        await start_draft(turn, [content])
