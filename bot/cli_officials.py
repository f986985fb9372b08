"""Command line for officials: `tiepdan invite`, `tiepdan officials list|revoke`, `tiepdan reveal`.

The terminal is the only place a denunciation's sender can be revealed: never a messenger. Each command is one
unit of work; what it prints is for the operator at the terminal (English, like the rest of the CLI), while
refusals are the catalog's words in the organisation's default language.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TextIO

from bot.clock import SystemClock
from bot.config import Settings
from bot.domain.authz import Refused
from bot.i18n import translator
from bot.services import Services
from bot.services.context import AppContext
from bot.services.officials import IssuedInvite
from bot.services.org_view import OrgCache
from storage.uow import Database

log = logging.getLogger(__name__)

COMMANDS = ("invite", "officials", "reveal", "reveal-approve", "audit")
ROLES = ("officer", "head", "leader", "overseer", "admin", "committee")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    invite = sub.add_parser("invite", help="a one-time code (valid 7 days) that links an official's account")
    invite.add_argument("--unit", help="unit code, e.g. P_SAODO")
    invite.add_argument("--role", choices=ROLES)
    invite.add_argument("--name", help="the official's full name")
    invite.add_argument("--phone", help="linking then also requires sharing this number where the channel can")
    invite.add_argument("--replace", action="store_true",
                        help="with --role head: replace the unit's current head (their access ends)")
    invite.add_argument("--seat", help="invite for a seat of the organisation file (unit, role and name from it)")
    invite.add_argument("--view-identity", action="store_true",
                        help="grant seeing a denunciation's sender (tiepdan reveal)")
    officials = sub.add_parser("officials", help="list officials, or revoke one's access")
    what = officials.add_subparsers(dest="officials_command", required=True)
    listing = what.add_parser("list", help="officials with their linked accounts and open invites")
    listing.add_argument("--unit", help="only this unit")
    revoke = what.add_parser("revoke", help="unlink an official's accounts and revoke their open invites")
    revoke.add_argument("official", nargs="?", help="seat code or number")
    revoke.add_argument("--invite", type=int, help="revoke only this invite (its number in the list)")
    reveal = sub.add_parser("reveal", help="show who sent a case (view_identity holders only; recorded)")
    reveal.add_argument("case", help="tracking code, e.g. TC-2026-000001")
    reveal.add_argument("--by", required=True, help="your seat code or official number")
    reveal.add_argument("--approval", help="the one-time code a second official gave you (tiepdan reveal-approve)")
    reveal.add_argument("--reason", default="", help="why (kept in the audit chain)")
    approve = sub.add_parser("reveal-approve", help="as a second official, approve one reveal (prints a code)")
    approve.add_argument("case", help="tracking code, e.g. TC-2026-000001")
    approve.add_argument("--for", dest="requester", required=True, help="the requesting official's seat or number")
    approve.add_argument("--by", required=True, help="your seat code or official number")
    approve.add_argument("--reason", required=True, help="why (kept in the audit chain)")
    audit = sub.add_parser("audit", help="the reveal audit chain")
    audit.add_argument("audit_command", choices=["verify"], help="recompute the chain; exit 1 if it is broken")


async def run(settings: Settings, args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    db = Database(settings.database_url)
    try:
        if args.command == "invite":
            return await invite_command(settings, db, args, out)
        if args.command == "reveal":
            return await reveal_command(settings, db, args, out)
        if args.command == "reveal-approve":
            return await approve_command(settings, db, args, out)
        if args.command == "audit":
            return await audit_command(settings, db, args, out)
        if args.officials_command == "list":
            return await list_command(settings, db, args, out)
        return await revoke_command(settings, db, args, out)
    finally:
        await db.dispose()


@asynccontextmanager
async def _services(settings: Settings, db: Database) -> AsyncIterator[Services]:
    clock = SystemClock()
    app = AppContext(clock=clock, tz=settings.tz, org=OrgCache(), default_language=settings.default_language,
                     public_base_url=settings.public_base_url)
    async with db.unit_of_work() as uow:
        org = await app.org.get(uow.session, clock.now().astimezone(settings.tz).date())
        yield Services(uow, app, org)


def _refused(settings: Settings, refusal: Refused) -> int:
    print(translator(settings.default_language)(refusal.key, **refusal.params), file=sys.stderr)
    return 1


async def invite_command(settings: Settings, db: Database, args: argparse.Namespace, out: TextIO) -> int:
    if args.seat is None and not (args.unit and args.role and args.name):
        print("invite: give --seat SEAT, or --unit, --role and --name", file=sys.stderr)
        return 2
    async with _services(settings, db) as services:
        try:
            issued = await services.officials.invite(
                unit=args.unit, role=args.role, name=args.name, phone=args.phone, seat=args.seat,
                view_identity=args.view_identity, replace=getattr(args, "replace", False))
        except Refused as refusal:
            return _refused(settings, refusal)
        await services.uow.commit()
    link = await telegram_link(settings, issued.code)
    _print_invite(settings, issued, link, out)
    return 0


def _print_invite(settings: Settings, issued: IssuedInvite, link: str | None, out: TextIO) -> None:
    expires = issued.expires_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
    print(f"invite #{issued.invite_id} for {issued.name} ({issued.role}, {issued.unit}), one use, "
          f"valid until {expires} ({settings.timezone})", file=out)
    print(f"  code: {issued.code}", file=out)
    if link is not None:
        print(f"  Telegram: {link}", file=out)
    print("  On any channel the official sends the code to the bot (the bare code, or /start CODE).", file=out)
    if issued.phone:
        print(f"  Linking also needs the number {issued.phone} shared where the channel can (Telegram).", file=out)


async def telegram_link(settings: Settings, code: str) -> str | None:
    """`https://t.me/<bot>?start=<code>` when Telegram is configured and answers getMe; else None."""
    if settings.telegram_bot_token is None:
        return None
    from bot.channels.telegram import TelegramChannel

    channel = TelegramChannel(settings.telegram_bot_token.get_secret_value(), settings.telegram_api_base_url)
    try:
        await channel.start()
        username = channel.bot.username
    except Exception as exc:  # the code works without the link: say so and go on
        log.warning("Telegram getMe failed (%s): no deep link", type(exc).__name__)
        return None
    finally:
        try:
            await channel.stop()
        except Exception:
            log.debug("Telegram shutdown failed", exc_info=True)
    return f"https://t.me/{username}?start={code}"


async def list_command(settings: Settings, db: Database, args: argparse.Namespace, out: TextIO) -> int:
    async with _services(settings, db) as services:
        try:
            lines = await services.officials.list(args.unit)
        except Refused as refusal:
            return _refused(settings, refusal)
    for o in lines:
        flags = [o.role] + (["view_identity"] if o.view_identity else []) + ([] if o.active else ["inactive"])
        accounts = ",".join(o.accounts) or "-"
        # Reachability: each account, "ok" or how many notices wait unseen there (a closed reply window, no
        # quota); an official with no account, or with every account holding notices, is unreachable.
        reach = ", ".join(f"{channel} {state}" for channel, state in zip(o.accounts, o.reach, strict=False))
        reachable = any(state == "ok" for state in o.reach)
        invites = ",".join(f"#{i}" for i in o.pending_invites) or "-"
        print(f"{o.id:>5} {o.seat or '-':<16} {o.unit:<10} {o.name} [{' '.join(flags)}] "
              f"accounts: {accounts} invites: {invites} reach: {reach or '-'}"
              + ("" if reachable or not o.active else " UNREACHABLE"), file=out)
    print(f"{len(lines)} official(s)", file=out)
    return 0


async def revoke_command(settings: Settings, db: Database, args: argparse.Namespace, out: TextIO) -> int:
    if (args.official is None) == (args.invite is None):
        print("revoke: give an official (seat code or number) or --invite NUMBER", file=sys.stderr)
        return 2
    async with _services(settings, db) as services:
        try:
            if args.invite is not None:
                invite = await services.officials.revoke_invite(args.invite)
                await services.uow.commit()
                state = "was already used" if invite.used_at else "revoked"
                print(f"invite #{invite.id}: {state}", file=out)
                return 0
            revoked = await services.case_actions.revoke_official(args.official)
        except Refused as refusal:
            return _refused(settings, refusal)
        await services.uow.commit()
    official = revoked.official
    print(f"{official.name}: {revoked.accounts} account(s) unlinked, {revoked.invites} invite(s) revoked"
          + ("" if official.seat else ", deactivated"), file=out)
    if revoked.handed_back:
        print(f"{len(revoked.handed_back)} open case(s) handed back to their unit, the card sent again to its "
              "officers and head:", file=out)
        for code, unit in revoked.handed_back:
            print(f"  {code} ({unit})", file=out)
    return 0


async def reveal_command(settings: Settings, db: Database, args: argparse.Namespace, out: TextIO) -> int:
    async with _services(settings, db) as services:
        try:
            revealed = await services.case_actions.reveal(args.case, args.by, getattr(args, "approval", None),
                                                          getattr(args, "reason", "") or "")
        except Refused as refusal:
            return _refused(settings, refusal)
        await services.uow.commit()
    print(f"case {revealed.code}: the sender (this view is recorded in the case history and the audit chain)",
          file=out)
    rows = [("channel", revealed.channel), ("account", revealed.external_id), ("chat", revealed.chat_id),
            ("pseudonym", revealed.pseudonym), ("name", revealed.display_name), ("phone", revealed.phone),
            ("contact given", revealed.contact)]
    for label, value in rows:
        print(f"  {label}: {value or '-'}", file=out)
    return 0


async def approve_command(settings: Settings, db: Database, args: argparse.Namespace, out: TextIO) -> int:
    async with _services(settings, db) as services:
        try:
            code = await services.case_actions.approve_reveal(args.case, args.requester, args.by, args.reason)
        except Refused as refusal:
            return _refused(settings, refusal)
        await services.uow.commit()
    print(f"approval code: {code} (one use, for {args.requester} on {args.case.upper()}, valid 30 minutes)",
          file=out)
    return 0


async def audit_command(settings: Settings, db: Database, args: argparse.Namespace, out: TextIO) -> int:
    from bot.services.reveal_audit import verify

    async with db.unit_of_work(readonly=True) as uow:
        check = await verify(uow.session)
    if check.ok:
        print(f"reveal audit chain: {check.rows} row(s), intact", file=out)
        return 0
    print(f"reveal audit chain: BROKEN at row {check.broken_at} (edited, deleted or inserted)", file=out)
    return 1
