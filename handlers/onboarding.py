"""First contact: a short personal-data notice and consent, recorded with the notice version."""

from __future__ import annotations

from typing import ClassVar

from bot.channels.model import Choice
from handlers.base import Turn
from handlers.common import show_menu


class OnboardingFlow:
    name: ClassVar[str] = "onboarding"
    states: ClassVar[tuple[str, ...]] = ("consent",)

    async def begin(self, turn: Turn) -> None:
        if turn.actor.official_id is not None or turn.actor.consented:
            turn.say(turn.t("start.welcome_back", org=turn.services.org.name))
            await show_menu(turn)
            return
        turn.goto(self.name, "consent")
        turn.say(turn.t("start.welcome", org=turn.services.org.name))
        self._ask(turn)

    def _ask(self, turn: Turn) -> None:
        turn.say(
            turn.t("consent.notice", version=turn.services.org.notice_version),
            [Choice("agree", turn.t("consent.agree")), Choice("decline", turn.t("consent.decline"))],
        )

    async def handle(self, turn: Turn) -> None:
        if turn.choice == "agree" and turn.actor.citizen_id is not None:
            await turn.services.identities.grant_consent(
                turn.actor.citizen_id, turn.services.org.notice_version, turn.now
            )
            turn.actor.consented = True
            turn.finish()
            turn.say(turn.t("consent.thanks"))
            await show_menu(turn)
        elif turn.choice == "decline":
            turn.say(turn.t("consent.declined"))
            self._ask(turn)
        else:
            turn.say(turn.t("consent.required"))
            self._ask(turn)
