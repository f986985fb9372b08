"""Officials and their messenger accounts: one-time invite codes, linking, listing and revoking.

An invite code is shown once (to whoever issued it) and stored only as its SHA-256: the code is long and
random, so a plain hash is enough and lets a typed code be looked up directly. It works once, for 7 days,
on any channel: the official sends it (`/start CODE`, a Telegram deep link, or the bare code) and that
account becomes theirs. When the invite names a phone number, a channel that can share a verified number
(Telegram's contact button) must share that same number before the account is linked.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.authz import ROLES, Refused, Seat
from bot.services.context import AppContext
from bot.services.org_view import OrgSnapshot
from storage.models import ChannelIdentity, Official, OfficialInvite, OutboxItem
from storage.repositories.dialect import rowcount
from storage.repositories.officials import OfficialRepository

INVITE_DAYS = 7
CODE_PREFIX = "MOI"  # "mời": an invitation
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from paper
CODE_GROUPS = 3
GROUP = 4
# A message that looks like an invite code: MOI-ABCD-EFGH-JKLM, with or without dashes or spaces.
CODE_SHAPE = re.compile(r"(?i)^\s*(?:/start\s+)?(moi[\s_-]*(?:[a-z0-9][\s_-]*){12})\s*$")
MAX_NAME = 120


def new_code() -> str:
    groups = ["".join(secrets.choice(CODE_ALPHABET) for _ in range(GROUP)) for _ in range(CODE_GROUPS)]
    return "-".join([CODE_PREFIX, *groups])


def normalise_code(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def code_hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def looks_like_code(text: str) -> str | None:
    """The invite code in a message (`/start CODE` or the bare code), or None."""
    match = CODE_SHAPE.match(text or "")
    return match.group(1).strip() if match else None


def normalise_phone(raw: str | None) -> str | None:
    """Vietnamese numbers compared as written at home: +84 912 345 678 and 0912345678 are the same."""
    if not raw:
        return None
    digits = re.sub(r"\D", "", raw)
    if digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:]
    return digits or None


@dataclass(frozen=True, slots=True)
class IssuedInvite:
    invite_id: int
    code: str
    official_id: int
    name: str
    unit: str
    role: str
    phone: str | None
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class PendingLink:
    """A valid code, checked; linking waits for the phone when `phone` is set."""

    invite_id: int
    official_name: str
    phone: str | None


@dataclass(frozen=True, slots=True)
class Linked:
    official_id: int
    name: str
    unit: str
    role: str


@dataclass(frozen=True, slots=True)
class OfficialLine:
    id: int
    seat: str | None
    unit: str
    role: str
    name: str
    phone: str | None
    view_identity: bool
    active: bool
    accounts: tuple[str, ...]
    pending_invites: tuple[int, ...]
    reach: tuple[str, ...] = ()  # per account: "ok", or how many notices wait unseen (window closed, no quota)


class Officials:
    def __init__(self, session: AsyncSession, app: AppContext, org: OrgSnapshot) -> None:
        self.session, self.app, self.org = session, app, org
        self.official_rows = OfficialRepository(session)

    # --- who is who ---------------------------------------------------------------------------------------

    async def seat(self, official_id: int | None) -> Seat | None:
        if official_id is None:
            return None
        official = await self.official_rows.get(official_id)
        if official is None:
            return None
        return Seat(official.id, official.unit_id, official.role, official.view_identity, official.active)

    async def get(self, official_id: int) -> Official | None:
        return await self.official_rows.get(official_id)

    async def resolve(self, ref: str) -> Official | None:
        """An official by seat code (SAODO_OFF1) or by number."""
        ref = ref.strip()
        if ref.isdigit():
            return await self.official_rows.get(int(ref))
        return await self.official_rows.by_seat(ref.upper())

    async def was_linked(self, identity_id: int) -> bool:
        """Whether this account once spoke for an official (it used an invite)."""
        stmt = select(OfficialInvite.id).where(OfficialInvite.used_by_identity_id == identity_id).limit(1)
        return (await self.session.execute(stmt)).first() is not None

    def can_share_contact(self, channel: str) -> bool:
        """Whether the channel can share an account's own, verified phone number (Telegram can)."""
        channels = self.app.channels
        return channels is not None and channel in channels and channels.get(channel).capabilities.contact_request

    def parents(self) -> dict[int, int | None]:
        units = self.org.units
        return {u.id: units[u.parent_code].id if u.parent_code in units else None for u in units.values()}

    # --- invitations ------------------------------------------------------------------------------------

    async def invite(self, *, unit: str | None = None, role: str | None = None, name: str | None = None,
                     phone: str | None = None, seat: str | None = None, view_identity: bool = False,
                     by: int | None = None, replace: bool = False) -> IssuedInvite:
        """A new one-time code for a seat of the organisation file, or for a new official of a unit. A unit
        has one head: inviting another is refused unless `replace`, which takes the old head's access away."""
        now = self.app.clock.now()
        if seat is not None:
            official = await self.resolve(seat)
            if official is None or official.seat is None:
                raise Refused("officials.invite.no_seat", seat=seat)
            if not official.active:
                raise Refused("officials.invite.inactive", name=official.name)
        else:
            if unit not in self.org.units:
                raise Refused("officials.invite.no_unit", unit=unit or "")
            if role not in ROLES:
                raise Refused("officials.invite.no_role", role=role or "")
            clean = " ".join((name or "").split())
            if not 2 <= len(clean) <= MAX_NAME:
                raise Refused("officials.invite.no_name")
            if role == "head":
                await self._one_head(self.org.units[unit].id, unit, replace)
            official = Official(unit_id=self.org.units[unit].id, name=clean, role=role, phone=phone,
                                view_identity=view_identity, active=True)
            self.session.add(official)
            await self.session.flush()
        if phone is not None and normalise_phone(phone) is None:
            raise Refused("officials.invite.bad_phone", phone=phone)
        code = new_code()
        row = OfficialInvite(official_id=official.id, code_hash=code_hash(code), phone=normalise_phone(phone),
                             created_by=by, created_at=now, expires_at=now + timedelta(days=INVITE_DAYS))
        self.session.add(row)
        await self.session.flush()
        unit_code = self.org.units_by_id[official.unit_id].code
        return IssuedInvite(row.id, code, official.id, official.name, unit_code, official.role, row.phone,
                            row.expires_at)

    async def _one_head(self, unit_id: int, unit: str, replace: bool) -> None:
        heads = await self.official_rows.active("head", unit_id=unit_id)
        if heads and not replace:
            raise Refused("officials.invite.head_exists", unit=unit, name=heads[0].name)
        for head in heads:  # replaced: the old seat gives way, its accounts unlinked
            await self.session.execute(
                update(ChannelIdentity).where(ChannelIdentity.official_id == head.id).values(official_id=None))
            head.active = False
        await self.session.flush()

    async def check(self, code: str, identity_id: int) -> PendingLink:
        """A code someone sent: refused (with the reason) unless it can link this account now."""
        now = self.app.clock.now()
        stmt = select(OfficialInvite).where(OfficialInvite.code_hash == code_hash(code)).with_for_update()
        invite = (await self.session.execute(stmt)).scalar_one_or_none()
        if invite is None:
            raise Refused("officials.link.unknown")
        if invite.revoked_at is not None:
            raise Refused("officials.link.revoked")
        if invite.used_at is not None:
            raise Refused("officials.link.used")
        if invite.expires_at <= now:
            raise Refused("officials.link.expired")
        official = await self.session.get(Official, invite.official_id)
        if official is None or not official.active:
            raise Refused("officials.link.revoked")
        identity = await self.session.get(ChannelIdentity, identity_id)
        if identity is not None and identity.official_id is not None and identity.official_id != official.id:
            raise Refused("officials.link.other_official")
        return PendingLink(invite.id, official.name, invite.phone)

    async def link(self, invite_id: int, identity_id: int, shared_phone: str | None,
                   phone_checked: bool) -> Linked:
        """Use the invite for this account. An invite naming a phone needs `phone_checked` (the number was
        shared by the platform itself, e.g. a Telegram contact) and that number; elsewhere it is refused."""
        invite = await self.session.get(OfficialInvite, invite_id, with_for_update=True, populate_existing=True)
        if invite is None or invite.used_at is not None or invite.revoked_at is not None:
            raise Refused("officials.link.used")
        if invite.expires_at <= self.app.clock.now():
            raise Refused("officials.link.expired")
        if invite.phone is not None and not phone_checked:
            # A channel that cannot prove the number (web chat, Zalo) cannot redeem a phone-bound invite.
            raise Refused("officials.link.phone_channel_needed")
        if invite.phone is not None and normalise_phone(shared_phone) != invite.phone:
            raise Refused("officials.link.wrong_phone")
        official = await self.session.get(Official, invite.official_id)
        identity = await self.session.get(ChannelIdentity, identity_id)
        if official is None or not official.active or identity is None:
            raise Refused("officials.link.revoked")
        invite.used_at, invite.used_by_identity_id = self.app.clock.now(), identity.id
        # The account now speaks for the official (the router sends its every message to the officials'
        # desk); its pseudonymous citizen row stays, so revoking gives the account back as a citizen's.
        identity.official_id = official.id
        await self.session.flush()
        unit = self.org.units_by_id[official.unit_id]
        return Linked(official.id, official.name, unit.code, official.role)

    # --- the list, and taking access away ----------------------------------------------------------------

    async def list(self, unit: str | None = None) -> list[OfficialLine]:
        stmt = select(Official).order_by(Official.unit_id, Official.id)
        if unit is not None:
            if unit not in self.org.units:
                raise Refused("officials.invite.no_unit", unit=unit)
            stmt = stmt.where(Official.unit_id == self.org.units[unit].id)
        officials = list((await self.session.execute(stmt)).scalars())
        accounts: dict[int, list[str]] = {}
        reach: dict[int, list[str]] = {}
        held = dict((await self.session.execute(
            select(OutboxItem.channel + ":" + OutboxItem.chat_id, func.count(OutboxItem.id))
            .where(OutboxItem.status == "held").group_by(OutboxItem.channel, OutboxItem.chat_id))).all())
        for identity in (await self.session.execute(
            select(ChannelIdentity).where(ChannelIdentity.official_id.is_not(None)).order_by(ChannelIdentity.id)
        )).scalars():
            accounts.setdefault(identity.official_id or 0, []).append(identity.channel)
            waiting = held.get(f"{identity.channel}:{identity.chat_id}", 0)
            reach.setdefault(identity.official_id or 0, []).append(f"{waiting} held" if waiting else "ok")
        pending: dict[int, list[int]] = {}
        for invite in (await self.session.execute(select(OfficialInvite).where(
            OfficialInvite.used_at.is_(None), OfficialInvite.revoked_at.is_(None),
            OfficialInvite.expires_at > self.app.clock.now(),
        ).order_by(OfficialInvite.id))).scalars():
            pending.setdefault(invite.official_id, []).append(invite.id)
        return [
            OfficialLine(o.id, o.seat, self.org.units_by_id[o.unit_id].code, o.role, o.name, o.phone,
                         o.view_identity, o.active, tuple(accounts.get(o.id, ())), tuple(pending.get(o.id, ())),
                         tuple(reach.get(o.id, ())))
            for o in officials
        ]

    async def revoke(self, ref: str) -> tuple[Official, int, int]:
        """Take an official's access away: accounts unlinked, open invites revoked; (official, accounts,
        invites). A seat from the organisation file stays, empty, for the next person; an invited official
        is deactivated."""
        official = await self.resolve(ref)
        if official is None:
            raise Refused("officials.revoke.unknown", ref=ref)
        now = self.app.clock.now()
        unlinked = await self.session.execute(
            update(ChannelIdentity).where(ChannelIdentity.official_id == official.id).values(official_id=None)
        )
        revoked = await self.session.execute(
            update(OfficialInvite)
            .where(OfficialInvite.official_id == official.id, OfficialInvite.used_at.is_(None),
                   OfficialInvite.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        if official.seat is None:
            official.active = False
        await self.session.flush()
        return official, rowcount(unlinked), rowcount(revoked)

    async def revoke_invite(self, invite_id: int) -> OfficialInvite:
        invite = await self.session.get(OfficialInvite, invite_id)
        if invite is None:
            raise Refused("officials.revoke.unknown", ref=str(invite_id))
        if invite.used_at is None and invite.revoked_at is None:
            invite.revoked_at = self.app.clock.now()
            await self.session.flush()
        return invite
