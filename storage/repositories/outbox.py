"""The outbox: messages committed with their cause, sent by the dispatcher in per-chat order."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxItem, WebMessage
from storage.repositories.dialect import core_connection, insert_for, rowcount
from storage.uow import note_work

_outbox = OutboxItem.__table__
_ADD: dict[tuple[str, bool], Any] = {}


def _add_statement(session: AsyncSession, dedup: bool) -> Any:
    """The insert, built once per dialect (with ON CONFLICT DO NOTHING when the row has a dedup key)."""
    key = (session.get_bind().dialect.name, dedup)
    if key not in _ADD:
        stmt = insert_for(session, _outbox)
        _ADD[key] = stmt.on_conflict_do_nothing(index_elements=["dedup_key"]) if dedup else stmt
    return _ADD[key]


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
    connection = await core_connection(session)
    result = await connection.execute(_add_statement(session, dedup_key is not None), {
        "channel": channel, "chat_id": chat_id, "payload": payload, "purpose": purpose, "case_id": case_id,
        "dedup_key": dedup_key, "status": "pending", "attempts": 0, "next_attempt_at": not_before or now,
        "created_at": now})
    if result.rowcount:
        note_work(session, "out", channel, chat_id)
    return bool(result.rowcount)


def _waiting(now: Any) -> Any:
    """A fresh row scheduled for later (a notice for the morning): it holds back none of the chat's others."""
    return (OutboxItem.attempts == 0) & (OutboxItem.next_attempt_at > now)


def _heads(now: datetime, channels: list[str] | None) -> Select[int]:
    """Each chat's first pending row that is not scheduled for later: it decides when the chat may send
    (a row waiting out a failed attempt keeps the ones after it waiting, so they go in order)."""
    stmt = select(func.min(OutboxItem.id)).where(OutboxItem.status == "pending", ~_waiting(now))
    if channels is not None:
        stmt = stmt.where(OutboxItem.channel.in_(channels))
    return stmt.group_by(OutboxItem.channel, OutboxItem.chat_id)


async def chats_due(session: AsyncSession, now: datetime, limit: int = 256,
                    channels: list[str] | None = None) -> list[tuple[str, str]]:
    stmt = (
        select(OutboxItem.channel, OutboxItem.chat_id)
        .where(OutboxItem.id.in_(_heads(now, channels)), OutboxItem.next_attempt_at <= now)
        .order_by(OutboxItem.id)
        .limit(limit)
    )
    return [(c, k) for c, k in (await session.execute(stmt)).all()]


async def next_due_at(session: AsyncSession, now: datetime, channels: list[str] | None = None) -> datetime | None:
    """The next moment a pending row falls due (after a back-off, or a notice scheduled for later)."""
    stmt = select(func.min(OutboxItem.next_attempt_at)).where(
        OutboxItem.status == "pending", OutboxItem.next_attempt_at > now)
    if channels is not None:
        stmt = stmt.where(OutboxItem.channel.in_(channels))
    return (await session.execute(stmt)).scalar_one_or_none()


_HEAD = (  # built once: the sender runs it for every message
    select(OutboxItem)
    .where(OutboxItem.channel == bindparam("b_channel"), OutboxItem.chat_id == bindparam("b_chat"),
           OutboxItem.status == "pending", ~_waiting(bindparam("b_now", type_=OutboxItem.next_attempt_at.type)))
    .order_by(OutboxItem.id)
    .limit(bindparam("b_limit"))
)


async def head_of_chat(session: AsyncSession, channel: str, chat_id: str, now: datetime,
                       limit: int = 20) -> list[OutboxItem]:
    """The chat's pending rows in order, less those scheduled for later; the first decides when it may send."""
    params = {"b_channel": channel, "b_chat": chat_id, "b_now": now, "b_limit": limit}
    return list((await session.execute(_HEAD, params)).scalars())


async def pending_channels(session: AsyncSession) -> list[str]:
    return list((await session.execute(
        select(OutboxItem.channel).where(OutboxItem.status == "pending").distinct())).scalars())


async def oldest_due_at(session: AsyncSession, now: datetime) -> datetime | None:
    """When the longest-waiting row that is due now fell due (readiness)."""
    stmt = select(func.min(OutboxItem.next_attempt_at)).where(
        OutboxItem.status == "pending", OutboxItem.next_attempt_at <= now)
    return (await session.execute(stmt)).scalar_one_or_none()


async def message_id_of(session: AsyncSession, row_id: int) -> str | None:
    """The platform's id of the message an outbox row became, once it was sent."""
    row = (await session.execute(
        select(OutboxItem.status, OutboxItem.platform_message_id).where(OutboxItem.id == row_id))).first()
    return row.platform_message_id if row is not None and row.status == "sent" else None


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
    if rowcount(result):
        note_work(session, "out", channel, chat_id)
    return rowcount(result)


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
