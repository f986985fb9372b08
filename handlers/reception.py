"""/reception: the next fixed citizen-reception day of each unit (the law's schedule), with place and leader."""

from __future__ import annotations

from bot.services.receptions import next_receptions
from handlers.base import Turn


async def show_receptions(turn: Turn) -> None:
    services = turn.services
    lines = await next_receptions(services.session, services.org, turn.now.astimezone(services.app.tz).date(),
                                  services.app.tz, turn.t)
    turn.say(turn.t("reception.heading", lines="\n".join(lines)) if lines else turn.t("reception.none"))
