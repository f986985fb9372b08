"""The Official Account's access token, and its refresh: each refresh token works exactly once.

So the refresh is serialised across processes by a lease (holding a database lock across an HTTP call would
stall every SQLite writer), and the new pair is committed in its own transaction the moment it arrives, before
the new access token is used: a crash afterwards loses nothing. A worker that finds the stored access token
already different from the one Zalo refused simply uses the newer one.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from storage.repositories import leases
from storage.repositories import zalo_oa_tokens as token_rows
from storage.uow import Database

log = logging.getLogger(__name__)

LEASE_TTL = timedelta(seconds=60)  # longer than the refresh call's timeout
WAIT_FOR_OTHER = 60.0  # seconds a worker waits for another one's refresh


@dataclass(frozen=True, slots=True)
class FreshTokens:
    access_token: str
    refresh_token: str
    expires_in: float | None = None  # seconds


class TokensUnavailable(Exception):
    """No usable token: none configured, the refresh was refused, or another worker's refresh never ended."""


Refresh = Callable[[str], Awaitable[FreshTokens]]  # spends a refresh token, returns the new pair


def fingerprint(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode()).hexdigest()[:32]


class OATokens:
    def __init__(self, db: Database, clock: Clock, app_id: str, refresh: Refresh) -> None:
        self.db, self.clock, self.app_id, self._refresh = db, clock, app_id, refresh
        self._owner = f"oa-tokens-{uuid.uuid4().hex[:12]}"
        self._lease = f"zalo_oa:refresh:{app_id}"
        self._lock = asyncio.Lock()
        self._cached: str | None = None

    async def seed(self, access: str | None, refresh: str | None) -> None:
        """Bootstrap from the settings; the database wins unless the settings hold a new refresh token."""
        if not refresh:
            return
        async with self.db.unit_of_work() as uow:
            changed = await token_rows.seed(uow.session, self.app_id, access or "", refresh, fingerprint(refresh),
                                            self.clock.now())
            await uow.commit()
        if changed:
            self._cached = None
            log.info("Zalo OA tokens taken from the settings")

    async def current(self) -> str:
        """The access token to try; empty when only a refresh token is known."""
        if self._cached is None:
            self._cached = await self._stored_access()
        return self._cached

    async def refresh(self, stale: str) -> str:
        """A working access token after Zalo refused `stale`, refreshing at most once across all workers."""
        async with self._lock:
            deadline = time.monotonic() + WAIT_FOR_OTHER
            while True:
                newer = await self._stored_access()
                if newer and newer != stale:
                    self._cached = newer
                    return newer
                if await self._acquire():
                    break
                if time.monotonic() > deadline:
                    raise TokensUnavailable("another worker's token refresh did not finish")
                await asyncio.sleep(0.2)
            try:
                return await self._refresh_under_lease(stale)
            finally:
                await self._release()

    async def _refresh_under_lease(self, stale: str) -> str:
        async with self.db.unit_of_work(readonly=True) as uow:
            row = await token_rows.load(uow.session, self.app_id)
        if row is None or not row.refresh_token:
            raise TokensUnavailable("no Zalo OA refresh token: set ZALO_OA_REFRESH_TOKEN")
        if row.access_token and row.access_token != stale:  # refreshed while we took the lease
            self._cached = row.access_token
            return row.access_token
        fresh = await self._refresh(row.refresh_token)
        now = self.clock.now()
        expires = now + timedelta(seconds=fresh.expires_in) if fresh.expires_in else None
        async with self.db.unit_of_work() as uow:  # committed before the new access token is used
            await token_rows.save(uow.session, self.app_id, fresh.access_token, fresh.refresh_token, expires, now)
            await uow.commit()
        self._cached = fresh.access_token
        log.info("Zalo OA access token refreshed")
        return fresh.access_token

    async def _stored_access(self) -> str:
        async with self.db.unit_of_work(readonly=True) as uow:
            row = await token_rows.load(uow.session, self.app_id)
        return row.access_token if row is not None else ""

    async def stored(self) -> tuple[str, str, datetime | None] | None:
        """(access, refresh, expiry) as stored: for admins and tests."""
        async with self.db.unit_of_work(readonly=True) as uow:
            row = await token_rows.load(uow.session, self.app_id)
        return (row.access_token, row.refresh_token, row.access_expires_at) if row is not None else None

    async def _acquire(self) -> bool:
        async with self.db.unit_of_work() as uow:
            ok = await leases.acquire(uow.session, self._lease, self._owner, self.clock.now(), LEASE_TTL)
            await uow.commit()
        return ok

    async def _release(self) -> None:
        try:
            async with self.db.unit_of_work() as uow:
                await leases.release(uow.session, self._lease, self._owner)
                await uow.commit()
        except Exception:  # the lease runs out on its own
            log.exception("could not release %s", self._lease)
