"""The outbox: messages committed with their cause, sent by the dispatcher in per-chat order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxItem
from storage.repositories.dialect import insert_for


async def add(
    session: AsyncSession,
    *,
    channel: str,
    chat_id: str,
    payload: dict[str, Any],
    now: datetime,
    purpose: str = "reply",
    case_id: int | None = None,
    dedup_key: str | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Queue a message; with a `dedup_key` a second add of the same key is a no-op (returns False)."""
    stmt = insert_for(session, OutboxItem).values(
        channel=channel, chat_id=chat_id, payload=payload, purpose=purpose, case_id=case_id,
        dedup_key=dedup_key, status="pending", attempts=0, next_attempt_at=not_before or now, created_at=now,
    )
    if dedup_key is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["dedup_key"])
    result = await session.execute(stmt)
    return bool(result.rowcount)


def _position() -> Any:
    """Where a row stands in its chat's line: the moment it was first meant to go. A row written for later
    (a notice held to office hours, a what-if sweep's reminder) takes its place at that moment, so it never
    holds back the replies written meanwhile; a row already tried keeps its place (order is kept on retry)."""
    scheduled = and_(OutboxItem.attempts == 0, OutboxItem.next_attempt_at > OutboxItem.created_at)
    return case((scheduled, OutboxItem.next_attempt_at), else_=OutboxItem.created_at)


def _heads() -> Select[tuple[int]]:
    """Each chat's first pending row in line: only it decides when the chat may send (rows go out in order)."""
    line = (
        select(OutboxItem.id, func.row_number().over(
            partition_by=(OutboxItem.channel, OutboxItem.chat_id), order_by=(_position(), OutboxItem.id),
        ).label("place"))
        .where(OutboxItem.status == "pending")
        .subquery()
    )
    return select(line.c.id).where(line.c.place == 1)


async def chats_due(session: AsyncSession, now: datetime, limit: int = 128) -> list[tuple[str, str]]:
    # A later row can be due while the head waits out its back-off (a merged group that failed, then its head
    # failed again alone); counting it would wake the chat only to find nothing to send, again and again.
    stmt = (
        select(OutboxItem.channel, OutboxItem.chat_id)
        .where(OutboxItem.id.in_(_heads()), OutboxItem.next_attempt_at <= now)
        .order_by(OutboxItem.id)
        .limit(limit)
    )
    return [(c, k) for c, k in (await session.execute(stmt)).all()]


async def next_due_at(session: AsyncSession) -> datetime | None:
    stmt = select(func.min(OutboxItem.next_attempt_at)).where(OutboxItem.id.in_(_heads()))
    return (await session.execute(stmt)).scalar_one_or_none()


async def head_of_chat(session: AsyncSession, channel: str, chat_id: str, limit: int = 20) -> list[OutboxItem]:
    """The chat's pending rows in line; the first one decides when the chat may send next."""
    stmt = (
        select(OutboxItem)
        .where(OutboxItem.channel == channel, OutboxItem.chat_id == chat_id, OutboxItem.status == "pending")
        .order_by(_position(), OutboxItem.id)
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


async def mark_sent(session: AsyncSession, ids: list[int], now: datetime, message_id: str | None) -> None:
    await session.execute(
        update(OutboxItem)
        .where(OutboxItem.id.in_(ids))
        .values(status="sent", sent_at=now, platform_message_id=message_id, attempts=OutboxItem.attempts + 1)
    )


async def mark_retry(session: AsyncSession, ids: list[int], when: datetime, error: str) -> None:
    await session.execute(
        update(OutboxItem)
        .where(OutboxItem.id.in_(ids))
        .values(next_attempt_at=when, last_error=error[:2000], attempts=OutboxItem.attempts + 1)
    )


async def mark_status(session: AsyncSession, ids: list[int], status: str, error: str | None) -> None:
    await session.execute(
        update(OutboxItem)
        .where(OutboxItem.id.in_(ids))
        .values(status=status, last_error=error[:2000] if error else None, attempts=OutboxItem.attempts + 1)
    )


async def release_held(session: AsyncSession, channel: str, chat_id: str, now: datetime) -> int:
    """The citizen wrote again: held messages may go now."""
    result = await session.execute(
        update(OutboxItem)
        .where(OutboxItem.channel == channel, OutboxItem.chat_id == chat_id, OutboxItem.status == "held")
        .values(status="pending", next_attempt_at=now)
    )
    return int(result.rowcount or 0)


async def failed(session: AsyncSession, limit: int = 50) -> list[OutboxItem]:
    stmt = select(OutboxItem).where(OutboxItem.status == "failed").order_by(OutboxItem.id.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())
