"""/dashboard: an official gets a one-time, short-lived link that signs them in to the leaders' dashboard."""

from __future__ import annotations

from handlers.base import Turn


async def open_dashboard(turn: Turn) -> None:
    link = await turn.services.dashboard.issue(turn.actor.official_id, turn.now)
    if link is None:
        turn.say(turn.t("dashboard.not_allowed"))
        return
    turn.say(turn.t("dashboard.link", url=link.url, minutes=link.minutes))
