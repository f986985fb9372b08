"""`tiepdan digest` and `tiepdan sweep`: a unit's digest for a period, and one deadline sweep at a moment.

    tiepdan digest --unit P_SAODO --period 2026-W09 --dry-run [--chart chart.png] [--lang en]
    tiepdan sweep [--at 2026-02-27T17:00+07:00 [--send]]

Without --dry-run the digest is also queued to the unit's leaders and heads, claimed like the weekly one, so
nobody gets the same period twice. `sweep --at` is a what-if: it runs the catch-up sweep as if the clock read
that moment and prints what it would send (to whom, when, what), then undoes it all; with `--send` it does it
for real (operations after an outage, the tests' two-process run). Without `--at` the sweep runs now.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.clock import Clock, FakeClock, SystemClock
from bot.config import Settings
from bot.domain.digest import parse_period
from bot.services.digest import READERS, Digests, deliver
from bot.services.org_view import OrgCache
from bot.services.sweep import run_sweep
from storage.models import ChannelIdentity, Official, OutboxItem
from storage.uow import Database


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    digest = sub.add_parser("digest", help="print (and queue) the digest of a unit for a period")
    digest.add_argument("--unit", required=True, help="unit code, e.g. P_SAODO")
    digest.add_argument("--period", default="", help="2026-W09 (ISO week), 2026-02 (month); default: last 7 days")
    digest.add_argument("--dry-run", action="store_true", help="only print it")
    digest.add_argument("--chart", type=Path, help="also write the chart PNG to this file")
    digest.add_argument("--lang", default="vi", choices=["vi", "en"])
    sweep = sub.add_parser("sweep", help="run the deadline sweep once")
    sweep.add_argument("--at", type=_moment, help="as if the clock read this ISO moment (with its offset); "
                       "a what-if that only prints what it would send, unless --send")
    sweep.add_argument("--send", action="store_true", help="with --at: really write the messages")


async def _names(db: Database, rows: list[OutboxItem]) -> dict[tuple[str, str], str]:
    """Who each chat belongs to, by the official's name (citizens stay anonymous)."""
    chats = {(r.channel, r.chat_id) for r in rows}
    if not chats:
        return {}
    async with db.unit_of_work(readonly=True) as uow:
        found = (await uow.session.execute(
            select(ChannelIdentity.channel, ChannelIdentity.chat_id, Official.name)
            .join(Official, Official.id == ChannelIdentity.official_id))).all()
    return {(c, k): n for c, k, n in found if (c, k) in chats}


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give the moment with its offset, e.g. 2026-02-27T17:00+07:00")
    return moment.astimezone(UTC)


async def digest_command(settings: Settings, args: argparse.Namespace) -> int:
    db = Database(settings.database_url)
    now = SystemClock().now()
    try:
        async with db.unit_of_work() as uow:
            org = await OrgCache().get(uow.session, now.date())
            unit = org.units.get(args.unit.strip().upper())
            if unit is None:
                print(f"no unit {args.unit!r} in the organisation")
                return 2
            period = parse_period(args.period, now, org.calendar.tz)
            if period is None:
                print(f"cannot read the period {args.period!r}: use 2026-W09 or 2026-02")
                return 2
            message = await Digests(uow.session, org).message(unit.id, period, args.lang, now)
            print(message.text)
            if args.chart is not None:
                args.chart.write_bytes(message.chart)
                print(f"chart: {args.chart}")
            if args.dry_run:
                return 0
            readers = (await uow.session.execute(
                select(Official.id).where(Official.unit_id == unit.id, Official.role.in_(READERS),
                                          Official.active.is_(True)).order_by(Official.id))).scalars().all()
            queued = [reader for reader in readers if await deliver(uow.session, org, reader, period, now)]
            await uow.commit()
        print(f"queued for {len(queued)} of {len(readers)} reader(s) of {unit.code}")
        return 0
    finally:
        await db.dispose()


async def sweep_command(settings: Settings, args: argparse.Namespace) -> int:
    db = Database(settings.database_url)
    clock: Clock = FakeClock(args.at) if args.at is not None else SystemClock()
    what_if = args.at is not None and not args.send
    try:
        report = await run_sweep(db, clock, what_if=what_if)
        if what_if:
            names = await _names(db, report.would_send)
    finally:
        await db.dispose()
    if what_if:
        tz = ZoneInfo("Asia/Ho_Chi_Minh")
        print(f"what if the clock read {args.at.astimezone(tz):%H:%M %d/%m/%Y}: nothing was sent or changed "
              "(add --send to do it)")
        for row in report.would_send:
            first_line = str(row.payload.get("text", "")).split("\n", 1)[0]
            buttons = ", ".join(label for _, label in row.payload.get("choices") or [])
            print(f"- to {names.get((row.channel, row.chat_id), '?')} ({row.channel}:{row.chat_id}) "
                  f"at {row.next_attempt_at.astimezone(tz):%H:%M %d/%m}: {first_line}"
                  + (f" [{buttons}]" if buttons else ""))
    print(f"cases={report.cases} reminders={report.reminders} escalations={report.escalations} "
          f"repeats={report.repeats} overdue_lists={report.overdue_lists} messages={report.messages} "
          f"released={report.released}")
    return 0
