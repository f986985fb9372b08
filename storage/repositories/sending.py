"""What the reply windows and proactive quotas need: a chat's last message, its reply count, monthly counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChannelIdentity, InboxItem, OutboxItem, ProactiveQuota
from storage.repositories.dialect import insert_for, rowcount


async def window_of(session: AsyncSession, channel: str, chat_id: str) -> tuple[datetime | None, int]:
    """(when the chat last wrote to us, replies sent since); (None, 0) for a chat that never wrote."""
    stmt = (
        select(ChannelIdentity.last_inbound_at, ChannelIdentity.replies_since_inbound)
        .where(ChannelIdentity.channel == channel, ChannelIdentity.chat_id == chat_id)
        .order_by(ChannelIdentity.last_inbound_at.desc())
        .limit(1)
    )
    row = (await session.execute(stmt)).first()
    if row is not None:
        return row[0], int(row[1] or 0)
    # An account erased by /privacy has lost its identity while its last reply (the goodbye) still waits to
    # go out: the chat's newest raw update, kept until that reply has gone, says when it last wrote, and the
    # outbox counts the replies sent since.
    last = (await session.execute(
        select(func.max(InboxItem.received_at)).where(InboxItem.channel == channel, InboxItem.chat_key == chat_id)
    )).scalar()
    if last is None:
        return None, 0
    replies = (await session.execute(
        select(func.count()).select_from(OutboxItem).where(
            OutboxItem.channel == channel, OutboxItem.chat_id == chat_id, OutboxItem.sent_as == "reply",
            OutboxItem.sent_at >= last)
    )).scalar_one()
    return last, int(replies)


async def count_replies(session: AsyncSession, channel: str, chat_id: str, sent: int) -> None:
    await session.execute(
        update(ChannelIdentity)
        .where(ChannelIdentity.channel == channel, ChannelIdentity.chat_id == chat_id)
        .values(replies_since_inbound=ChannelIdentity.replies_since_inbound + sent)
    )


async def reserve_quota(session: AsyncSession, channel: str, period: str, amount: int, limit: int) -> bool:
    """Take `amount` from the month's quota if that many are left; atomic under concurrent dispatchers."""
    await session.execute(
        insert_for(session, ProactiveQuota).values(channel=channel, period=period, used=0)
        .on_conflict_do_nothing(index_elements=["channel", "period"])
    )
    result = await session.execute(
        update(ProactiveQuota)
        .where(ProactiveQuota.channel == channel, ProactiveQuota.period == period,
               ProactiveQuota.used + amount <= limit)
        .values(used=ProactiveQuota.used + amount)
    )
    return bool(rowcount(result))


async def refund_quota(session: AsyncSession, channel: str, period: str, amount: int) -> None:
    await session.execute(
        update(ProactiveQuota)
        .where(ProactiveQuota.channel == channel, ProactiveQuota.period == period)
        .values(used=case((ProactiveQuota.used > amount, ProactiveQuota.used - amount), else_=0))
    )


async def quota_used(session: AsyncSession, channel: str, period: str) -> int:
    stmt = select(ProactiveQuota.used).where(ProactiveQuota.channel == channel, ProactiveQuota.period == period)
    return int((await session.execute(stmt)).scalar_one_or_none() or 0)


async def mark_sent_as(session: AsyncSession, ids: list[int], how: str) -> None:
    await session.execute(update(OutboxItem).where(OutboxItem.id.in_(ids)).values(sent_as=how))


async def mark_held(session: AsyncSession, ids: list[int], now: datetime, reason: str | None) -> None:
    """Held until the chat writes again; `held_at` keeps the first time, so the delivery can say so."""
    await session.execute(
        update(OutboxItem)
        .where(OutboxItem.id.in_(ids))
        .values(status="held", last_error=reason[:2000] if reason else None, attempts=OutboxItem.attempts + 1,
                held_at=func.coalesce(OutboxItem.held_at, literal(now, OutboxItem.held_at.type)))
    )

