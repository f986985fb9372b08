"""Command line: `tiepdan run | serve | worker | migrate | org check|load | outbox failed`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings
from bot.logs import setup_logging

log = logging.getLogger("tiepdan")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "org" and args.org_command == "check":
        return _org_check(args.file)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc.code, file=sys.stderr)
        return 2
    setup_logging(settings.log_level, settings.secrets())
    return asyncio.run(_dispatch(args, settings))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tiepdan", description="Tiếp Dân: citizens and their government")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="migrate, load the organisation if empty, and run (long polling / web chat)")
    sub.add_parser("serve", help="webhook mode: the aiohttp server receives updates")
    sub.add_parser("worker", help="only the consumer and dispatcher (for extra processes)")
    sub.add_parser("migrate", help="apply database migrations")
    org = sub.add_parser("org", help="the organisation file")
    org_sub = org.add_subparsers(dest="org_command", required=True)
    org_sub.add_parser("check", help="report every problem with file, line and reason").add_argument(
        "file", type=Path)
    load = org_sub.add_parser("load", help="load the file into the database in one transaction")
    load.add_argument("file", type=Path)
    load.add_argument("--if-empty", action="store_true", help="only when no organisation is loaded yet")
    outbox = sub.add_parser("outbox", help="messages that could not be delivered")
    outbox.add_argument("what", choices=["failed"])
    return parser


def _org_check(path: Path) -> int:
    from bot.services.org.check import check_file

    problems = check_file(path)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {path}", file=sys.stderr)
        return 1
    print(f"{path}: OK")
    return 0


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from storage.migrate import upgrade_async

    if args.command == "migrate":
        await upgrade_async(settings.database_url)
        print("database is up to date")
        return 0
    if args.command == "org":
        return await _org_load(settings, args.file, args.if_empty)
    if args.command == "outbox":
        return await _outbox_failed(settings)
    if args.command == "run":
        await upgrade_async(settings.database_url)
        if await _org_load(settings, settings.org_file, if_empty=True) != 0:
            return 1
    from bot.runner import run

    return await run(args.command, settings)


async def _org_load(settings: Settings, path: Path, if_empty: bool) -> int:
    from bot.services.org.check import check_file
    from bot.services.org.load import load_file
    from bot.services.org_view import is_loaded
    from storage.db import create_engine

    engine = create_engine(settings.database_url)
    try:
        if if_empty and await is_loaded(engine):
            return 0
        problems = check_file(path)
        if problems:
            for problem in problems:
                print(problem, file=sys.stderr)
            return 1
        summary = await load_file(engine, path)
        print(f"loaded {path}: {summary}")
        return 0
    finally:
        await engine.dispose()


async def _outbox_failed(settings: Settings) -> int:
    from storage.repositories import outbox
    from storage.uow import Database

    db = Database(settings.database_url)
    try:
        async with db.unit_of_work(readonly=True) as uow:
            rows = await outbox.failed(uow.session)
        for row in rows:
            print(f"#{row.id} {row.channel}:{row.chat_id} {row.purpose} attempts={row.attempts}: {row.last_error}")
        print(f"{len(rows)} failed message(s)")
        return 0
    finally:
        await db.dispose()


def install_stop_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)


if __name__ == "__main__":
    raise SystemExit(main())
