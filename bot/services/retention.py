"""Personal data is kept no longer than its use: the retention job's catch-up over the database.

Run every minute by the ticker (bot.jobs.scheduler) with the injected clock, so a missed run catches up:
- transcript lines whose secrets' grace ran out are masked (storage.repositories.outbox);
- the profile fields (names, usernames, phones) set apart from handled inbox rows are dropped;
- raw inbox payloads, once processed, and sent or failed outbox rows go after RETENTION_DAYS (default 30);
- web transcripts go after RETENTION_DAYS of silence in their chat;
- wrong-PIN addresses after a day, clean PIN guards after a day (others after RETENTION_DAYS), abuse
  counters after two;
- photos uploaded to the web chat and never sent go after a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Delete, Update, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.domain.owners import Holder, owner
from storage.models import AbuseCounter, Attachment, InboxItem, OutboxItem, PinAttempt, PinGuard, WebMessage
from storage.repositories import outbox
from storage.repositories.dialect import is_postgres, rowcount
from storage.uow import Database

RETENTION_DAYS = 30
SHORT = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Purged:
    transcripts_masked: int
    profiles: int
    inbox: int
    outbox: int
    transcripts: int
    pin_attempts: int
    pin_guards: int
    counters: int
    uploads: int


async def run_retention(db: Database, clock: Clock, *, days: int = RETENTION_DAYS) -> Purged:
    now = clock.now()
    keep = now - timedelta(days=days)
    async with db.unit_of_work() as uow:
        s = uow.session
        masked = await outbox.redact_transcripts(s, now)
        # Handled: the names and phones are not needed any more. Rows a consumer holds right now (a group
        # commit locks several) are skipped, not waited for: waiting on them while holding others is a deadlock.
        handled = select(InboxItem.id).where(InboxItem.status != "new", InboxItem.profile.is_not(None))
        if is_postgres(s):
            handled = handled.with_for_update(skip_locked=True)
        profiles = await _delete(s, update(InboxItem).where(InboxItem.id.in_(handled)).values(profile=None))
        inbox_n = await _delete(s, delete(InboxItem).where(InboxItem.status != "new", InboxItem.received_at < keep))
        outbox_n = await _delete(s, delete(OutboxItem).where(OutboxItem.status.in_(("sent", "failed")),
                                                             OutboxItem.created_at < keep))
        quiet = select(WebMessage.chat_id).group_by(WebMessage.chat_id).having(func.max(WebMessage.created_at) < keep)
        transcripts = await _delete(s, delete(WebMessage).where(WebMessage.chat_id.in_(quiet)))
        attempts = await _delete(s, delete(PinAttempt).where(PinAttempt.at < now - SHORT))
        # A code's count is forgotten only when it is clean, or after the retention period: a pause of a day
        # must not give a guesser a fresh set of free tries.
        guards = await _delete(s, delete(PinGuard).where(
            PinGuard.next_try_at < now,
            ((PinGuard.failures == 0) & (PinGuard.updated_at < now - SHORT)) | (PinGuard.updated_at < keep)))
        counters = await _delete(s, delete(AbuseCounter).where(AbuseCounter.window_start < now - 2 * SHORT))
        uploads = await _delete(s, delete(Attachment).where(Attachment.owner_key.like(owner(Holder.WEB_UPLOAD, "%")),
                                                            Attachment.created_at < now - SHORT))
        await uow.commit()
    return Purged(masked, profiles, inbox_n, outbox_n, transcripts, attempts, guards, counters, uploads)


async def _delete(session: AsyncSession, stmt: Delete | Update) -> int:
    return rowcount(await session.execute(stmt))
