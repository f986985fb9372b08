"""Choose Vietnamese or English; Vietnamese is the default."""

from __future__ import annotations

from typing import ClassVar

from bot.channels.model import Choice
from bot.i18n import LANGUAGES
from handlers.base import Turn
from handlers.common import MENU, show_menu


class LanguageFlow:
    name: ClassVar[str] = "language"
    states: ClassVar[tuple[str, ...]] = ("choose",)

    async def begin(self, turn: Turn) -> None:
        if turn.inbound.argument.lower() in LANGUAGES:  # `/lang en`: the web page's language switch
            await self.switch(turn, turn.inbound.argument.lower())
            return
        turn.goto(self.name, "choose")
        # Each language is offered in its own words, so a reader of either can find theirs.
        turn.say(turn.t("language.prompt"),
                 [Choice(code, turn.services.translator(code)("language.name")) for code in LANGUAGES])

    @staticmethod
    async def switch(turn: Turn, language: str) -> None:
        """Set the chat's language at once; a step in progress stays where it was and is asked again in
        the new language by its next message, an idle chat gets the menu."""
        busy = turn.state.flow not in (None, MENU)
        turn.state.language = language
        turn.say(turn.t("language.changed"))
        if not busy:
            await show_menu(turn)

    async def handle(self, turn: Turn) -> None:
        if turn.choice in LANGUAGES:
            turn.state.language = turn.choice
            turn.finish()
            turn.say(turn.t("language.changed"))
            await show_menu(turn)
        else:
            turn.say(turn.t("common.choose_from_list"))
            await self.begin(turn)
