"""Command line for Open311 clients: `tiepdan apikey create --name NAME | list | revoke ID`.

The key is printed once, at creation; the database keeps only its SHA-256.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from bot.clock import SystemClock
from bot.config import Settings
from bot.services.open311 import ApiKeys
from storage.uow import Database


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    apikey = sub.add_parser("apikey", help="API keys of Open311 clients that may file cases")
    what = apikey.add_subparsers(dest="apikey_command", required=True)
    create = what.add_parser("create", help="a new key, printed once (only its hash is stored)")
    create.add_argument("--name", required=True, help="who uses it, e.g. 'FixMyStreet Chí Linh'")
    what.add_parser("list", help="keys with their names and state")
    revoke = what.add_parser("revoke", help="stop a key from filing")
    revoke.add_argument("id", type=int)


async def run(settings: Settings, args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    db = Database(settings.database_url)
    now = SystemClock().now()
    try:
        async with db.unit_of_work() as uow:
            keys = ApiKeys(uow.session)
            if args.apikey_command == "create":
                if not args.name.strip():
                    print("a name is required", file=sys.stderr)
                    return 2
                key, raw = await keys.create(args.name, now)
                await uow.commit()
                print(f"API key #{key.id} for {key.name}: {raw}", file=out)
                print("Keep it now: it is not stored and cannot be shown again.", file=out)
                return 0
            if args.apikey_command == "list":
                for key in await keys.listing():
                    state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
                    print(f"#{key.id} {key.name} (created {key.created_at:%Y-%m-%d}, {state})", file=out)
                return 0
            if not await keys.revoke(args.id, now):
                print(f"no active key #{args.id}", file=sys.stderr)
                return 1
            await uow.commit()
            print(f"key #{args.id} revoked", file=out)
            return 0
    finally:
        await db.dispose()
