"""Presence: this process's heartbeat in `workers`, which keeps the leases it holds.

A process that takes work beats every second or so. Another process treats a lease as free once its holder's
heartbeat is older than `stale_after` seconds, so after a crash (SIGKILL, power loss) its chats and channels
are taken over within seconds, not after a long lease runs out. A clean stop gives everything back at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

from bot.clock import Clock
from bot.workers.supervise import Outage, is_transient
from storage.repositories import leases, workers
from storage.uow import Database

log = logging.getLogger(__name__)


class Presence:
    def __init__(self, db: Database, clock: Clock, *, mode: str = "test", stale_after: float = 5.0) -> None:
        self.db, self.clock, self.mode = db, clock, mode
        self.owner = f"{socket.gethostname()[:30]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.stale_after = stale_after
        self.interval = max(0.05, min(1.0, stale_after / 4))
        self.peers = 0  # other live processes seen at the last beat: nobody to notify when 0
        self._last_beat = -1e9
        self.outage = Outage("heartbeat", log)
        self.beat_hooks: list[Callable[[], Awaitable[None]]] = []  # coroutines run after each beat (channel claims)
        self._reaping_until: float | None = None  # set at the first beat: look for crashed predecessors till then
        self.host = _machine()

    async def _reap_local_predecessors(self, now: datetime) -> None:
        """A process of this machine that is gone (its pid no longer runs) and has missed its last beat is
        dead for sure: free what it held at once, instead of waiting for its heartbeat to go stale. This is
        what makes a restart after a crash quick."""
        quiet_since = now - timedelta(seconds=3 * self.interval)
        async with self.db.unit_of_work() as uow:
            dead = [w.owner for w in await workers.listing(uow.session)
                    if w.host == self.host and w.pid != os.getpid() and w.heartbeat_at < quiet_since
                    and not _pid_runs(w.pid)]
            for owner in dead:
                await leases.release_all(uow.session, owner)
                await workers.forget(uow.session, owner)
            await uow.commit()
        if dead:
            log.info("freed the leases of %d crashed process(es) of this machine", len(dead))

    def alive_since(self, now: datetime) -> datetime:
        return now - timedelta(seconds=self.stale_after)

    def fresh(self) -> bool:
        """Our heartbeat is recent enough that nobody else can have taken our leases."""
        return time.monotonic() - self._last_beat < self.stale_after / 2

    async def beat(self) -> None:
        now = self.clock.now()
        if self._reaping_until is None:
            self._reaping_until = time.monotonic() + 2 * self.stale_after
        if time.monotonic() < self._reaping_until:
            # A predecessor killed a moment ago still looks alive (its last beat is recent); it counts as gone
            # once quiet for three beats, which comes before its leases would go stale: look at every beat.
            await self._reap_local_predecessors(now)
        async with self.db.unit_of_work() as uow:
            await workers.beat(uow.session, owner=self.owner, mode=self.mode, host=self.host, pid=os.getpid(),
                               now=now)
            live = await workers.live_count(uow.session, self.alive_since(now))
            await uow.commit()
        self._last_beat = time.monotonic()
        self.peers = max(0, live - 1)
        for hook in self.beat_hooks:
            await hook()

    async def ensure(self) -> None:
        """Beat now unless a beat is recent (before work that needs our leases to be ours)."""
        if not self.fresh():
            await self.beat()

    async def run(self) -> None:
        while True:
            try:
                await self.beat()
                self.outage.ok()
                delay = self.interval
            except Exception as exc:
                if not is_transient(exc):
                    raise
                delay = min(self.interval, self.outage.failed(exc))
            await asyncio.sleep(delay)

    async def leave(self) -> None:
        """A clean stop: every lease back and the heartbeat gone, so others take over at once."""
        try:
            async with self.db.unit_of_work() as uow:
                await leases.release_all(uow.session, self.owner)
                await workers.forget(uow.session, self.owner)
                await uow.commit()
        except Exception as exc:
            log.warning("could not give back leases on stop: %s", type(exc).__name__)


def _machine() -> str:
    """This machine: the host name and the kernel's boot id (two containers may share a host name)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
    except OSError:
        boot = "?"
    return f"{socket.gethostname()[:200]}/{boot}"


def _pid_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # runs, as another user
        return True
    return True
