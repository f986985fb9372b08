"""`tiepdan inbox failed|retry` and `tiepdan outbox failed`: the rows that need a person."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import text

from bot.config import Settings
from storage.repositories import inbox, outbox
from storage.uow import Database


def add_parsers(sub: Any) -> None:
    box = sub.add_parser("inbox", help="updates the flows could not handle")
    box_sub = box.add_subparsers(dest="inbox_command", required=True)
    box_sub.add_parser("failed", help="list them, newest first")
    retry = box_sub.add_parser("retry", help="handle them again (once the cause is fixed)")
    retry.add_argument("ids", nargs="*", type=int, default=[], help="inbox row ids")
    retry.add_argument("--all", action="store_true", help="every failed row")
    out = sub.add_parser("outbox", help="messages that could not be delivered")
    out.add_argument("what", choices=["failed"])


async def run(settings: Settings, args: argparse.Namespace) -> int:
    db = Database(settings.database_url)
    try:
        if args.command == "outbox":
            return await _outbox_failed(db)
        if args.inbox_command == "failed":
            return await _inbox_failed(db)
        if args.all == bool(args.ids):
            print("name the rows to retry, or say --all (not both)")
            return 2
        return await _inbox_retry(db, None if args.all else list(args.ids))
    finally:
        await db.dispose()


async def _outbox_failed(db: Database) -> int:
    async with db.unit_of_work(readonly=True) as uow:
        rows = await outbox.failed(uow.session)
    for row in rows:
        print(f"#{row.id} {row.channel}:{row.chat_id} {row.purpose} attempts={row.attempts}: {row.last_error}")
    print(f"{len(rows)} failed message(s)")
    return 0


async def _inbox_failed(db: Database) -> int:
    async with db.unit_of_work(readonly=True) as uow:
        rows = await inbox.failed(uow.session)
    for row in rows:
        when = row.processed_at.strftime("%Y-%m-%d %H:%M") if row.processed_at else "-"
        error = (row.error or "").splitlines()[0][:160] if row.error else ""
        print(f"#{row.id} {row.channel} {when} attempts={row.attempts}: {error}")
    print(f"{len(rows)} failed update(s)")
    return 0


async def _inbox_retry(db: Database, ids: list[int] | None) -> int:
    async with db.unit_of_work() as uow:
        chats = await inbox.retry_failed(uow.session, ids)
        if not db.sqlite and chats:  # running processes hear of it at once; SQLite's find it on their next scan
            from bot.workers.listen import CHANNEL, encode

            work = {("in", channel, chat) for channel, chat in chats}
            await uow.session.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": encode("cli", work)})
        await uow.commit()
    print(f"{len(chats)} chat(s) queued again")
    return 0
