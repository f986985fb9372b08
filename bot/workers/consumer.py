"""The consumer: each chat's inbox rows, in order, one worker per chat across processes.

For one row, in ONE transaction: hold the chat (a lease that lives with this process's heartbeat), map the row
to an Inbound, load the chat's state, run the flow, save the state, write the replies to the outbox, mark the
row done, and give the chat back when it has no other row. A crash anywhere leaves the row `new` (and the
work uncommitted), so the next worker does it again from the start.

A database or connection error is no attempt: the chat comes back after a back-off. An error in the flow
is an attempt; attempts are spaced (1 s, then 10 s) while the chat's later rows wait behind, and only the last
failure tells the citizen. A row that failed for good is listed by `tiepdan inbox failed`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot import metrics
from bot.clock import Clock
from bot.faults import crash_point
from bot.logs import hashed_id
from bot.workers.pool import Chat, ChatPool, Scan
from bot.workers.presence import Presence
from bot.workers.supervise import is_transient
from storage.models import InboxItem
from storage.repositories import inbox, leases
from storage.uow import Database, UnitOfWork

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
RETRY_SPACING = (1.0, 10.0)  # seconds after the first and the second failed attempt
ProcessRow = Callable[[UnitOfWork, InboxItem], Awaitable[None]]
OnFailure = Callable[[UnitOfWork, InboxItem], Awaitable[None]]


class Consumer:
    def __init__(self, db: Database, process: ProcessRow, on_failure: OnFailure, clock: Clock, *,
                 presence: Presence | None = None, concurrency: int = 8, fallback_poll: float = 5.0) -> None:
        self.db, self.clock = db, clock
        self._process, self._on_failure = process, on_failure
        self.presence = presence or Presence(db, clock)
        self.pool = ChatPool("consumer", work=self._work_chat, scan=self._scan, concurrency=concurrency,
                             fallback_poll=fallback_poll)
        db.work_listeners.append(self._on_new_work)

    def _on_new_work(self, work: set[tuple[str, str, str]]) -> None:
        for kind, channel, chat in work:
            if kind == "in":
                self.pool.offer((channel, chat))

    def offer(self, chat: Chat) -> None:
        self.pool.offer(chat)

    def wake(self) -> None:
        self.pool.wake()

    def stop(self) -> None:
        self.pool.stop()

    async def run(self) -> None:
        await self.pool.run()

    async def drain(self) -> None:
        """Process everything pending now (tests and one-shot commands)."""
        await self.presence.ensure()
        await self.pool.drain()

    async def _scan(self) -> Scan:
        now = self.clock.now()
        async with self.db.unit_of_work(readonly=True) as uow:
            chats = await inbox.chats_with_work(uow.session, now)
            retry = await inbox.next_retry_at(uow.session)
        due_in = (retry - now).total_seconds() if retry is not None and retry > now else None
        return Scan(chats, due_in)

    @staticmethod
    def _lease(chat: Chat) -> str:
        return f"in:{chat[0]}:{chat[1]}"

    async def _work_chat(self, chat: Chat) -> None:
        while not self.pool.stopping and await self._one(chat):
            pass

    async def _one(self, chat: Chat) -> bool:
        """Handle the chat's next row; False when the chat has nothing more for us now."""
        channel, chat_key = chat
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            session = uow.session
            if not await leases.take(session, self._lease(chat), self.presence.owner, now,
                                     self.presence.alive_since(now)):
                return False  # another live process works this chat; it hears of the new row too
            row, more = await inbox.next_for_chat(session, channel, chat_key, now)
            if row is None:
                await leases.release(session, self._lease(chat), self.presence.owner)
                await uow.commit()
                return False
            row_id, received_at = row.id, row.received_at
            try:
                await self._process(uow, row)
            except Exception as exc:
                if is_transient(exc):
                    raise
                log.warning("update %s of %s failed in the flow: %s", row_id, channel, type(exc).__name__,
                            exc_info=True)
                failure = f"{type(exc).__name__}: {exc}"
            else:
                failure = None
            if failure is not None:
                await uow.rollback()
            else:
                await inbox.mark(session, row_id, "done", self.clock.now())
                if not more:  # a row stored meanwhile is offered to the pool again, which brings us back
                    await leases.release(session, self._lease(chat), self.presence.owner)
                await uow.commit()
        if failure is not None:
            return await self._attempt_failed(chat, row_id, failure)
        crash_point("after_flow_commit")
        log.debug("%s chat %s: update %s handled", channel, hashed_id(chat_key), row_id)
        metrics.update_processed(channel, (self.clock.now() - received_at).total_seconds())
        return more

    async def _attempt_failed(self, chat: Chat, row_id: int, error: str) -> bool:
        """Count the attempt; True when the row failed for good (the chat goes on with its next row)."""
        async with self.db.unit_of_work() as uow:
            attempts = await inbox.record_failure(uow.session, row_id, error)
            final = attempts >= MAX_ATTEMPTS
            if final:
                row = await uow.session.get(InboxItem, row_id)
                if row is not None:
                    await self._on_failure(uow, row)
                await inbox.mark(uow.session, row_id, "failed", self.clock.now(), error[:2000])
            else:
                delay = RETRY_SPACING[min(attempts, len(RETRY_SPACING)) - 1]
                await inbox.retry_at(uow.session, row_id, self.clock.now() + timedelta(seconds=delay))
                await leases.release(uow.session, self._lease(chat), self.presence.owner)
            await uow.commit()
        if final:
            metrics.update_processed(chat[0], 0.0, ok=False)
        else:
            self.pool.offer_later(chat, RETRY_SPACING[min(attempts, len(RETRY_SPACING)) - 1])
        return final
