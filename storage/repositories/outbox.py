"""The outbox: messages committed with their cause, sent by the dispatcher in per-chat order."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxItem, WebMessage
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


def _heads() -> Select[tuple[int]]:
    """Each chat's first pending row: only it decides when the chat may send (rows go out in order)."""
    return (
        select(func.min(OutboxItem.id))
        .where(OutboxItem.status == "pending")
        .group_by(OutboxItem.channel, OutboxItem.chat_id)
    )


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
    """The chat's pending rows in order; the first one decides when the chat may send next."""
    stmt = (
        select(OutboxItem)
        .where(OutboxItem.channel == channel, OutboxItem.chat_id == chat_id, OutboxItem.status == "pending")
        .order_by(OutboxItem.id)
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


SECRET_MASK = "•" * 6  # what a PIN or a one-time link reads as once its message has gone
TRANSCRIPT_GRACE = timedelta(minutes=10)  # the web page (in any process) shows the message before it is masked


def mask_secrets(text: str, secrets: list[str]) -> str:
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, SECRET_MASK)
    return text


async def redact_secrets(session: AsyncSession, ids: list[int], now: datetime) -> int:
    """Mask the values an outbox row marked secret (payload["secrets"]) once the row is sent: nothing shown
    once stays readable at rest. The web transcript line the row became is masked after TRANSCRIPT_GRACE, so a
    page served by another process still gets to show it. The number of rows masked."""
    rows = (await session.execute(
        select(OutboxItem).where(OutboxItem.id.in_(ids), OutboxItem.status != "pending")
    )).scalars().all()
    masked = 0
    for row in rows:
        secrets = list(row.payload.get("secrets") or [])
        if not secrets:
            continue
        payload = {k: v for k, v in row.payload.items() if k != "secrets"}
        payload["text"] = mask_secrets(payload.get("text", ""), secrets)
        row.payload = payload
        masked += 1
        if row.channel == "web" and row.platform_message_id and row.platform_message_id.isdigit():
            line = await session.get(WebMessage, int(row.platform_message_id))
            if line is not None and line.chat_id == row.chat_id:
                known = list((line.payload or {}).get("secrets") or [])
                line.payload = {**line.payload, "secrets": known + secrets}
                line.redact_at = now + TRANSCRIPT_GRACE
    await session.flush()
    return masked


async def redact_transcripts(session: AsyncSession, now: datetime) -> int:
    """Mask the secrets of transcript lines whose grace has run out (the retention tick calls this)."""
    lines = (await session.execute(
        select(WebMessage).where(WebMessage.redact_at.is_not(None), WebMessage.redact_at <= now)
    )).scalars().all()
    for line in lines:
        secrets = list(line.payload.get("secrets") or [])
        payload = {k: v for k, v in line.payload.items() if k != "secrets"}
        payload["texts"] = [mask_secrets(t, secrets) for t in payload.get("texts") or []]
        line.payload, line.redact_at = payload, None
    await session.flush()
    return len(lines)
