"""The deadline sweep and the leaders' digest over a large history of cases, generated in bulk with SQL.

An organisation of 300 units under one root is added to the demo one; N cases (one a year's worth, spread
evenly over the year before NOW) are generated with one INSERT ... SELECT (a recursive CTE on SQLite,
generate_series on PostgreSQL), and their history with one INSERT ... SELECT per kind of event: every case
was submitted, most were accepted, and a closed one was answered (after 1 to 19 days, against a due date
of 15) and then rated satisfied or left to expire - each event with the case's state after it, as
storage/repositories/cases.add_event records it, since the digest reads its figures from the events.
One case in 50 is open; 1,000 of those are due.

The digest of the root unit (all 300 units) for the last full month is built first, as `tiepdan digest
--dry-run` builds it, and its figures are checked against counts taken from the generated cases' own
columns (received, answered, on time, rated, satisfied, overdue at the month's end): a digest that read
nothing, or read wrongly, stops the benchmark instead of giving a time. Then the sweep is timed as
`tiepdan sweep` runs it (`run_sweep` with a clock at NOW), first with N/50 open cases, then again after one
case in 5 is made open (10x the open cases) with another 1,000 due: the two times should be the same.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Connection, Index, and_, case, func, or_, select, text
from sqlalchemy.orm import InstrumentedAttribute

from benchmarks.common import Databases, Figure
from benchmarks.history import history
from bot.clock import FakeClock
from bot.domain.digest import Figures, Period, last_month
from bot.i18n import translator
from bot.services.digest import Digests, chart, render
from bot.services.org_view import OrgCache
from bot.services.sweep import run_sweep
from storage.models import Case, CaseEvent
from storage.uow import Database

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # Friday 27/11/2026 10:00 in Hanoi, a working day
UNITS = 300
DUE = 1000
YEAR_S = 365 * 86400
DAY_S = 86400
DUE_DAYS = 15  # the due date: 15 days after receipt
ROOT_CODE = "BENCH_ROOT"
GENERATOR = 2  # bump whenever `generate` writes something else: the kept histories are made again


@dataclass
class SweepDigestResult:
    cases: int
    events: int = 0
    grow_s: float = 0.0
    sweeps: dict[int, float] = field(default_factory=dict)  # open cases -> seconds
    swept: dict[int, int] = field(default_factory=dict)  # open cases -> due cases taken
    digest_s: float = 0.0
    digest_units: int = 0
    digest: Figures = field(default_factory=Figures)  # the root's figures for the month
    made: str = ""  # how the history came: generated, or a kept copy


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

    def iso(self, column: str) -> str:
        """A timestamp column as `datetime.isoformat()` writes it (what an event's state keeps)."""
        if self.postgres:
            return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')"""
        return f"strftime('%Y-%m-%dT%H:%M:%S+00:00', {column})"

    def obj(self, **values: str) -> str:
        """A JSON object from SQL expressions."""
        pairs = ", ".join(f"'{key}', {value}" for key, value in values.items())
        return f"json_build_object({pairs})" if self.postgres else f"json_object({pairs})"

    def series(self, n: int) -> tuple[str, str]:
        """(prefix, FROM clause) giving a column `i` from 1 to n."""
        if self.postgres:
            return "", f"generate_series(1::bigint, {n}) AS s(i)"
        return f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) ", "s"

    @property
    def false(self) -> str:
        return "false" if self.postgres else "0"

    @property
    def true(self) -> str:
        return "true" if self.postgres else "1"

    @property
    def json_false(self) -> str:
        return "false" if self.postgres else "json('false')"

    @property
    def empty_json(self) -> str:
        return "'{}'::json" if self.postgres else "'{}'"


async def _ids(db: Database, sql: str) -> tuple[int, int]:
    async with db.engine.connect() as conn:
        low, count = (await conn.execute(text(sql))).one()
    return int(low), int(count)


def _case_rows(q: Sql, n: int, unit0: int, units: int, cat0: int, cats: int, area0: int, areas: int) -> str:
    """The INSERT ... SELECT of the n cases."""
    prefix, series = q.series(n)
    created = f"-(({n} - i) * {YEAR_S} / {n}) - 1"
    resolved = f"{created} + (1 + i % 19) * {DAY_S}"  # answered after 1 to 19 days: 15 of 19 on time
    is_open = "i % 50 = 0"
    status = ("CASE WHEN i % 50 <> 0 THEN 'closed' WHEN i % 3 = 0 THEN 'submitted' "
              "WHEN i % 3 = 1 THEN 'assigned' ELSE 'in_progress' END")
    next_action = (f"CASE WHEN NOT ({is_open}) THEN NULL "
                   f"WHEN i <= {50 * DUE} THEN {q.at('-3600')} "  # due now: the first sweep's
                   f"WHEN i <= {100 * DUE} THEN {q.at(str(400 * DAY_S))} "  # made due before the second
                   f"ELSE {q.at(f'{DAY_S} + (i % 1000) * 60')} END")
    closed = f"CASE WHEN {is_open} THEN NULL ELSE {{}} END"
    return (
        f"{prefix}INSERT INTO cases (id, code, kind, status, category_id, area_id, unit_id, source, text, "
        "sealed, language, details, created_at, accept_due_at, due_at, original_due_at, accepted_at, "
        "resolved_at, closed_at, next_action_at, rating, reopen_count, transfer_count, extended) "
        f"SELECT i, 'BN-' || i, 'report', {status}, {cat0} + i % {cats}, {area0} + i % {areas}, "
        f"{unit0} + i % {units}, 'chat', 'Phản ánh sinh ra để đo hiệu năng', {q.false}, 'vi', "
        f"{q.empty_json}, {q.at(created)}, {q.at(f'{created} + {DAY_S}')}, "
        f"{q.at(f'{created} + {DUE_DAYS} * {DAY_S}')}, {q.at(f'{created} + {DUE_DAYS} * {DAY_S}')}, "
        f"CASE WHEN i % 50 = 0 AND i % 3 = 0 THEN NULL ELSE {q.at(f'{created} + 7200')} END, "
        f"{closed.format(q.at(resolved))}, {closed.format(q.at(f'{resolved} + {DAY_S}'))}, "
        f"{next_action}, CASE WHEN i % 50 <> 0 AND i % 4 = 0 THEN 'satisfied' ELSE NULL END, 0, 0, {q.false} "
        f"FROM {series}")


def _event_rows(q: Sql) -> list[str]:
    """One INSERT ... SELECT per kind of event, from the generated cases: submitted (every case), accepted
    (those with accepted_at), answered (at resolved_at), rated satisfied or rating expired (at closed_at)."""

    def state(status: str) -> str:
        return q.obj(unit_id="unit_id", status=f"'{status}'", assignee_id="NULL", due=q.iso("due_at"),
                     extended=q.json_false)

    source = "'chat'"
    columns = "INSERT INTO case_events (case_id, at, actor_kind, actor_id, action, from_status, to_status, public, data) "
    generated = "FROM cases WHERE code LIKE 'BN-%'"
    closing = "CASE WHEN rating = 'satisfied' THEN '{}' ELSE '{}' END"
    return [
        f"{columns}SELECT id, created_at, 'citizen', NULL, 'submitted', NULL, 'submitted', {q.true}, "
        f"{q.obj(source=source, state=state('submitted'))} {generated}",
        f"{columns}SELECT id, accepted_at, 'official', NULL, 'accepted', 'submitted', 'assigned', {q.true}, "
        f"{q.obj(state=state('assigned'))} {generated} AND accepted_at IS NOT NULL",
        f"{columns}SELECT id, resolved_at, 'official', NULL, 'answered', 'assigned', 'resolved', {q.true}, "
        f"{q.obj(attachments='NULL', state=state('resolved'))} {generated} AND resolved_at IS NOT NULL",
        f"{columns}SELECT id, closed_at, {closing.format('citizen', 'system')}, NULL, "
        f"{closing.format('rated_satisfied', 'rating_expired')}, 'resolved', 'closed', {q.true}, "
        f"{q.obj(state=state('closed'))} {generated} AND closed_at IS NOT NULL",
    ]


async def generate(db: Database, n: int, postgres: bool) -> int:
    """The units, the n cases and their events; returns the number of events."""
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
    indexes = [*Case.__table__.indexes, *CaseEvent.__table__.indexes]
    async with db.engine.begin() as conn:
        if postgres:  # the application's 30 s statement limit is for the bot, not for a million-row load
            await conn.execute(text("SET LOCAL statement_timeout = 0"))
        # A bulk load is faster into a bare table: the secondary indexes are built again after it.
        await conn.run_sync(lambda sync: _each(sync, indexes, Index.drop))
        await conn.execute(text(_case_rows(q, n, unit0, units, cat0, cats, area0, areas)))
        for statement in _event_rows(q):
            await conn.execute(text(statement))
        await conn.run_sync(lambda sync: _each(sync, indexes, Index.create))
        if postgres:
            await conn.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))"))
            await conn.execute(text("ANALYZE cases"))
            await conn.execute(text("ANALYZE case_events"))
        else:
            await conn.execute(text("ANALYZE"))
        return int((await conn.execute(text("SELECT count(*) FROM case_events"))).scalar_one())


async def grow_open(db: Database, postgres: bool) -> None:
    """One case in 5 open (10x), and the second set of 1,000 due."""
    q = Sql(postgres)
    async with db.engine.begin() as conn:
        if postgres:
            await conn.execute(text("SET LOCAL statement_timeout = 0"))
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
    """The root's digest for the last full month, as `tiepdan digest --dry-run` builds it (figures, words and
    chart), timed; then its figures checked against the generated cases."""
    started = time.perf_counter()
    async with db.unit_of_work(readonly=True) as uow:
        org = await OrgCache().get(uow.session, NOW.date())
        root = org.units[ROOT_CODE]
        period = last_month(NOW, org.calendar.tz)
        data = await Digests(uow.session, org).data(root.id, period, NOW)
        t = translator("vi")
        words, png = render(data, org, t), chart(data, org, t)
    result.digest_s = time.perf_counter() - started
    result.digest_units = sum(1 for u in org.units.values() if u.parent_code == ROOT_CODE)
    result.digest = data.now
    assert words and png
    expected = await generated_figures(db, period)
    wrong = {name: (getattr(data.now, name), value) for name, value in expected.items()
             if getattr(data.now, name) != value}
    if wrong or not all(expected.values()):
        raise AssertionError(f"the digest of {period.label} disagrees with the generated cases "
                             f"(digest, generated): {wrong or expected}")


def _each(connection: Connection, indexes: list[Index], step: Callable[[Index, Connection], None]) -> None:
    for index in indexes:
        step(index, connection)


async def generated_figures(db: Database, period: Period) -> dict[str, int]:
    """What the digest of `period` must say, counted on the generated cases' own columns (not their events)."""
    start, end = period.start, period.end

    def within(column: InstrumentedAttribute[Any]) -> ColumnElement[bool]:
        return and_(column >= start, column < end)

    def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.count(case((condition, 1)))

    answered = within(Case.resolved_at)
    rated = and_(within(Case.closed_at), Case.rating == "satisfied")
    open_at_end = and_(Case.created_at < end, or_(Case.resolved_at.is_(None), Case.resolved_at >= end))
    async with db.engine.connect() as conn:
        row = (await conn.execute(select(
            count(within(Case.created_at)), count(answered), count(and_(answered, Case.resolved_at <= Case.due_at)),
            count(rated), count(and_(open_at_end, Case.due_at < end)),
        ).where(Case.code.like("BN-%")))).one()
    received, resolved, on_time, satisfied, overdue = (int(v) for v in row)
    return {"received": received, "received_new": received, "resolved": resolved, "on_time": on_time,
            "rated": satisfied, "satisfied": satisfied, "overdue": overdue}


async def run_sweep_digest(dbs: Databases, backend: str, *, cases: int, keep: Path | None) -> SweepDigestResult:
    """`keep`: where generated histories are kept between runs (None: generate afresh, keep nothing)."""
    if cases < 100 * DUE:
        raise ValueError(f"at least {100 * DUE} cases (two sets of {DUE} due among the open ones)")
    postgres = backend == "postgres"

    async def generated(url: str) -> int:
        db = Database(url)
        try:
            return await generate(db, cases, postgres)
        finally:
            await db.dispose()

    result = SweepDigestResult(cases)
    async with history(dbs, backend, generator=GENERATOR, cases=cases, generate=generated, keep=keep) as made:
        result.events, result.made = made.events, made.how
        db = Database(made.url)
        try:
            await timed_digest(db, result)  # first: the sweeps below move cases without the events a person would
            await timed_sweep(db, result)
            started = time.perf_counter()
            await grow_open(db, postgres)
            result.grow_s = time.perf_counter() - started
            await timed_sweep(db, result)
        finally:
            await db.dispose()
    return result


def figures(result: SweepDigestResult, backend: str) -> list[Figure]:
    (small, t_small), (large, t_large) = sorted(result.sweeps.items())
    scale = f"{result.cases:,} cases, {result.events:,} events ({result.made}; 10x open in {result.grow_s:.0f} s)"
    d = result.digest
    return [
        Figure("sweep", backend, f"sweep, {small:,} open", t_small, "s",
               note=f"{scale}; {result.swept[small]} due taken"),
        Figure("sweep", backend, f"sweep, {large:,} open", t_large, "s", 1.0, "lower",
               f"{result.swept[large]} due taken"),
        Figure("sweep", backend, "sweep 10x open / 1x", t_large / t_small, "x", 1.5, "lower",
               "flat: within 1.5x"),
        Figure("digest", backend, f"digest, {result.digest_units} units", result.digest_s, "s", 2.0, "lower",
               f"over {result.cases:,} cases, last full month: received {d.received:,}, answered {d.resolved:,} "
               f"({d.on_time:,} on time), {d.satisfied:,} satisfied, {d.overdue:,} overdue - as generated"),
    ]
