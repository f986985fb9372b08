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
from datetime import UTC, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot import metrics
from bot.clock import Clock
from bot.services.announcements import settle_announcements
from bot.services.case_actions import expire_ratings
from bot.services.dialogues import remind_dialogues
from bot.services.digest import send_due_digests
from bot.services.drafts import remind_idle_drafts
from bot.services.org_view import OrgCache
from bot.services.privacy import complete_erasures
from bot.services.receptions import plan_receptions
from bot.services.retention import RETENTION_DAYS, run_retention
from bot.services.sweep import run_sweep
from bot.services.work import run_work_jobs
from bot.workers.supervise import Outage, is_transient
from storage.repositories import leases
from storage.uow import Database

log = logging.getLogger(__name__)

SWEEP_EVERY = 60.0  # seconds; reminders are planned to the minute
DIGEST_EVERY = 300.0  # the weekly digest is due once a week; a late tick only delays it by minutes
RATINGS_EVERY = 600.0
DRAFTS_EVERY = 600.0
RETENTION_EVERY = 60.0  # a PIN shown on the web is masked in the transcript within a minute of its grace
ERASURES_EVERY = 60.0  # an account deletion or a denouncer's message wipe finishes within a minute
WORK_EVERY = 600.0  # leaders' work: monthly prompts, overdue milestones, the committee's summaries
RECEPTIONS_EVERY = 3600.0  # the reception days are planned two months ahead: hourly is plenty
DIALOGUES_EVERY = 300.0  # the day-before reminder of a dialogue session may go a few minutes late
ANNOUNCEMENTS_EVERY = 30.0  # the sender hears how an announcement went within half a minute of it settling


@dataclass(frozen=True, slots=True)
class Tick:
    name: str
    run: Callable[[], Awaitable[object]]
    every: float  # seconds between runs


JOB_HOLD = timedelta(minutes=10)  # a crashed holder's claim on a job lapses after this, at the latest


def alone(db: Database, clock: Clock, owner: str, tick: Tick) -> Tick:
    """The tick, run by one process at a time across the deployment: it takes the lease `job:<name>` for the
    run (another process that holds it runs it now; this one skips the tick). Jobs are catch-ups, so a skipped
    tick loses nothing; running them one at a time spares duplicate work, the races of two runs writing the
    same rows (one reception day planned twice) and the deadlocks of two bulk updates crossing."""
    name = f"job:{tick.name}"

    async def run() -> object:
        async with db.unit_of_work() as uow:
            taken = await leases.acquire(uow.session, name, owner, clock.now(), JOB_HOLD)
            await uow.commit()
        if not taken:
            return None
        try:
            return await tick.run()
        finally:
            async with db.unit_of_work() as uow:
                await leases.release(uow.session, name, owner)
                await uow.commit()

    return Tick(tick.name, run, tick.every)


def application_ticks(db: Database, clock: Clock, org: OrgCache, tz: ZoneInfo,
                      wake: Callable[[], None] | None = None, *, retention_days: int = RETENTION_DAYS,
                      owner: str | None = None) -> list[Tick]:
    """The application's periodic jobs, each bound to its database and clock; with `owner` (this process's
    id), each runs in one process at a time."""
    ticks = [
        Tick("deadline-sweep", metrics.timed_job("sweep", partial(run_sweep, db, clock, org=org, wake=wake)),
             SWEEP_EVERY),
        Tick("weekly-digest", metrics.timed_job("digest", partial(send_due_digests, db, clock, org=org, wake=wake)),
             DIGEST_EVERY),
        Tick("expire-ratings", partial(expire_ratings, db, clock), RATINGS_EVERY),
        Tick("idle-drafts", partial(remind_idle_drafts, db, clock, tz), DRAFTS_EVERY),
        Tick("erasures", partial(complete_erasures, db, clock), ERASURES_EVERY),
        Tick("retention", partial(run_retention, db, clock, days=retention_days), RETENTION_EVERY),
        Tick("leaders-work", partial(run_work_jobs, db, clock, org=org, wake=wake), WORK_EVERY),
        Tick("announcements", partial(settle_announcements, db, clock, wake=wake), ANNOUNCEMENTS_EVERY),
        Tick("dialogue-reminders", partial(remind_dialogues, db, clock, tz, org), DIALOGUES_EVERY),
        Tick("reception-schedule", partial(plan_receptions, db, clock, org, tz), RECEPTIONS_EVERY),
    ]
    return ticks if owner is None else [alone(db, clock, owner, tick) for tick in ticks]


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
