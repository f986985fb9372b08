"""The web chat's transcript: what each visitor sent and was sent, read back when a page (re)connects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import WebMessage

HISTORY_LIMIT = 200  # a reload shows the latest messages; older ones stay in the table


async def add(session: AsyncSession, *, chat_id: str, direction: str, payload: dict[str, Any],
              now: datetime) -> WebMessage:
    row = WebMessage(chat_id=chat_id, direction=direction, payload=payload, created_at=now)
    session.add(row)
    await session.flush()
    return row


async def history(session: AsyncSession, chat_id: str, *, after: int = 0,
                  limit: int = HISTORY_LIMIT) -> list[WebMessage]:
    """The chat's latest `limit` messages with an id above `after`, oldest first."""
    stmt = (
        select(WebMessage)
        .where(WebMessage.chat_id == chat_id, WebMessage.id > after)
        .order_by(WebMessage.id.desc())
        .limit(limit)
    )
    return list(reversed((await session.execute(stmt)).scalars().all()))


async def newer_for(session: AsyncSession, chat_ids: list[str], after: int, limit: int = 500) -> list[WebMessage]:
    """Messages of these chats above `after`, oldest first: the follower's catch-up across processes."""
    stmt = (
        select(WebMessage)
        .where(WebMessage.chat_id.in_(chat_ids), WebMessage.id > after)
        .order_by(WebMessage.id)
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


async def mentions_attachment(session: AsyncSession, chat_id: str, attachment_id: int) -> bool:
    """Was this attachment shown in this chat? (JSON lists differ per database: checked here, bounded.)"""
    for row in await history(session, chat_id, limit=HISTORY_LIMIT * 5):
        if attachment_id in (row.payload.get("attachments") or []):
            return True
    return False
