"""Who is writing: find or create the channel account, and note that they wrote (reply windows)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.model import Inbound
from storage.models import ChannelIdentity, Citizen, Consent
from storage.repositories import outbox

PSEUDONYM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_pseudonym() -> str:
    return "CD-" + "".join(secrets.choice(PSEUDONYM_ALPHABET) for _ in range(8))


SEEN_PRECISION = timedelta(minutes=1)


class Identities:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find_with_consent(self, channel: str, external_id: str,
                                version: str) -> tuple[ChannelIdentity | None, bool]:
        """The identity and, in the same query, whether its citizen consented to this notice version."""
        consented = select(Consent.id).where(
            Consent.citizen_id == ChannelIdentity.citizen_id, Consent.purpose == "processing",
            Consent.notice_version == version, Consent.withdrawn_at.is_(None),
        ).exists()
        stmt = select(ChannelIdentity, consented).where(
            ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id
        )
        row = (await self.session.execute(stmt)).first()
        return (None, False) if row is None else (row[0], bool(row[1]))

    async def find(self, channel: str, external_id: str) -> ChannelIdentity | None:
        stmt = select(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def arrive(self, inbound: Inbound, now: datetime, language: str, *,
                     windowed: bool = True) -> ChannelIdentity:
        identity, _ = await self.arrive_consented(inbound, now, language, windowed=windowed)
        return identity

    async def arrive_consented(self, inbound: Inbound, now: datetime, language: str, *, windowed: bool = True,
                               notice_version: str | None = None) -> tuple[ChannelIdentity, bool]:
        """The identity behind an inbound message, created on first contact (a pseudonymous citizen).

        `windowed`: the channel has a reply window (Zalo), so the moment of every message counts and messages
        held for a closed window may go now. Elsewhere the moment is kept to the minute, to spare a write.
        With `notice_version`, also whether the citizen consented to that notice (read in the same query)."""
        identity, consented = (
            await self.find_with_consent(inbound.channel, inbound.user_id, notice_version)
            if notice_version is not None else (await self.find(inbound.channel, inbound.user_id), False))
        if identity is None:
            citizen = Citizen(pseudonym=new_pseudonym(), language=language, created_at=now)
            self.session.add(citizen)
            await self.session.flush()
            identity = ChannelIdentity(
                channel=inbound.channel, external_id=inbound.user_id, chat_id=inbound.chat_id,
                citizen_id=citizen.id, created_at=now, replies_since_inbound=0,
            )
            self.session.add(identity)
        identity.chat_id = inbound.chat_id
        if windowed or identity.last_inbound_at is None or now - identity.last_inbound_at >= SEEN_PRECISION:
            identity.last_inbound_at = now
        identity.replies_since_inbound = 0
        await self.session.flush()
        if windowed:  # the citizen wrote: messages held for a closed reply window may go now
            await outbox.release_held(self.session, inbound.channel, inbound.chat_id, now)
        return identity, consented

    async def has_consent(self, citizen_id: int, version: str) -> bool:
        stmt = select(Consent.id).where(
            Consent.citizen_id == citizen_id, Consent.purpose == "processing",
            Consent.notice_version == version, Consent.withdrawn_at.is_(None),
        )
        return (await self.session.execute(stmt.limit(1))).first() is not None

    async def grant_consent(self, citizen_id: int, version: str, now: datetime, purpose: str = "processing") -> None:
        self.session.add(Consent(citizen_id=citizen_id, purpose=purpose, notice_version=version, granted_at=now))
        await self.session.flush()
