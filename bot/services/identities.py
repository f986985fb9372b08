"""Who is writing: find or create the channel account, and note that they wrote (reply windows)."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.model import Inbound
from storage.models import ChannelIdentity, Citizen, Consent
from storage.repositories import outbox

PSEUDONYM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_pseudonym() -> str:
    return "CD-" + "".join(secrets.choice(PSEUDONYM_ALPHABET) for _ in range(8))


class Identities:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find(self, channel: str, external_id: str) -> ChannelIdentity | None:
        stmt = select(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def arrive(self, inbound: Inbound, now: datetime, language: str) -> ChannelIdentity:
        """The identity behind an inbound message, created on first contact (a pseudonymous citizen)."""
        identity = await self.find(inbound.channel, inbound.user_id)
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
        identity.last_inbound_at = now
        identity.replies_since_inbound = 0
        await self.session.flush()
        # The citizen wrote: messages held for a closed reply window may go now.
        await outbox.release_held(self.session, inbound.channel, inbound.chat_id, now)
        return identity

    async def has_consent(self, citizen_id: int, version: str) -> bool:
        stmt = select(Consent.id).where(
            Consent.citizen_id == citizen_id, Consent.purpose == "processing",
            Consent.notice_version == version, Consent.withdrawn_at.is_(None),
        )
        return (await self.session.execute(stmt.limit(1))).first() is not None

    async def grant_consent(self, citizen_id: int, version: str, now: datetime, purpose: str = "processing") -> None:
        self.session.add(Consent(citizen_id=citizen_id, purpose=purpose, notice_version=version, granted_at=now))
        await self.session.flush()
