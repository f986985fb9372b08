"""Choose Vietnamese or English; Vietnamese is the default."""

from __future__ import annotations

from typing import ClassVar

from bot.channels.model import Choice
from bot.i18n import LANGUAGES
from handlers.base import Turn
from handlers.common import show_menu


class LanguageFlow:
    name: ClassVar[str] = "language"
    states: ClassVar[tuple[str, ...]] = ("choose",)

    async def begin(self, turn: Turn) -> None:
        turn.goto(self.name, "choose")
        # Each language is offered in its own words, so a reader of either can find theirs.
        turn.say(turn.t("language.prompt"),
                 [Choice(code, turn.services.translator(code)("language.name")) for code in LANGUAGES])

    async def handle(self, turn: Turn) -> None:
        if turn.choice in LANGUAGES:
            turn.state.language = turn.choice
            turn.finish()
            turn.say(turn.t("language.changed"))
            await show_menu(turn)
        else:
            turn.say(turn.t("common.choose_from_list"))
            await self.begin(turn)
