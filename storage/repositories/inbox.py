"""The inbox: raw updates stored before they are acknowledged, taken per chat in arrival order."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboxItem
from storage.repositories.dialect import core_connection, insert_for, rowcount
from storage.uow import note_work

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
    if rowcount(result):
        note_work(session, "in", channel, chat_key)
    return bool(rowcount(result))


def _heads() -> Select[int]:
    """Each chat's first new row: only it decides when the chat may go on (rows are handled in order)."""
    return select(func.min(InboxItem.id)).where(InboxItem.status == "new").group_by(InboxItem.channel,
                                                                                   InboxItem.chat_key)


async def chats_with_work(session: AsyncSession, now: datetime, limit: int = 64) -> list[tuple[str, str]]:
    """(channel, chat_key) pairs whose next row may be handled now, oldest first."""
    stmt = (
        select(InboxItem.channel, InboxItem.chat_key)
        .where(InboxItem.id.in_(_heads()), _due(now))
        .order_by(InboxItem.id)
        .limit(limit)
    )
    return [(c, k) for c, k in (await session.execute(stmt)).all()]


async def next_retry_at(session: AsyncSession) -> datetime | None:
    """When the earliest row waiting out a failed attempt may be tried again."""
    stmt = select(func.min(InboxItem.next_attempt_at)).where(InboxItem.status == "new")
    return (await session.execute(stmt)).scalar_one_or_none()


def _due(now: datetime) -> Any:
    return InboxItem.next_attempt_at.is_(None) | (InboxItem.next_attempt_at <= now)


_NEXT = (  # built once: see storage.repositories.leases
    select(InboxItem)
    .where(InboxItem.status == "new", InboxItem.channel == bindparam("b_channel"),
           InboxItem.chat_key == bindparam("b_chat"))
    .order_by(InboxItem.id)
    .limit(2)
)
_inbox = InboxItem.__table__
_MARK = update(_inbox).where(_inbox.c.id == bindparam("b_id")).values(
    status=bindparam("b_status"), processed_at=bindparam("b_now"), error=bindparam("b_error"))


async def next_for_chat(session: AsyncSession, channel: str, chat_key: str,
                        now: datetime) -> tuple[InboxItem | None, bool]:
    """The chat's next row (None while it waits out a failed attempt: later rows wait behind it), and whether
    another row follows it."""
    rows = list((await session.execute(_NEXT, {"b_channel": channel, "b_chat": chat_key})).scalars())
    if not rows or (rows[0].next_attempt_at is not None and rows[0].next_attempt_at > now):
        return None, False
    return rows[0], len(rows) > 1


async def mark(session: AsyncSession, item_id: int, status: str, now: datetime, error: str | None = None) -> None:
    connection = await core_connection(session)  # Core: a statement with parameters, not an ORM bulk update
    await connection.execute(_MARK, {"b_id": item_id, "b_status": status, "b_now": now, "b_error": error})


async def record_failure(session: AsyncSession, item_id: int, error: str) -> int:
    """Count a failed attempt; returns the attempts so far."""
    await session.execute(
        update(InboxItem).where(InboxItem.id == item_id).values(attempts=InboxItem.attempts + 1, error=error[:2000])
    )
    return int((await session.execute(select(InboxItem.attempts).where(InboxItem.id == item_id))).scalar_one())


async def retry_at(session: AsyncSession, item_id: int, when: datetime) -> None:
    await session.execute(update(InboxItem).where(InboxItem.id == item_id).values(next_attempt_at=when))


async def failed(session: AsyncSession, limit: int = 50) -> list[InboxItem]:
    stmt = select(InboxItem).where(InboxItem.status == "failed").order_by(InboxItem.id.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def retry_failed(session: AsyncSession, ids: list[int] | None) -> list[tuple[str, str]]:
    """Put failed rows (all of them when `ids` is None) back in line; the chats they belong to."""
    where = [InboxItem.status == "failed"]
    if ids is not None:
        where.append(InboxItem.id.in_(ids))
    chats = {(c, k) for c, k in (await session.execute(
        select(InboxItem.channel, InboxItem.chat_key).where(*where))).all()}
    await session.execute(update(InboxItem).where(*where).values(
        status="new", attempts=0, next_attempt_at=None, processed_at=None))
    return sorted(chats)


async def oldest_new_received_at(session: AsyncSession) -> datetime | None:
    stmt = select(func.min(InboxItem.received_at)).where(InboxItem.status == "new")
    return (await session.execute(stmt)).scalar_one_or_none()
