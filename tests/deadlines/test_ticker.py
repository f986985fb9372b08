"""The scheduler is only a ticker: it calls catch-up jobs; the jobs themselves are tested with a fake clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.clock import SystemClock
from bot.container import Container
from bot.jobs.scheduler import Tick, Ticker, alone, application_ticks
from bot.services.org_view import OrgCache
from storage.models import OutboxItem
from storage.uow import Database
from tests.deadlines.support import VN, case_row, insert_cases, link, unit_ids
from tests.support.harness import settings_for


async def test_each_tick_runs_its_job_and_a_failing_job_does_not_stop_the_ticker() -> None:
    runs: list[str] = []
    both = asyncio.Event()

    async def job() -> None:
        runs.append("job")
        if runs.count("job") >= 2 and "broken" in runs:
            both.set()

    async def broken() -> None:
        runs.append("broken")
        raise RuntimeError("the database is down")

    ticker = Ticker([Tick("job", job, 0.05), Tick("broken", broken, 0.05)])
    ticker.start()
    try:
        await asyncio.wait_for(both.wait(), 60)  # generous: the machine may be busy
    finally:
        await ticker.shutdown()
    assert runs.count("job") >= 2 and runs.count("broken") >= 1


async def test_the_application_ticks_every_catch_up_job(tmp_path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}")
    ticks = application_ticks(db, SystemClock(), OrgCache(), VN)
    await db.dispose()
    assert [(t.name, t.every) for t in ticks] == [
        ("deadline-sweep", 60.0), ("weekly-digest", 300.0), ("expire-ratings", 600.0), ("idle-drafts", 600.0),
        ("erasures", 60.0), ("retention", 60.0), ("leaders-work", 600.0), ("announcements", 30.0),
        ("dialogue-reminders", 300.0), ("reception-schedule", 3600.0)]


async def test_the_running_application_ticks_the_weekly_digest(db_url: str) -> None:
    """The long-running modes start the ticker: with the real clock, the latest week's digest is due now."""
    container = Container(settings_for(db_url))
    await link(container.db, "UBND_LEADER", 8001)
    # The system has existed for a while (a case from two months ago): last week's digest is due, not skipped
    # as a week before the system started.
    long_ago = datetime.now(UTC) - timedelta(days=60)
    units = await unit_ids(container.db)
    await insert_cases(container.db, [case_row(1, units["P_SAODO"], created=long_ago, due=long_ago,
                                                next_action=None, status="closed")])
    container.start_ticker()
    try:
        for _ in range(600):  # generous: the first ticks run at start, but the machine may be busy
            async with container.db.unit_of_work(readonly=True) as uow:
                queued = (await uow.session.execute(
                    select(OutboxItem.chat_id).where(OutboxItem.purpose == "digest"))).scalars().all()
            if queued:
                break
            await asyncio.sleep(0.1)
    finally:
        await container.stop()
    assert queued == ["8001"]


async def test_a_job_runs_in_one_process_at_a_time(database: Database) -> None:
    """Two processes tick the same job: while one runs it, the other's tick skips; then either may run it."""
    clock = SystemClock()
    started, finish = asyncio.Event(), asyncio.Event()
    runs: list[str] = []

    def job(who: str) -> Tick:
        async def run() -> None:
            runs.append(who)
            started.set()
            await finish.wait()

        return alone(database, clock, who, Tick("retention", run, 60.0))

    first, second = job("process-a"), job("process-b")
    running = asyncio.create_task(first.run())
    await started.wait()
    assert await second.run() is None  # process-a holds the job: process-b skips this tick
    assert runs == ["process-a"]
    finish.set()
    await running
    await second.run()  # given back: process-b's next tick runs it
    assert runs == ["process-a", "process-b"]
