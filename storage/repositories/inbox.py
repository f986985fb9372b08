"""The inbox: raw updates stored before they are acknowledged, taken per chat in arrival order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboxItem
from storage.repositories.dialect import insert_for


async def store(
    session: AsyncSession, *, channel: str, platform_id: str, chat_key: str, payload: dict[str, Any], now: datetime
) -> bool:
    """Store a raw update; False when the same (channel, platform id) was stored before."""
    stmt = (
        insert_for(session, InboxItem)
        .values(
            channel=channel, platform_id=platform_id, chat_key=chat_key, payload=payload,
            status="new", attempts=0, received_at=now,
        )
        .on_conflict_do_nothing(index_elements=["channel", "platform_id"])
    )
    result = await session.execute(stmt)
    return bool(result.rowcount)


async def chats_with_work(session: AsyncSession, limit: int = 64) -> list[tuple[str, str]]:
    """(channel, chat_key) pairs with new rows, oldest first."""
    stmt = (
        select(InboxItem.channel, InboxItem.chat_key)
        .where(InboxItem.status == "new")
        .group_by(InboxItem.channel, InboxItem.chat_key)
        .order_by(func.min(InboxItem.id))
        .limit(limit)
    )
    return [(c, k) for c, k in (await session.execute(stmt)).all()]


async def next_for_chat(session: AsyncSession, channel: str, chat_key: str) -> InboxItem | None:
    stmt = (
        select(InboxItem)
        .where(InboxItem.status == "new", InboxItem.channel == channel, InboxItem.chat_key == chat_key)
        .order_by(InboxItem.id)
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def mark(session: AsyncSession, item_id: int, status: str, now: datetime, error: str | None = None) -> None:
    await session.execute(
        update(InboxItem)
        .where(InboxItem.id == item_id)
        .values(status=status, processed_at=now, error=error)
    )


async def record_failure(session: AsyncSession, item_id: int, error: str) -> int:
    """Count a failed attempt; returns the attempts so far."""
    await session.execute(
        update(InboxItem).where(InboxItem.id == item_id).values(attempts=InboxItem.attempts + 1, error=error[:2000])
    )
    return int((await session.execute(select(InboxItem.attempts).where(InboxItem.id == item_id))).scalar_one())
