"""First contact: a short personal-data notice and consent, recorded with the notice version.

A new notice version asks again. Whatever the citizen sent before agreeing (a photo, their story) waits in
the chat's state and becomes their case once they agree: nothing they sent is lost.
"""

from __future__ import annotations

from typing import ClassVar

from bot.channels.model import Choice
from handlers.base import Turn
from handlers.common import show_menu
from handlers.drafting import Content, content_of
from handlers.report import start_draft

MAX_WAITING = 10  # messages kept while the notice is unanswered


class OnboardingFlow:
    name: ClassVar[str] = "onboarding"
    states: ClassVar[tuple[str, ...]] = ("consent",)

    async def begin(self, turn: Turn) -> None:
        if turn.actor.official_id is not None or turn.actor.consented:
            turn.say(turn.t("start.welcome_back", org=turn.services.org.name))
            await show_menu(turn)
            return
        turn.goto(self.name, "consent")
        kept = self._keep(turn)
        earlier = None
        if turn.actor.citizen_id is not None:
            earlier = await turn.services.privacy.earlier_consent(turn.actor.citizen_id)
        if earlier is not None:
            turn.say(turn.t("consent.updated", earlier=earlier, version=turn.services.org.notice_version))
        else:
            turn.say(turn.t("start.welcome", org=turn.services.org.name))
        if kept:
            turn.say(turn.t("consent.kept"))
        self._ask(turn)

    def _ask(self, turn: Turn) -> None:
        turn.say(
            turn.t("consent.notice", version=turn.services.org.notice_version),
            [Choice("agree", turn.t("consent.agree")), Choice("decline", turn.t("consent.decline"))],
        )

    def _keep(self, turn: Turn) -> bool:
        """What the citizen sent, kept for after the notice (their words, photos, location - not a phone)."""
        content = content_of(turn.inbound)
        if content is None or content.kind in ("contact", "unsupported") or turn.choice is not None:
            return False
        waiting = turn.state.data.get("waiting", [])
        if len(waiting) >= MAX_WAITING:
            return False
        turn.state.data["waiting"] = [*waiting, content.to_json()]
        return True

    async def handle(self, turn: Turn) -> None:
        if turn.choice == "agree" and turn.actor.citizen_id is not None:
            await turn.services.identities.grant_consent(
                turn.actor.citizen_id, turn.services.org.notice_version, turn.now
            )
            turn.actor.consented = True
            waiting = [Content.from_json(c) for c in turn.state.data.get("waiting", [])]
            turn.finish()
            turn.say(turn.t("consent.thanks"))
            if waiting:
                await start_draft(turn, waiting)
            else:
                await show_menu(turn)
        elif turn.choice == "decline":
            turn.say(turn.t("consent.declined"))
            self._ask(turn)
        else:
            turn.say(turn.t("consent.kept" if self._keep(turn) else "consent.required"))
            self._ask(turn)
