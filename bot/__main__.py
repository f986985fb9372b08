"""Command line: `tiepdan run | serve | worker | migrate | org check|load | inbox failed|retry | outbox failed |
invite | officials list|revoke | reveal | digest | sweep | apikey | examples list|remove`."""

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
    setup_logging(settings.log_level, settings.secrets(),
                  id_key=settings.web_secret.get_secret_value().encode() if settings.web_secret else None)
    return asyncio.run(_dispatch(args, settings))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tiepdan", description="Tiếp Dân: citizens and their government")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="migrate, load the organisation if empty, and run (long polling / web chat)")
    sub.add_parser("serve", help="webhook mode: the aiohttp server receives updates")
    sub.add_parser("worker", help="only the consumer and the sender, with health on WORKER_PORT (for extra processes)")
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("routes", help="print the routing table: which part of the bot takes a message, in order")
    org = sub.add_parser("org", help="the organisation file")
    org_sub = org.add_subparsers(dest="org_command", required=True)
    org_sub.add_parser("check", help="report every problem with file, line and reason").add_argument(
        "file", type=Path)
    load = org_sub.add_parser("load", help="load the file into the database in one transaction")
    load.add_argument("file", type=Path)
    load.add_argument("--if-empty", action="store_true", help="only when no organisation is loaded yet")
    from bot import cli_officials, cli_queues

    cli_queues.add_parsers(sub)

    cli_officials.add_parsers(sub)
    from bot.cli_deadlines import add_parsers

    add_parsers(sub)
    from bot import cli_examples, cli_open

    cli_open.add_parsers(sub)
    cli_examples.add_parsers(sub)
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
    if args.command == "routes":
        from handlers import build_router

        print("\n".join(build_router().describe()))
        return 0
    from storage.migrate import upgrade_async

    if args.command == "migrate":
        await upgrade_async(settings.database_url)
        print("database is up to date")
        return 0
    if args.command == "org":
        return await _org_load(settings, args.file, args.if_empty)
    if args.command in ("inbox", "outbox"):
        from bot import cli_queues

        return await cli_queues.run(settings, args)
    if args.command in ("invite", "officials", "reveal", "reveal-approve", "audit"):
        from bot import cli_officials

        return await cli_officials.run(settings, args)
    if args.command == "apikey":
        from bot import cli_open

        return await cli_open.run(settings, args)
    if args.command in ("digest", "sweep"):
        from bot.cli_deadlines import digest_command, sweep_command

        return await (digest_command if args.command == "digest" else sweep_command)(settings, args)
    if args.command == "examples":
        from bot import cli_examples

        return await cli_examples.run(settings, args)
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
        print(f"loaded {path}: {summary.units} units, {summary.areas} areas, {summary.categories} categories, "
              f"{summary.officials} officials' seats, {summary.routing_rules} routing rules, "
              f"{summary.policies} deadline policies, {summary.calendar_days} calendar days "
              f"({summary.first_year}-{summary.last_year})")
        for kept in summary.kept:
            print(f"  kept {kept}: the file dropped it but cases still use it")
        for seat in summary.deactivated_seats:
            print(f"  seat {seat} deactivated: the file dropped it but cases or chats still use it")
        return 0
    finally:
        await engine.dispose()


def install_stop_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)


if __name__ == "__main__":
    raise SystemExit(main())
