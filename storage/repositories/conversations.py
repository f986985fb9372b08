"""Conversation state: one JSON row per (channel, chat)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation

_LOAD = select(Conversation).where(Conversation.channel == bindparam("b_channel"),  # built once: hot path
                                   Conversation.chat_id == bindparam("b_chat"))


class ConversationRepository:
    """The chats' conversation rows over one session (`uow.conversations`); it never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def load(self, channel: str, chat_id: str) -> Conversation | None:
        return (await self.session.execute(_LOAD, {"b_channel": channel, "b_chat": chat_id})).scalar_one_or_none()

    async def save(
        self,
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
        row = loaded if loaded is not None else await self.load(channel, chat_id)
        if row is None:
            row = Conversation(channel=channel, chat_id=chat_id)
            self.session.add(row)
        row.flow, row.step, row.data, row.language, row.updated_at = flow, step, dict(data), language, now

    async def forget(self, channel: str, chat_id: str) -> None:
        await self.session.execute(
            delete(Conversation).where(Conversation.channel == channel, Conversation.chat_id == chat_id)
        )

    async def language(self, channel: str, chat_id: str) -> str | None:
        """The language the bot speaks in the chat; None before its first message."""
        stmt = select(Conversation.language).where(Conversation.channel == channel, Conversation.chat_id == chat_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()
