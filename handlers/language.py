"""Choose Vietnamese or English; Vietnamese is the default."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import ClassVar

from bot.channels.model import Choice
from bot.i18n import LANGUAGES
from handlers.base import Turn
from handlers.common import MENU, show_menu

AskAgain = Callable[[Turn], Awaitable[bool]]  # a flow's current question once more; False if it has none


class LanguageFlow:
    name: ClassVar[str] = "language"
    states: ClassVar[tuple[str, ...]] = ("choose",)

    def __init__(self, ask_again: Mapping[str, AskAgain] | None = None) -> None:
        self.ask_again = dict(ask_again or {})  # by flow name: the flows that can repeat their question

    async def begin(self, turn: Turn) -> None:
        if turn.inbound.argument.lower() in LANGUAGES:  # `/lang en`: the web page's language switch
            await self.switch(turn, turn.inbound.argument.lower())
            return
        turn.goto(self.name, "choose")
        # Each language is offered in its own words, so a reader of either can find theirs.
        turn.say(turn.t("language.prompt"),
                 [Choice(code, turn.services.translator(code)("language.name")) for code in LANGUAGES])

    async def switch(self, turn: Turn, language: str) -> None:
        """Set the chat's language at once. An idle chat gets the menu; a step in progress stays where it was
        and its question comes again in the new language, buttons and all (else by its next message), so the
        page shows no buttons of the old language under the new one."""
        busy = turn.state.flow not in (None, MENU)
        turn.state.language = language
        turn.say(turn.t("language.changed"))
        if not busy:
            await show_menu(turn)
            return
        again = self.ask_again.get(turn.state.flow or "")
        if again is not None:
            await again(turn)

    async def handle(self, turn: Turn) -> None:
        if turn.choice in LANGUAGES:
            turn.state.language = turn.choice
            turn.finish()
            turn.say(turn.t("language.changed"))
            await show_menu(turn)
        else:
            turn.say(turn.t("common.choose_from_list"))
            await self.begin(turn)
