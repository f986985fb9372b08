"""The sweep's cost follows the number of due cases, not of open ones: 100,000 open cases, 50 due.

The sweep takes due cases with one query on `next_action_at`; the plan of that very query (captured as the
sweep sent it) must use the index `ix_cases_next_action_at` on SQLite and on PostgreSQL (statistics fresh
after the bulk insert, no planner switches touched).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event, func, select, text

from bot.clock import FakeClock
from bot.services.sweep import run_sweep
from storage.models import Case
from storage.uow import Database
from tests.deadlines.support import case_row, insert_cases, unit_ids, vn

OPEN_CASES = 100_000
DUE = 50
AT = vn(2026, 3, 13, 15, 0)


async def test_one_sweep_over_100000_open_cases_touches_the_50_due(database: Database, backend: str) -> None:
    units = await unit_ids(database)
    wards = [units[code] for code in ("P_SAODO", "P_PHALAI", "P_CONGHOA", "P_VANAN")]
    rows = []
    for n in range(1, OPEN_CASES + 1):
        # The first 50 fell due in the last hour; the rest are spread over the coming 60 days.
        next_action = AT - timedelta(minutes=n) if n <= DUE else AT + timedelta(minutes=1 + n % 86_400)
        rows.append(case_row(n, wards[n % 4], created=AT - timedelta(days=1), accept_due=AT - timedelta(minutes=n),
                             due=AT + timedelta(days=7), next_action=next_action))
    for start in range(0, OPEN_CASES, 20_000):
        await insert_cases(database, rows[start:start + 20_000])
    async with database.unit_of_work() as uow:
        await uow.session.execute(text("ANALYZE"))
        await uow.commit()

    statements: list[tuple[str, Any]] = []

    def capture(_conn, _cursor, statement: str, parameters: Any, _context, _many) -> None:
        if "FROM cases" in statement and "next_action_at <=" in statement:
            statements.append((statement, parameters))

    event.listen(database.engine.sync_engine, "before_cursor_execute", capture)
    try:
        report = await run_sweep(database, FakeClock(AT))
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", capture)

    assert report.cases == DUE
    assert len(statements) == 1  # one query took them all (fewer than a batch)
    async with database.unit_of_work(readonly=True) as uow:
        still_due = (await uow.session.execute(
            select(func.count(Case.id)).where(Case.next_action_at <= AT))).scalar_one()
        plan = await _plan(uow.session, backend, *statements[0])
    assert still_due == 0
    if backend == "sqlite":
        assert plan == ["SEARCH cases USING INDEX ix_cases_next_action_at (next_action_at<?)"]
    else:
        assert any(line.lstrip("-> ").startswith("Index Scan using ix_cases_next_action_at on cases")
                   for line in plan), plan
        assert not any("Seq Scan" in line or "Sort" in line for line in plan), plan


async def _plan(session, backend: str, statement: str, parameters: Any) -> list[str]:
    connection = await session.connection()
    if backend == "sqlite":
        result = await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        return [row[-1] for row in result.all()]
    result = await connection.exec_driver_sql("EXPLAIN " + statement, parameters)
    return [row[0].strip() for row in result.all()]
