"""The media job: download the photos, voice notes and documents citizens sent, outside any conversation.

A conversation only records a pending attachment (bot.services.evidence); this worker claims pending rows,
downloads each from its platform, checks it, strips photos' EXIF and stores it. A download that fails is
retried with back-off; a file that cannot be used is marked failed and the citizen is told.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.model import Outbound
from bot.channels.registry import ChannelRegistry, UnknownChannel
from bot.clock import Clock
from bot.domain.media import MediaRejected, check_media
from bot.domain.owners import Holder, first_id, held_by
from bot.i18n import translator
from bot.services.evidence import Fetch, claim_due, fetch_failed, store_fetched
from bot.services.imaging import ImageWorker
from bot.services.reply_media import relay_stored
from bot.workers.supervise import Outage, is_transient
from storage.models import Attachment, Case, CaseDraft, ChannelIdentity
from storage.repositories import outbox
from storage.uow import Database

log = logging.getLogger(__name__)


class MediaFetcher:
    def __init__(self, db: Database, channels: ChannelRegistry, clock: Clock, tz: ZoneInfo, *,
                 idle_poll: float = 5.0, timeout: float = 60.0,
                 after_commit: Callable[[], None] = lambda: None, imaging: ImageWorker | None = None) -> None:
        self.db, self.channels, self.clock, self.tz = db, channels, clock, tz
        self.imaging = imaging or ImageWorker()
        self._idle_poll, self._timeout, self._after_commit = idle_poll, timeout, after_commit
        self._wake = asyncio.Event()
        self.outage = Outage("media job", log)
        db.work_listeners.append(self._on_new_work)

    def _on_new_work(self, work: set[tuple[str, str, str]]) -> None:
        if any(kind == "media" for kind, _, _ in work):
            self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Until cancelled: fetch whatever is due, then wait to be woken (or poll now and then)."""
        while True:
            self._wake.clear()
            wait = self._idle_poll
            try:
                fetched = await self.fetch_due()
                self.outage.ok()
            except Exception as exc:  # the database is away: try again after a back-off, logged once
                if not is_transient(exc):
                    log.exception("media job round failed")
                fetched, wait = 0, self.outage.failed(exc)
            if fetched:
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), wait)
            except TimeoutError:
                pass

    async def fetch_due(self) -> int:
        """One round: claim the files due now and fetch each; the number claimed."""
        async with self.db.unit_of_work() as uow:
            claimed = await claim_due(uow.session, self.clock.now())
            await uow.commit()
        for fetch in claimed:
            await self._fetch(fetch)
        return len(claimed)

    async def _fetch(self, fetch: Fetch) -> None:
        """Fetch, clean and store one file. Whatever goes wrong, the row moves on: retried with back-off
        while attempts remain, then `failed` (and the citizen told) - never retried for ever."""
        if fetch.exhausted:
            await self._failed(fetch, "attempts exhausted", final=True)
            return
        try:
            await self._fetch_and_store(fetch)
        except Exception as exc:  # a bug or the database: count the attempt, do not spin on this file
            log.warning("attachment %s not stored: %s", fetch.attachment_id, type(exc).__name__)
            await self._failed(fetch, type(exc).__name__)

    async def _fetch_and_store(self, fetch: Fetch) -> None:
        try:
            channel = self.channels.get(fetch.channel)
            content = await asyncio.wait_for(channel.fetch_media(fetch.ref), self._timeout)
        except UnknownChannel:
            await self._failed(fetch, "no such channel here", final=True)
            return
        except Exception as exc:  # the platform's error or a timeout: back off and try again
            log.warning("attachment %s not fetched yet: %s", fetch.attachment_id, type(exc).__name__)
            await self._failed(fetch, type(exc).__name__)
            return
        rejected: MediaRejected | None = None
        mime = fetch.mime
        try:
            check_media(fetch.kind, None, len(content))  # the platform's declared size may have been missing
            if fetch.kind in ("photo", "document"):  # decoded in the picture worker, off the event loop
                content, mime = await self.imaging.clean(content, fetch.kind)
        except MediaRejected as exc:
            rejected = exc
        async with self.db.unit_of_work() as uow:
            try:
                if rejected is not None:
                    raise rejected
                stored = await store_fetched(uow.session, fetch, content, mime)
                if stored is not None and await relay_stored(uow.session, stored, self.clock.now()):
                    uow.after_commit(self._after_commit)  # a citizen's answer photo goes to the official
            except MediaRejected as exc:
                row = await fetch_failed(uow.session, fetch, exc.reason, self.clock.now(), final=True)
                if row is not None:
                    await self._tell_citizen(uow.session, row)
                    uow.after_commit(self._after_commit)
            await uow.commit()

    async def _failed(self, fetch: Fetch, reason: str, *, final: bool = False) -> None:
        async with self.db.unit_of_work() as uow:
            row = await fetch_failed(uow.session, fetch, reason, self.clock.now(), final=final)
            if row is not None and row.status == "failed":
                await self._tell_citizen(uow.session, row)
                uow.after_commit(self._after_commit)
            await uow.commit()

    async def _tell_citizen(self, session: AsyncSession, row: Attachment) -> None:
        """The file is lost: say so to the chat it came from, so the citizen can send it again."""
        chat = await _chat_of(session, row)
        if chat is None:
            return
        channel, chat_id, language = chat
        t = translator(language)
        text = t("report.media_lost", what=t(f"report.media_kind.{row.kind}"), at=t.moment(row.created_at, self.tz))
        await outbox.add(session, channel=channel, chat_id=chat_id, payload=Outbound(text=text).to_json(),
                         now=self.clock.now(), dedup_key=f"media-lost:{row.id}", case_id=row.case_id)


async def _chat_of(session: AsyncSession, row: Attachment) -> tuple[str, str, str] | None:
    if row.owner_key and held_by(row.owner_key, Holder.DRAFT):
        draft = await session.get(CaseDraft, int(first_id(row.owner_key)))
        return None if draft is None else (draft.channel, draft.chat_id, draft.language)
    if row.case_id is not None:
        case = await session.get(Case, row.case_id)
        if case is not None and case.reply_identity_id is not None:
            identity = await session.get(ChannelIdentity, case.reply_identity_id)
            if identity is not None:
                return identity.channel, identity.chat_id, case.language
    return None
