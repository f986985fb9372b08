"""APScheduler as a ticker, nothing more.

Every periodic job is a catch-up function over the database that takes a clock ("send every reminder due by
now that is not yet claimed"), so the scheduler keeps no state that matters: a tick missed while the process
was down is simply the next tick's work, several processes may tick at once (the jobs claim what they do),
and tests call the functions with a fake clock instead of waiting for ticks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot import metrics
from bot.clock import Clock
from bot.services.case_actions import expire_ratings
from bot.services.digest import send_due_digests
from bot.services.drafts import remind_idle_drafts
from bot.services.org_view import OrgCache
from bot.services.privacy import complete_erasures
from bot.services.retention import RETENTION_DAYS, run_retention
from bot.services.sweep import run_sweep
from bot.workers.supervise import Outage, is_transient
from storage.uow import Database

log = logging.getLogger(__name__)

SWEEP_EVERY = 60.0  # seconds; reminders are planned to the minute
DIGEST_EVERY = 300.0  # the weekly digest is due once a week; a late tick only delays it by minutes
RATINGS_EVERY = 600.0
DRAFTS_EVERY = 600.0
RETENTION_EVERY = 60.0  # a PIN shown on the web is masked in the transcript within a minute of its grace
ERASURES_EVERY = 60.0  # an account deletion or a denouncer's message wipe finishes within a minute


@dataclass(frozen=True, slots=True)
class Tick:
    name: str
    run: Callable[[], Awaitable[object]]
    every: float  # seconds between runs


def application_ticks(db: Database, clock: Clock, org: OrgCache, tz: ZoneInfo,
                      wake: Callable[[], None] | None = None, *, retention_days: int = RETENTION_DAYS) -> list[Tick]:
    """The application's periodic jobs, each bound to its database and clock."""
    return [
        Tick("deadline-sweep", metrics.timed_job("sweep", partial(run_sweep, db, clock, org=org, wake=wake)),
             SWEEP_EVERY),
        Tick("weekly-digest", metrics.timed_job("digest", partial(send_due_digests, db, clock, org=org, wake=wake)),
             DIGEST_EVERY),
        Tick("expire-ratings", partial(expire_ratings, db, clock), RATINGS_EVERY),
        Tick("idle-drafts", partial(remind_idle_drafts, db, clock, tz), DRAFTS_EVERY),
        Tick("erasures", partial(complete_erasures, db, clock), ERASURES_EVERY),
        Tick("retention", partial(run_retention, db, clock, days=retention_days), RETENTION_EVERY),
    ]


class Ticker:
    """Runs each tick on its interval, one run at a time per tick; the first run happens at start."""

    def __init__(self, ticks: list[Tick]) -> None:
        self.ticks = ticks
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._running: set[asyncio.Task[None]] = set()
        self._outages: dict[str, Outage] = {}

    def start(self) -> None:
        for tick in self.ticks:
            self.scheduler.add_job(
                self._fire, IntervalTrigger(seconds=tick.every), args=[tick], id=tick.name, name=tick.name,
                max_instances=1, coalesce=True, misfire_grace_time=None, next_run_time=datetime.now(UTC),
            )
        self.scheduler.start()

    async def shutdown(self) -> None:
        """Stop ticking and wait for the runs in flight to unwind, before the database goes away."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)

    async def _fire(self, tick: Tick) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        outage = self._outages.setdefault(tick.name, Outage(f"periodic job {tick.name}", log))
        try:
            await tick.run()
            outage.ok()
        except Exception as exc:
            # The next tick retries: the jobs are catch-up functions, so nothing is lost by failing once.
            if is_transient(exc):
                outage.failed(exc)  # logged once per outage
            else:
                log.exception("periodic job %s failed", tick.name)
        finally:
            if task is not None:
                self._running.discard(task)
