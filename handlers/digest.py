"""/digest: a leader or head reads the digest of their units on demand, for any period, with its chart.

`/digest` alone offers the last seven days, last week and last month (buttons or numbers); `/digest 2026-W09`
or `/digest 2026-02` goes straight to that period. Like the acknowledgement, the router asks this flow before
any other, so it works from an official's chat whatever they were doing.
"""

from __future__ import annotations

from typing import ClassVar

from bot.channels.model import Choice, InboundKind
from bot.domain.digest import Period, last_days, last_month, last_week, parse_period
from handlers.base import Turn

COMMAND = "/digest"
MAX_PERIOD_TEXT = 32
BAD = "unreadable"


class DigestFlow:
    name: ClassVar[str] = "digest"
    states: ClassVar[tuple[str, ...]] = ("period",)

    async def claims(self, turn: Turn) -> bool:
        if turn.actor.official_id is None:
            return False
        command = turn.inbound.command
        if command is not None:
            return command == COMMAND
        if turn.state.flow != self.name:
            return False
        # A button about something else (a case card) is for the desk, which ends this flow.
        if turn.inbound.kind is InboundKind.CHOICE and turn.choice is None:
            return False
        if turn.state.data.get(BAD) and turn.choice is None and parse_period(
                turn.text[:MAX_PERIOD_TEXT] or "-", turn.now, turn.services.app.tz) is None:
            # Asked again after an unreadable period: this message is something else (an invite code, a
            # case's code), not another try - the flow ends and the message is handled as usual.
            turn.finish()
            return False
        return True

    async def handle(self, turn: Turn) -> None:
        if turn.inbound.command == COMMAND:
            await self.begin(turn)
        else:
            await self.choose(turn)

    async def begin(self, turn: Turn) -> None:
        reader = await turn.services.digests.reader(turn.actor.official_id)
        if reader is None:
            turn.finish()
            turn.say(turn.t("digest.not_allowed"))
            return
        argument = turn.inbound.argument
        if not argument:
            self._ask(turn)
            return
        period = parse_period(argument[:MAX_PERIOD_TEXT], turn.now, turn.services.app.tz)
        if period is None:
            self._ask(turn, unreadable=argument[:MAX_PERIOD_TEXT])
            return
        await self._send(turn, period)

    async def choose(self, turn: Turn) -> None:
        tz = turn.services.app.tz
        period: Period | None
        if turn.choice == "days":
            period = last_days(turn.now, tz)
        elif turn.choice == "week":
            period = last_week(turn.now, tz)
        elif turn.choice == "month":
            period = last_month(turn.now, tz)
        else:
            typed = turn.text[:MAX_PERIOD_TEXT]
            period = parse_period(typed, turn.now, tz) if typed else None
            if period is None:
                self._ask(turn, unreadable=typed or "-")
                return
        await self._send(turn, period)

    def _ask(self, turn: Turn, unreadable: str | None = None) -> None:
        tz = turn.services.app.tz
        turn.goto(self.name, "period")
        turn.state.data[BAD] = unreadable is not None
        choices = [
            Choice("days", turn.t("digest.choice.days")),
            Choice("week", turn.t("digest.choice.week", label=last_week(turn.now, tz).label)),
            Choice("month", turn.t("digest.choice.month", label=last_month(turn.now, tz).label)),
        ]
        if unreadable is not None:
            turn.say(turn.t("digest.bad_period", text=unreadable), choices)
        else:
            turn.say(turn.t("digest.ask_period"), choices)

    async def _send(self, turn: Turn, period: Period) -> None:
        turn.finish()
        reader = await turn.services.digests.reader(turn.actor.official_id)
        if reader is None:
            turn.say(turn.t("digest.not_allowed"))
            return
        text, chart_id = await turn.services.digests.for_reader(reader, period, turn.state.language, turn.now)
        turn.say(text, attachment_ids=(chart_id,), caption=text.split("\n", 1)[0])  # one photo, captioned
