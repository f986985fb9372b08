"""Evidence a citizen sends with a case: checked at once, fetched from the platform later by a queued job.

A photo or voice note arrives as a reference to a file still on the platform. The conversation only records
a `pending` attachment (type and size checked from what the platform declared); `bot.jobs.media` downloads it
outside any conversation transaction, checks it again, strips photos' EXIF and stores it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.model import MediaRef
from bot.domain.intake import MEDIA_LIMITS
from bot.domain.media import MediaRejected, check_media
from bot.domain.owners import Holder, owner
from storage.models import Attachment
from storage.repositories.dialect import is_postgres, rowcount
from storage.uow import note_work

CLAIM_FOR = timedelta(minutes=2)  # a worker that died holding a file gives it up after this long
MAX_FETCH_ATTEMPTS = 5


class EvidenceFull(ValueError):
    def __init__(self, kind: str, limit: int) -> None:
        super().__init__(f"no more than {limit} {kind}")
        self.kind, self.limit = kind, limit


class Evidence:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, draft_id: int, channel: str, ref: MediaRef, now: datetime, *, already: int) -> Attachment:
        """Record a file still on the platform; raises MediaRejected (type, size) or EvidenceFull."""
        limit = MEDIA_LIMITS.get(ref.kind)
        if limit is None:
            raise MediaRejected("wrong_type")
        if already >= limit:
            raise EvidenceFull(ref.kind, limit)
        check_media(ref.kind, ref.mime, ref.size)
        row = Attachment(
            kind=ref.kind, mime=ref.mime or "application/octet-stream", size=ref.size or 0, sha256="",
            storage="db", owner_key=owner(Holder.DRAFT, draft_id), created_at=now, status="pending", channel=channel,
            platform_ref=ref.ref, name=ref.name, fetch_attempts=0, fetch_after=now,
        )
        self.session.add(row)
        await self.session.flush()
        note_work(self.session, "media", channel, str(row.id))  # the media job hears of it on commit
        return row

    async def move_to_case(self, draft_id: int, case_id: int) -> int:
        result = await self.session.execute(
            update(Attachment).where(Attachment.owner_key == owner(Holder.DRAFT, draft_id))
            .values(case_id=case_id, owner_key=None)
        )
        return rowcount(result)

    async def drop(self, draft_ids: list[int]) -> None:
        if draft_ids:
            await self.session.execute(
                delete(Attachment).where(Attachment.owner_key.in_([owner(Holder.DRAFT, i) for i in draft_ids]))
            )

    async def counts(self, case_id: int) -> dict[str, int]:
        rows = await self.session.execute(
            select(Attachment.kind, func.count(Attachment.id)).where(Attachment.case_id == case_id)
            .group_by(Attachment.kind)
        )
        return {kind: int(n) for kind, n in rows.all()}


# --- the fetch queue (used by bot.jobs.media) -------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Fetch:
    attachment_id: int
    channel: str
    ref: str
    kind: str
    mime: str
    exhausted: bool = False  # every attempt was used (a worker died mid-file): it ends failed, not retried


async def claim_due(session: AsyncSession, now: datetime, limit: int = 8) -> list[Fetch]:
    """Take up to `limit` pending files whose turn has come; another worker skips them until CLAIM_FOR ends."""
    stmt = (
        select(Attachment)
        .where(Attachment.status == "pending", Attachment.fetch_after <= now)
        .order_by(Attachment.id)
        .limit(limit)
    )
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list((await session.execute(stmt)).scalars())
    exhausted = {r.id for r in rows if r.fetch_attempts >= MAX_FETCH_ATTEMPTS}
    for row in rows:
        row.fetch_after = now + CLAIM_FOR
        row.fetch_attempts += row.id not in exhausted
    await session.flush()
    return [Fetch(r.id, r.channel or "", r.platform_ref or "", r.kind, r.mime, r.id in exhausted) for r in rows]


async def store_fetched(session: AsyncSession, fetch: Fetch, content: bytes, mime: str) -> Attachment | None:
    """Store downloaded bytes already cleaned by the picture worker (bot.services.imaging). None if the row is
    gone (the draft was cancelled meanwhile); raises MediaRejected when the file is too large."""
    row = await session.get(Attachment, fetch.attachment_id)
    if row is None or row.status != "pending":
        return None
    check_media(row.kind, None, len(content))  # the platform's declared size may have been missing
    row.content, row.mime, row.size = content, mime, len(content)
    row.sha256 = hashlib.sha256(content).hexdigest()
    row.status, row.fetch_after, row.error = "stored", None, None
    await session.flush()
    return row


async def fetch_failed(session: AsyncSession, fetch: Fetch, reason: str, now: datetime, *,
                       final: bool = False) -> Attachment | None:
    """Back off and try again later; after MAX_FETCH_ATTEMPTS (or a final reason) the file is `failed`."""
    row = await session.get(Attachment, fetch.attachment_id)
    if row is None or row.status != "pending":
        return None
    row.error = reason[:255]
    if final or row.fetch_attempts >= MAX_FETCH_ATTEMPTS:
        row.status, row.fetch_after = "failed", None
    else:
        row.fetch_after = now + timedelta(seconds=min(600, 5 * 2 ** row.fetch_attempts))
    await session.flush()
    return row
