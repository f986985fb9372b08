"""One per-chat worker pool, used by the consumer (inbox) and the sender (outbox).

Work reaches the pool in memory: whoever commits new work for a chat offers that chat (`offer`), and a free
worker takes it at once. The database is scanned only as a fallback - at start, when woken from another
process, when a row waiting out a back-off falls due, and every `fallback_poll` seconds - so a busy chat is
never polled and an idle process makes one query every few seconds.

One chat is worked by at most one worker of the pool at a time, so its rows keep their order; a chat offered
while busy is worked again when its worker is done. Every failure is supervised: a database or network error
puts the chat back after a back-off (logged once per outage), a bug in the work itself is logged and the
worker goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.workers.supervise import Outage, backoff, is_transient

log = logging.getLogger(__name__)

Chat = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Scan:
    chats: list[Chat]
    next_due_in: float | None = None  # seconds until the next row waiting out a back-off is due


class ChatPool:
    def __init__(self, name: str, *, work: Callable[[Chat], Awaitable[None]], scan: Callable[[], Awaitable[Scan]],
                 concurrency: int = 4, fallback_poll: float = 5.0) -> None:
        self.name = name
        self._work, self._scan = work, scan
        self.concurrency, self.fallback_poll = concurrency, fallback_poll
        self._queue: asyncio.Queue[Chat | None] = asyncio.Queue()
        self._queued: set[Chat] = set()
        self._busy: set[Chat] = set()
        self._again: set[Chat] = set()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self.stopping = False
        self.running = False
        self.outage = Outage(f"{name} pool", log)
        self.handled = 0
        self._timers: set[asyncio.TimerHandle] = set()

    # --- feeding ------------------------------------------------------------------------------------------

    def offer(self, chat: Chat) -> None:
        """`chat` has work: a worker takes it now (or again once the worker holding it is done)."""
        if self.stopping:
            return
        if chat in self._busy:
            self._again.add(chat)
        elif chat not in self._queued:
            self._queued.add(chat)
            self._idle.clear()
            self._queue.put_nowait(chat)

    def offer_later(self, chat: Chat, seconds: float) -> None:
        handle = asyncio.get_running_loop().call_later(seconds, self._fire, chat)
        self._timers.add(handle)

    def _fire(self, chat: Chat) -> None:
        self._timers = {t for t in self._timers if not t.cancelled() and t.when() > asyncio.get_running_loop().time()}
        self.offer(chat)

    def wake(self) -> None:
        """Scan the database soon (work from another process, or a sweep that does not name its chats)."""
        self._wake.set()

    # --- running ------------------------------------------------------------------------------------------

    async def run(self) -> None:
        """Until stopped: the scan loop plus `concurrency` workers; returns once the work in hand is done."""
        self.running = True
        workers = [asyncio.create_task(self._worker(), name=f"{self.name}-{i}") for i in range(self.concurrency)]
        try:
            await self._scan_loop()
        finally:
            for _ in workers:
                self._queue.put_nowait(None)
            if self.stopping:
                await asyncio.gather(*workers, return_exceptions=True)
            else:
                for task in workers:
                    task.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
            for timer in self._timers:
                timer.cancel()
            self.running = False

    def stop(self) -> None:
        """Start no new work; the work in hand finishes and `run` returns."""
        self.stopping = True
        self._wake.set()

    async def _scan_loop(self) -> None:
        while not self.stopping:
            self._wake.clear()
            wait = self.fallback_poll
            try:
                found = await self._scan()
            except Exception as exc:
                if not is_transient(exc):
                    log.exception("%s: scanning for work failed", self.name)
                wait = self.outage.failed(exc)
            else:
                self.outage.ok()
                for chat in found.chats:
                    if chat not in self._busy:
                        self.offer(chat)
                if found.next_due_in is not None and found.next_due_in > 0:
                    wait = min(wait, found.next_due_in)
            try:
                await asyncio.wait_for(self._wake.wait(), max(0.001, wait))
            except TimeoutError:
                pass

    async def _worker(self) -> None:
        while True:
            chat = await self._queue.get()
            if chat is None:
                return
            self._queued.discard(chat)
            if self.stopping:
                continue
            await self._handle(chat)

    async def _handle(self, chat: Chat) -> None:
        if chat in self._busy:  # one worker per chat in this process, whoever asks
            self._again.add(chat)
            return
        self._busy.add(chat)
        try:
            await self._work(chat)
            self.handled += 1
            if self.outage.ongoing:
                self.outage.ok()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if is_transient(exc):
                delay = self.outage.failed(exc)
            else:  # a bug in the worker itself (a flow's own errors are handled inside `work`)
                log.exception("%s: unexpected error on a chat", self.name)
                delay = backoff(1, first=1.0)
            self.offer_later(chat, delay)
        finally:
            self._busy.discard(chat)
            if chat in self._again:
                self._again.discard(chat)
                self.offer(chat)
            if not self._busy and not self._queued:
                self._idle.set()

    # --- tests and one-shot commands ----------------------------------------------------------------------

    async def drain(self) -> None:
        """Work everything that is due now, then return (no background loop needed)."""
        while True:
            found = await self._scan()
            pending = [c for c in found.chats if c not in self._busy]
            while not self._queue.empty():
                chat = self._queue.get_nowait()
                self._queued.discard(chat)
                if chat is not None and chat not in pending:
                    pending.append(chat)
            if not pending:
                if self.running and not self._idle.is_set():
                    await self._idle.wait()
                    continue
                return
            await self._handle_all(pending)

    async def _handle_all(self, chats: list[Chat]) -> None:
        slots = asyncio.Semaphore(self.concurrency)

        async def one(chat: Chat) -> None:
            async with slots:
                await self._handle(chat)

        await asyncio.gather(*(one(c) for c in chats))

    @property
    def busy(self) -> int:
        return len(self._busy)


class PoolWorker:
    """A worker whose loop is its chat pool (the consumer, the sender): running, waking and stopping it is
    running, waking and stopping the pool."""

    pool: ChatPool

    def wake(self) -> None:
        self.pool.wake()

    def stop(self) -> None:
        self.pool.stop()

    async def run(self) -> None:
        await self.pool.run()
