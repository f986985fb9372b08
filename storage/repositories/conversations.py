"""Conversation state: one JSON row per (channel, chat)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation

_LOAD = select(Conversation).where(Conversation.channel == bindparam("b_channel"),  # built once: hot path
                                   Conversation.chat_id == bindparam("b_chat"))


async def load(session: AsyncSession, channel: str, chat_id: str) -> Conversation | None:
    return (await session.execute(_LOAD, {"b_channel": channel, "b_chat": chat_id})).scalar_one_or_none()


async def save(
    session: AsyncSession,
    channel: str,
    chat_id: str,
    *,
    flow: str | None,
    step: str | None,
    data: dict[str, Any],
    language: str,
    now: datetime,
    loaded: Conversation | None = None,
) -> None:
    """Write the chat's state; `loaded` is the row `load` returned in this transaction (spares a query)."""
    row = loaded if loaded is not None else await load(session, channel, chat_id)
    if row is None:
        row = Conversation(channel=channel, chat_id=chat_id)
        session.add(row)
    row.flow, row.step, row.data, row.language, row.updated_at = flow, step, dict(data), language, now


async def forget(session: AsyncSession, channel: str, chat_id: str) -> None:
    await session.execute(
        delete(Conversation).where(Conversation.channel == channel, Conversation.chat_id == chat_id)
    )
