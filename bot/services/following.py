"""Following an area and topics: the consent to be written to, the offer after a first case, and who follows.

A chat follows one area - a ward, a residential area, or the whole city (None) - and some topics (none chosen:
all of them). Following records a consent (purpose `announcements`) with the privacy notice version; /stop
withdraws it and the chat gets nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.context import AppContext
from bot.services.org_view import OrgSnapshot
from storage.models import ChannelIdentity, Consent, Conversation, Subscription

ANNOUNCEMENTS = "announcements"  # the consent's purpose


@dataclass(frozen=True, slots=True)
class Follower:
    identity_id: int
    citizen_id: int
    channel: str
    chat_id: str
    language: str


class Following:
    def __init__(self, session: AsyncSession, app: AppContext, org: OrgSnapshot) -> None:
        self.session, self.app, self.org = session, app, org

    async def of(self, identity_id: int) -> Subscription | None:
        stmt = select(Subscription).where(Subscription.identity_id == identity_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def offer_once(self, identity_id: int, citizen_id: int, now: datetime) -> bool:
        """Whether to offer following now: only the first time, and only to a chat that never followed."""
        if await self.of(identity_id) is not None:
            return False
        self.session.add(Subscription(identity_id=identity_id, citizen_id=citizen_id, topics=[], active=False,
                                      offered_at=now))
        await self.session.flush()
        return True

    async def follow(self, identity_id: int, citizen_id: int, area: str | None, topics: list[str],
                     now: datetime) -> Subscription:
        if area is not None and area not in self.org.areas:
            raise ValueError(f"unknown area {area!r}")
        known = {t.code for t in self.org.topics()}
        chosen = [t for t in dict.fromkeys(topics) if t in known]
        row = await self.of(identity_id)
        if row is None:
            row = Subscription(identity_id=identity_id, citizen_id=citizen_id)
            self.session.add(row)
        row.area_code, row.topics, row.active = area, chosen, True
        row.notice_version, row.stopped_at = self.org.notice_version, None
        row.started_at = row.started_at or now
        await self._consent(citizen_id, now)
        await self.session.flush()
        return row

    async def _consent(self, citizen_id: int, now: datetime) -> None:
        version = self.org.notice_version
        stmt = select(Consent).where(Consent.citizen_id == citizen_id, Consent.purpose == ANNOUNCEMENTS,
                                     Consent.withdrawn_at.is_(None), Consent.notice_version == version)
        if (await self.session.execute(stmt)).first() is None:
            self.session.add(Consent(citizen_id=citizen_id, purpose=ANNOUNCEMENTS, notice_version=version,
                                     granted_at=now))

    async def stop(self, identity_id: int, now: datetime) -> bool:
        """End following for this chat; the consent is withdrawn once none of the citizen's chats follows."""
        row = await self.of(identity_id)
        if row is None or not row.active:
            return False
        row.active, row.stopped_at = False, now
        await self.session.flush()
        still = select(Subscription.id).where(Subscription.citizen_id == row.citizen_id,
                                              Subscription.active.is_(True))
        if (await self.session.execute(still)).first() is None:
            await self.session.execute(
                update(Consent)
                .where(Consent.citizen_id == row.citizen_id, Consent.purpose == ANNOUNCEMENTS,
                       Consent.withdrawn_at.is_(None))
                .values(withdrawn_at=now))
        return True

    def reaches(self, followed: str | None, target: str | None) -> bool:
        """Whether a follower of `followed` hears of `target`: the whole city hears everything, and an area
        hears what is said to it, to the areas it lies in, and to the areas inside it."""
        if followed is None or target is None:
            return True
        return followed in self.org.area_chain(target) or target in self.org.area_chain(followed)

    async def followers(self, area: str | None, topic: str | None) -> list[Follower]:
        stmt = (
            select(Subscription.identity_id, Subscription.citizen_id, Subscription.area_code, Subscription.topics,
                   ChannelIdentity.channel, ChannelIdentity.chat_id, Conversation.language)
            .join(ChannelIdentity, ChannelIdentity.id == Subscription.identity_id)
            .outerjoin(Conversation, (Conversation.channel == ChannelIdentity.channel)
                       & (Conversation.chat_id == ChannelIdentity.chat_id))
            .where(Subscription.active.is_(True), ChannelIdentity.citizen_id.is_not(None))
            .order_by(Subscription.id)
        )
        found = []
        for identity_id, citizen_id, followed, topics, channel, chat_id, language in await self.session.execute(stmt):
            if not self.reaches(followed, area):
                continue
            if topic is not None and topics and topic not in topics:
                continue
            found.append(Follower(identity_id, citizen_id, channel, chat_id, language or "vi"))
        return found
