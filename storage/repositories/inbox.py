"""The inbox: raw updates stored before they are acknowledged, taken per chat in arrival order."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboxItem
from storage.repositories.dialect import insert_for

PROFILE_KEYS = frozenset({"first_name", "last_name", "username", "display_name", "full_name", "phone_number",
                          "vcard", "avatar", "user_gender", "birth_date"})


def split_profile(payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The payload without profile fields (names, usernames, phones: wherever the platform put them), and
    those fields by their path ("message/from/first_name"), kept apart so they can be dropped once handled."""
    profile: dict[str, Any] = {}

    def walk(node: Any, path: str) -> Any:
        if isinstance(node, dict):
            kept = {}
            for key, value in node.items():
                here = f"{path}/{key}" if path else str(key)
                if key in PROFILE_KEYS and isinstance(value, str | int | float | dict | list):
                    profile[here] = value
                else:
                    kept[key] = walk(value, here)
            return kept
        if isinstance(node, list):
            return [walk(item, f"{path}/{i}") for i, item in enumerate(node)]
        return node

    stripped = walk(payload, "")
    return stripped, profile or None


def with_profile(payload: dict[str, Any], profile: dict[str, Any] | None) -> dict[str, Any]:
    """The payload as the platform sent it, for the adapter that reads it (while the update is handled)."""
    if not profile:
        return payload
    merged = copy.deepcopy(payload)
    for path, value in profile.items():
        node: Any = merged
        *parents, last = path.split("/")
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        if isinstance(node, dict):
            node[last] = value
    return merged


def readable(row: InboxItem) -> dict[str, Any]:
    return with_profile(row.payload, row.profile)


async def store(
    session: AsyncSession, *, channel: str, platform_id: str, chat_key: str, payload: dict[str, Any], now: datetime
) -> bool:
    """Store a raw update, its profile fields apart; False when the same (channel, platform id) came before."""
    payload, profile = split_profile(payload)
    stmt = (
        insert_for(session, InboxItem)
        .values(
            channel=channel, platform_id=platform_id, chat_key=chat_key, payload=payload, profile=profile,
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
