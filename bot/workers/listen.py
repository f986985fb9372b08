"""Wake-ups across processes on PostgreSQL: NOTIFY in the transaction that queued work, LISTEN elsewhere.

A transaction that wrote inbox or outbox rows sends one `pg_notify` naming the chats, delivered by PostgreSQL
only if it commits, and only when other processes are alive (the heartbeat counts them). Every process
listens on a connection of its own and offers the named chats to its pools, so latency no longer depends on
a poll interval. A lost listening connection is re-opened (supervised) and followed by a full scan, since a
notification sent meanwhile is gone. SQLite has one machine and the in-process hand-off; it needs none of this.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from bot.workers.presence import Presence
from bot.workers.supervise import Outage
from storage.uow import Database, Work

log = logging.getLogger(__name__)

CHANNEL = "tiepdan_work"
MAX_PAYLOAD = 7000  # PostgreSQL's limit is 8000 bytes; past it we just say "look"


def encode(owner: str, work: set[Work]) -> str:
    lines = [owner, *("\t".join(item) for item in sorted(work))]
    payload = "\n".join(lines)
    return payload if len(payload.encode()) <= MAX_PAYLOAD else f"{owner}\n*"


def decode(payload: str) -> tuple[str, set[Work] | None]:
    """(sender, the work named) - None for "too much to name: scan"."""
    owner, _, rest = payload.partition("\n")
    if rest == "*":
        return owner, None
    work: set[Work] = set()
    for line in rest.splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            work.add((parts[0], parts[1], parts[2]))
    return owner, work


class Notifier:
    def __init__(self, db: Database, presence: Presence, scan_all: Callable[[], None]) -> None:
        self.db, self.presence, self.scan_all = db, presence, scan_all
        self.outage = Outage("work notifications", log)
        self.connected = asyncio.Event()
        db.before_commit = self.before_commit

    async def before_commit(self, session: AsyncSession, work: set[Work]) -> None:
        if self.presence.peers > 0:
            await session.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL,
                                                                    "p": encode(self.presence.owner, work)})

    def _dsn(self) -> str:
        url = make_url(self.db.url).set(drivername="postgresql").difference_update_query(["schema"])
        return url.render_as_string(hide_password=False)

    def _heard(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        owner, work = decode(str(payload))  # a NOTIFY's payload is text
        if owner == self.presence.owner:
            return
        if work is None:
            self.scan_all()
        else:
            self.db.new_work(work)

    async def run(self) -> None:
        import asyncpg

        while True:
            conn = None
            try:
                conn = await asyncpg.connect(self._dsn(), timeout=10)
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(CHANNEL, self._heard)
                self.outage.ok()
                self.connected.set()
                self.scan_all()  # whatever was announced while we were not listening
                while not lost.is_set():
                    try:
                        await asyncio.wait_for(lost.wait(), 5.0)
                    except TimeoutError:
                        await conn.execute("SELECT 1")  # notice a dead server without waiting for TCP
                raise ConnectionError("listening connection lost")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.connected.clear()
                delay = self.outage.failed(exc)
            finally:
                if conn is not None and not conn.is_closed():
                    conn.terminate()
            await asyncio.sleep(delay)
