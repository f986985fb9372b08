"""Two sweeps at once send each reminder exactly once: two processes on PostgreSQL, two tasks on SQLite.

900 unaccepted reports of one ward all pass their accept deadline at Friday 13/03/2026 15:00; each must bring
the ward's officer exactly one "not accepted" notice, however the two sweeps share the work (200 cases per
transaction; more than five notices to one chat in one transaction are combined into one message).
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select, text

from bot.clock import FakeClock
from bot.services.sweep import run_sweep
from storage.db import create_engine
from storage.models import CaseReminder, OutboxItem
from storage.uow import Database
from tests.deadlines.support import case_row, insert_cases, link, unit_ids, vn

CASES = 900
AT = vn(2026, 3, 13, 15, 0)
TIEPDAN = str(Path(sys.executable).parent / "tiepdan")
CODE = re.compile(r"PA-2026-\d{6}")


async def _seed(db: Database) -> None:
    await link(db, "SAODO_OFF1", 4001)
    ward = (await unit_ids(db))["P_SAODO"]
    await insert_cases(db, [
        case_row(n, ward, created=vn(2026, 3, 13, 9, 0), accept_due=AT, due=vn(2026, 3, 20, 17, 0), next_action=AT)
        for n in range(1, CASES + 1)
    ])


async def _each_case_told_once(db: Database) -> None:
    async with db.unit_of_work(readonly=True) as uow:
        claims = (await uow.session.execute(select(func.count(CaseReminder.id)))).scalar_one()
        texts = (await uow.session.execute(
            select(OutboxItem.payload).where(OutboxItem.purpose == "deadline", OutboxItem.chat_id == "4001")
        )).scalars().all()
    mentions = Counter(code for payload in texts for code in CODE.findall(payload["text"]))
    assert claims == CASES
    assert len(mentions) == CASES and set(mentions.values()) == {1}


async def test_two_sweeps_at_once_send_each_reminder_once(db_url: str, backend: str, database: Database) -> None:
    if backend == "sqlite":
        await _two_tasks(db_url)
    else:
        await _two_processes(db_url, database)


async def _two_tasks(db_url: str) -> None:
    """Two engines in one process: SQLite serialises their write transactions (BEGIN IMMEDIATE)."""
    first, second = Database(db_url), Database(db_url)
    try:
        await _seed(first)
        reports = await asyncio.gather(run_sweep(first, FakeClock(AT)), run_sweep(second, FakeClock(AT)))
        assert sum(r.cases for r in reports) == CASES
        assert sum(r.reminders for r in reports) == CASES
        await _each_case_told_once(first)
    finally:
        await first.dispose()
        await second.dispose()


async def _two_processes(db_url: str, database: Database) -> None:
    """Two `tiepdan sweep` processes: each takes its cases with FOR UPDATE SKIP LOCKED."""
    await _seed(database)
    env = os.environ | {"DATABASE_URL": db_url, "LOG_LEVEL": "WARNING"}
    # Hold the cases table so both processes are provably inside their sweep, waiting, before either starts.
    gate = create_engine(db_url)
    try:
        async with gate.begin() as holder:
            await holder.execute(text("LOCK TABLE cases IN EXCLUSIVE MODE"))
            procs = [
                await asyncio.create_subprocess_exec(
                    TIEPDAN, "sweep", "--at", "2026-03-13T15:00+07:00", "--send", env=env,
                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
                for _ in range(2)
            ]
            await _until_waiting(holder, 2)
        # Committed: the lock is gone and both sweeps take their cases at the same moment.
        outputs = [await asyncio.wait_for(p.communicate(), 120) for p in procs]
    finally:
        await gate.dispose()
    assert [p.returncode for p in procs] == [0, 0], outputs
    taken = [int(re.search(rb"cases=(\d+)", out).group(1)) for out, _ in outputs]  # type: ignore[union-attr]
    reminded = [int(re.search(rb"reminders=(\d+)", out).group(1)) for out, _ in outputs]  # type: ignore[union-attr]
    assert sum(taken) == CASES and sum(reminded) == CASES, outputs
    await _each_case_told_once(database)


async def _until_waiting(holder, count: int) -> None:
    """Until `count` other sessions wait for a lock on the cases table (generous: processes start slowly)."""
    query = text(
        "SELECT count(*) FROM pg_locks WHERE relation = 'cases'::regclass AND NOT granted "
        "AND pid <> pg_backend_pid()")
    for _ in range(1200):
        if (await holder.execute(query)).scalar_one() >= count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the two sweep processes never reached the cases table")
