"""Liveness and readiness, the truth about the workers.

`/healthz` says the process is alive, nothing more. `/readyz` answers 200 only when the database answers,
its migrations are at head, every worker task is running, and neither the oldest unhandled inbox row nor the
oldest due outbox row is older than `ready_max_age_seconds`. Anyone gets the verdict; the detail (queue depths,
ages, outages) is for localhost or a caller with the health token.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, text

from storage.migrate import head_revision
from storage.models import InboxItem, OutboxItem
from storage.repositories import inbox, outbox

if TYPE_CHECKING:
    from bot.container import Container

DB_CHECK_SECONDS = 3.0


class Health:
    def __init__(self, container: Container) -> None:
        self.c = container
        self._head = head_revision()
        self._check: asyncio.Task[dict[str, Any]] | None = None

    async def _database_figures(self) -> dict[str, Any]:
        """The database's figures, or TimeoutError after DB_CHECK_SECONDS.

        A slow check is left to finish rather than cancelled: a query cancelled halfway strands its pooled
        connection (SQLAlchemy then drops it from the garbage collector, with an ERROR). Checks asked for in
        the meantime wait on the same one.
        """
        if self._check is None or self._check.done():
            self._check = asyncio.create_task(self._figures(), name="readiness-check")
        done, _ = await asyncio.wait({self._check}, timeout=DB_CHECK_SECONDS)
        if not done:
            raise TimeoutError
        return self._check.result()

    def alive(self) -> dict[str, object]:
        return {"status": "alive"}

    async def ready(self) -> tuple[bool, dict[str, Any]]:
        started = time.monotonic()
        detail: dict[str, Any] = {"channels": [ch.name for ch in self.c.channels]}
        problems: list[str] = []
        try:
            figures = await self._database_figures()
        except Exception as exc:
            problems.append(f"database: {type(exc).__name__}")
            figures = {}
        detail.update(figures)
        if figures and figures.get("migration") != self._head:
            problems.append(f"migrations: at {figures.get('migration')}, code needs {self._head}")
        limit = self.c.settings.ready_max_age_seconds
        for key in ("oldest_new_inbox_seconds", "oldest_due_outbox_seconds"):
            age = figures.get(key)
            if age is not None and age > limit:
                problems.append(f"{key.removesuffix('_seconds').replace('_', ' ')}: {age:.0f} s > {limit:.0f} s")
        tasks = {t.get_name(): not t.done() for t in self.c.tasks}
        problems += [f"task {name} is not running" for name, running in tasks.items() if not running]
        detail["tasks"] = tasks
        detail["task_restarts"] = dict(self.c.restarts)
        detail["outages"] = {name: pool.outage.ongoing for name, pool in
                             (("consumer", self.c.consumer.pool), ("sender", self.c.sender.pool))}
        detail["sending_for"] = sorted(self.c.sender.held)
        detail["problems"] = problems
        detail["checked_in_ms"] = round(1000 * (time.monotonic() - started), 1)
        return not problems, detail

    async def _figures(self) -> dict[str, Any]:
        now = self.c.clock.now()
        async with self.c.db.unit_of_work(readonly=True) as uow:
            s = uow.session
            migration = (await s.execute(text("SELECT version_num FROM alembic_version"))).scalar_one_or_none()
            oldest_in = await inbox.oldest_new_received_at(s)
            oldest_out = await outbox.oldest_due_at(s, now)
            new_in = (await s.execute(select(func.count(InboxItem.id)).where(InboxItem.status == "new"))).scalar_one()
            failed_in = (await s.execute(
                select(func.count(InboxItem.id)).where(InboxItem.status == "failed"))).scalar_one()
            pending_out = (await s.execute(
                select(func.count(OutboxItem.id)).where(OutboxItem.status == "pending"))).scalar_one()
            failed_out = (await s.execute(
                select(func.count(OutboxItem.id)).where(OutboxItem.status == "failed"))).scalar_one()
        return {
            "migration": migration,
            "oldest_new_inbox_seconds": None if oldest_in is None else (now - oldest_in).total_seconds(),
            "oldest_due_outbox_seconds": None if oldest_out is None else (now - oldest_out).total_seconds(),
            "inbox_new": new_in, "inbox_failed": failed_in, "outbox_pending": pending_out,
            "outbox_failed": failed_out,
        }
