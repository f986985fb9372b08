"""The consumer: each chat's inbox rows, in order, one worker per chat across processes.

For one row, in ONE transaction: map it to an Inbound, load the chat's state, run the flow, save the state,
write the replies to the outbox and mark the row done. A crash anywhere leaves the row `new` (and the work
uncommitted), so the next worker does it again from the start.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.channels.registry import ChannelRegistry
from bot.clock import Clock
from bot.faults import crash_point
from bot.logs import hashed_id
from storage.models import InboxItem
from storage.repositories import inbox, leases
from storage.uow import Database, UnitOfWork

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
ProcessRow = Callable[[UnitOfWork, InboxItem], Awaitable[None]]
OnFailure = Callable[[UnitOfWork, InboxItem], Awaitable[None]]


class Consumer:
    def __init__(
        self,
        db: Database,
        channels: ChannelRegistry,
        process: ProcessRow,
        on_failure: OnFailure,
        clock: Clock,
        *,
        lease_seconds: float = 30.0,
        concurrency: int = 4,
        idle_poll: float = 1.0,
        after_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self.db, self.channels, self.clock = db, channels, clock
        self._process, self._on_failure, self._after_commit = process, on_failure, after_commit
        self.owner = f"consumer-{uuid.uuid4().hex[:12]}"
        self._ttl = timedelta(seconds=lease_seconds)
        self._slots = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._busy: set[tuple[str, str]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle_poll = idle_poll
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Finish the unit in hand, start no other; `run` then returns."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Until cancelled: find chats with new rows and work through each under its lease."""
        try:
            while not self._stopping:
                self._wake.clear()
                started = await self.poll_once()
                if not started:
                    try:
                        await asyncio.wait_for(self._wake.wait(), self._idle_poll)
                    except TimeoutError:
                        pass
                else:
                    await asyncio.sleep(0)
        finally:
            if not self._stopping:
                for task in list(self._tasks):
                    task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def poll_once(self) -> int:
        async with self.db.unit_of_work(readonly=True) as uow:
            chats = await inbox.chats_with_work(uow.session)
        started = 0
        for chat in chats:
            if chat in self._busy or self._slots.locked():
                continue
            if await self._acquire(chat):
                started += 1
                self._busy.add(chat)
                task = asyncio.create_task(self._work_chat(chat))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        return started

    async def drain(self) -> None:
        """Process everything pending now (tests and one-shot commands)."""
        while await self.poll_once() or self._tasks:
            if self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _lease(self, chat: tuple[str, str]) -> str:
        return f"in:{chat[0]}:{chat[1]}"

    async def _acquire(self, chat: tuple[str, str]) -> bool:
        async with self.db.unit_of_work() as uow:
            ok = await leases.acquire(uow.session, self._lease(chat), self.owner, self.clock.now(), self._ttl)
            await uow.commit()
        return ok

    async def _work_chat(self, chat: tuple[str, str]) -> None:
        async with self._slots:
            try:
                while not self._stopping and await self._one(chat):
                    pass
            except Exception:  # a database outage: leave the rows for the next pass
                log.exception("consumer stopped on chat %s:%s", chat[0], hashed_id(chat[1]))
            finally:
                self._busy.discard(chat)
                try:
                    async with self.db.unit_of_work() as uow:
                        await leases.release(uow.session, self._lease(chat), self.owner)
                        await uow.commit()
                except Exception:
                    log.exception("could not release lease of chat %s:%s", chat[0], hashed_id(chat[1]))
                self._wake.set()

    async def _one(self, chat: tuple[str, str]) -> bool:
        """Handle the chat's next row; False when none is left or the lease was lost."""
        channel, chat_key = chat
        async with self.db.unit_of_work() as uow:
            session = uow.session
            if not await leases.renew(session, self._lease(chat), self.owner, self.clock.now(), self._ttl):
                return False
            row = await inbox.next_for_chat(session, channel, chat_key)
            if row is None:
                return False
            row_id = row.id
            try:
                await self._process(uow, row)
                await inbox.mark(session, row_id, "done", self.clock.now())
                uow.after_commit(self._after_commit)
                await uow.commit()
            except Exception as exc:
                log.exception("update %s of %s failed", hashed_id(row.platform_id), channel)
                await session.rollback()
                await self._record_failure(row_id, f"{type(exc).__name__}: {exc}")
                return True
        crash_point("after_flow_commit")
        return True

    async def _record_failure(self, row_id: int, error: str) -> None:
        async with self.db.unit_of_work() as uow:
            attempts = await inbox.record_failure(uow.session, row_id, error)
            if attempts >= MAX_ATTEMPTS:
                row = await uow.session.get(InboxItem, row_id)
                if row is not None:
                    await self._on_failure(uow, row)
                await inbox.mark(uow.session, row_id, "failed", self.clock.now(), error)
                uow.after_commit(self._after_commit)
            await uow.commit()
