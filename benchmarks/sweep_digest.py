"""The deadline sweep and the leaders' digest over a large history of cases, generated in bulk with SQL.

An organisation of 300 units under one root is added to the demo one; N cases (one a year's worth, spread
evenly over the year before NOW) are generated with one INSERT ... SELECT (a recursive CTE on SQLite,
generate_series on PostgreSQL). One case in 50 is open; 1,000 of those are due. The sweep is timed as
`tiepdan sweep` runs it (`run_sweep` with a clock at NOW), first with N/50 open cases, then again after
one case in 5 is made open (10x the open cases) with another 1,000 due: the two times should be the same.
Then the digest of the root unit (all 300 units) for the last full month is built as `tiepdan digest
--dry-run` builds it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import text

from benchmarks.common import Figure
from bot.clock import FakeClock
from bot.domain.digest import month
from bot.services.digest import Digests
from bot.services.org_view import OrgCache
from bot.services.sweep import run_sweep
from storage.models import Case
from storage.uow import Database

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # Friday 27/11/2026 10:00 in Hanoi, a working day
UNITS = 300
DUE = 1000
YEAR_S = 365 * 86400
ROOT_CODE = "BENCH_ROOT"


@dataclass
class SweepDigestResult:
    cases: int
    generate_s: float = 0.0
    grow_s: float = 0.0
    sweeps: dict[int, float] = field(default_factory=dict)  # open cases -> seconds
    swept: dict[int, int] = field(default_factory=dict)  # open cases -> due cases taken
    digest_s: float = 0.0
    digest_units: int = 0


class Sql:
    """The few expressions that differ between SQLite and PostgreSQL."""

    def __init__(self, postgres: bool) -> None:
        self.postgres = postgres
        self.base = int(NOW.timestamp())

    def at(self, offset: str) -> str:
        """NOW + `offset` seconds, as the column stores it."""
        if self.postgres:
            return f"to_timestamp({self.base} + ({offset}))"
        return f"strftime('%Y-%m-%d %H:%M:%S', {self.base} + ({offset}), 'unixepoch') || '.000000'"

    def series(self, n: int) -> tuple[str, str]:
        """(prefix, FROM clause) giving a column `i` from 1 to n."""
        if self.postgres:
            return "", f"generate_series(1::bigint, {n}) AS s(i)"
        return f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) ", "s"

    @property
    def false(self) -> str:
        return "false" if self.postgres else "0"

    @property
    def empty_json(self) -> str:
        return "'{}'::json" if self.postgres else "'{}'"


async def _ids(db: Database, sql: str) -> tuple[int, int]:
    async with db.engine.connect() as conn:
        low, count = (await conn.execute(text(sql))).one()
    return int(low), int(count)


async def generate(db: Database, n: int, postgres: bool) -> None:
    q = Sql(postgres)
    prefix, series = q.series(UNITS)
    async with db.engine.begin() as conn:
        await conn.execute(text(
            f"INSERT INTO units (code, name_vi, name_en, kind, active) "
            f"VALUES ('{ROOT_CODE}', 'Khối đo hiệu năng', 'Benchmark block', 'leadership', true)"))
        await conn.execute(text(
            f"{prefix}INSERT INTO units (code, name_vi, name_en, kind, parent_id, active) "
            f"SELECT 'BENCH_' || i, 'Đơn vị ' || i, 'Unit ' || i, 'department', "
            f"(SELECT id FROM units WHERE code = '{ROOT_CODE}'), true FROM {series}"))
    unit0, units = await _ids(db, "SELECT min(id), count(*) FROM units WHERE parent_id = "
                                  f"(SELECT id FROM units WHERE code = '{ROOT_CODE}')")
    cat0, cats = await _ids(db, "SELECT min(id), count(*) FROM categories")
    area0, areas = await _ids(db, "SELECT min(id), count(*) FROM areas")
    prefix, series = q.series(n)
    created = f"-(({n} - i) * {YEAR_S} / {n}) - 1"
    is_open = "i % 50 = 0"
    status = ("CASE WHEN i % 50 <> 0 THEN 'closed' WHEN i % 3 = 0 THEN 'submitted' "
              "WHEN i % 3 = 1 THEN 'assigned' ELSE 'in_progress' END")
    next_action = (f"CASE WHEN NOT ({is_open}) THEN NULL "
                   f"WHEN i <= {50 * DUE} THEN {q.at('-3600')} "  # due now: the first sweep's
                   f"WHEN i <= {100 * DUE} THEN {q.at(str(400 * 86400))} "  # made due before the second
                   f"ELSE {q.at('86400 + (i % 1000) * 60')} END")
    closed = f"CASE WHEN {is_open} THEN NULL ELSE {{}} END"
    indexes = list(Case.__table__.indexes)
    async with db.engine.begin() as conn:
        # A bulk load is faster into a bare table: the secondary indexes are built again after it.
        await conn.run_sync(lambda sync: [index.drop(sync) for index in indexes])
        await conn.execute(text(
            f"{prefix}INSERT INTO cases (id, code, kind, status, category_id, area_id, unit_id, source, text, "
            "sealed, language, details, created_at, accept_due_at, due_at, original_due_at, accepted_at, "
            "resolved_at, closed_at, next_action_at, rating, reopen_count, transfer_count, extended) "
            f"SELECT i, 'BN-' || i, 'report', {status}, {cat0} + i % {cats}, {area0} + i % {areas}, "
            f"{unit0} + i % {units}, 'chat', 'Phản ánh sinh ra để đo hiệu năng', {q.false}, 'vi', "
            f"{q.empty_json}, {q.at(created)}, {q.at(f'{created} + 86400')}, {q.at(f'{created} + 15 * 86400')}, "
            f"{q.at(f'{created} + 15 * 86400')}, "
            f"CASE WHEN i % 50 = 0 AND i % 3 = 0 THEN NULL ELSE {q.at(f'{created} + 7200')} END, "
            f"{closed.format(q.at(f'{created} + 5 * 86400'))}, {closed.format(q.at(f'{created} + 6 * 86400'))}, "
            f"{next_action}, CASE WHEN i % 50 <> 0 AND i % 4 = 0 THEN 'satisfied' ELSE NULL END, 0, 0, {q.false} "
            f"FROM {series}"))
        await conn.run_sync(lambda sync: [index.create(sync) for index in indexes])
        if postgres:
            await conn.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))"))
            await conn.execute(text("ANALYZE cases"))
        else:
            await conn.execute(text("ANALYZE"))


async def grow_open(db: Database, postgres: bool) -> None:
    """One case in 5 open (10x), and the second set of 1,000 due."""
    q = Sql(postgres)
    async with db.engine.begin() as conn:
        await conn.execute(text(
            f"UPDATE cases SET status = 'in_progress', resolved_at = NULL, closed_at = NULL, rating = NULL, "
            f"next_action_at = {q.at('86400 + (id % 1000) * 60')} WHERE id % 5 = 0 AND id % 50 <> 0 "
            "AND code LIKE 'BN-%'"))
        await conn.execute(text(
            f"UPDATE cases SET next_action_at = {q.at('-3600')} WHERE id % 50 = 0 AND id > {50 * DUE} "
            f"AND id <= {100 * DUE}"))
        await conn.execute(text("ANALYZE cases" if postgres else "ANALYZE"))


async def open_cases(db: Database) -> int:
    async with db.engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM cases WHERE next_action_at IS NOT NULL"))).scalar_one())


async def timed_sweep(db: Database, result: SweepDigestResult) -> None:
    opened = await open_cases(db)
    started = time.perf_counter()
    report = await run_sweep(db, FakeClock(NOW))
    result.sweeps[opened] = time.perf_counter() - started
    result.swept[opened] = report.cases


async def timed_digest(db: Database, result: SweepDigestResult) -> None:
    started = time.perf_counter()
    async with db.unit_of_work(readonly=True) as uow:
        org = await OrgCache().get(uow.session, NOW.date())
        root = org.units[ROOT_CODE]
        local = NOW.astimezone(org.calendar.tz)
        period = month(local.year - (local.month == 1), (local.month - 2) % 12 + 1, org.calendar.tz)
        message = await Digests(uow.session, org).message(root.id, period, "vi")
    result.digest_s = time.perf_counter() - started
    result.digest_units = sum(1 for u in org.units.values() if u.parent_code == ROOT_CODE)
    assert message.text


async def run_sweep_digest(database_url: str, *, cases: int) -> SweepDigestResult:
    if cases < 100 * DUE:
        raise ValueError(f"at least {100 * DUE} cases (two sets of {DUE} due among the open ones)")
    db = Database(database_url)
    postgres = database_url.startswith("postgresql")
    result = SweepDigestResult(cases)
    try:
        started = time.perf_counter()
        await generate(db, cases, postgres)
        result.generate_s = time.perf_counter() - started
        await timed_sweep(db, result)
        started = time.perf_counter()
        await grow_open(db, postgres)
        result.grow_s = time.perf_counter() - started
        await timed_sweep(db, result)
        await timed_digest(db, result)
    finally:
        await db.dispose()
    return result


def figures(result: SweepDigestResult, backend: str) -> list[Figure]:
    (small, t_small), (large, t_large) = sorted(result.sweeps.items())
    scale = f"{result.cases:,} cases (generated in {result.generate_s:.0f} s, 10x open in {result.grow_s:.0f} s)"
    return [
        Figure("sweep", backend, f"sweep, {small:,} open", t_small, "s",
               note=f"{scale}; {result.swept[small]} due taken"),
        Figure("sweep", backend, f"sweep, {large:,} open", t_large, "s", 1.0, "lower",
               f"{result.swept[large]} due taken"),
        Figure("sweep", backend, "sweep 10x open / 1x", t_large / t_small, "x", 1.5, "lower",
               "flat: within 1.5x"),
        Figure("digest", backend, f"digest, {result.digest_units} units", result.digest_s, "s", 2.0, "lower",
               f"over {result.cases:,} cases, last full month"),
    ]
