"""The case model's repositories on the unit of work: one per unit, over its session, and the sweep's query
that lets two sweeps share the due cases on PostgreSQL (each skips the other's, never waits)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from storage.models import Case, Conversation, Unit
from storage.uow import Database

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


async def _world(database: Database) -> None:
    """Three cases due a minute apart in the demo organisation's Sao Đỏ ward, and one chat in English."""
    async with database.unit_of_work() as uow:
        s = uow.session
        unit = (await s.execute(select(Unit).where(Unit.code == "P_SAODO"))).scalar_one()
        s.add_all([
            Conversation(channel="web", chat_id="c1", flow=None, step=None, data={}, language="en", updated_at=NOW),
            *(Case(code=f"PA-2026-00000{n}", kind="report", status="submitted", unit_id=unit.id,
                   text="Đường ngập sâu 40cm.", created_at=NOW, details={},
                   next_action_at=NOW - timedelta(minutes=n)) for n in (1, 2, 3)),
        ])
        await uow.commit()


async def test_the_unit_of_work_offers_the_repositories_over_its_session(database: Database) -> None:
    await _world(database)
    async with database.unit_of_work(readonly=True) as uow:
        assert uow.cases is uow.cases and uow.cases.session is uow.session
        case = await uow.cases.by_code(" pa-2026-000002 ")
        assert case is not None and (await uow.cases.get(case.id)) is case
        assert [c.code for c in await uow.cases.due(NOW, 2)] == ["PA-2026-000003", "PA-2026-000002"]
        assert await uow.cases.codes([case.id]) == {case.id: "PA-2026-000002"}
        head = await uow.officials.by_seat("SAODO_HEAD")
        assert head is not None and await uow.officials.names([head.id]) == {head.id: "Nguyễn Văn Hùng"}
        assert await uow.officials.seat_names(["SAODO_OFF1"]) == {"SAODO_OFF1": "Trần Thị Mai"}
        assert await uow.officials.accounts_in_unit(head.unit_id, ("head",)) == []  # nobody linked yet
        assert await uow.conversations.language("web", "c1") == "en"
        assert await uow.conversations.language("web", "nobody") is None


async def test_two_sweeps_share_the_due_cases_on_postgresql(database: Database, backend: str) -> None:
    if backend != "postgres":
        pytest.skip("SQLite has one writer: a second sweep waits for the first instead")
    await _world(database)
    async with database.unit_of_work() as first:
        taken = [c.code for c in await first.cases.due(NOW, 2)]
        async with database.unit_of_work() as second:
            rest = [c.code for c in await second.cases.due(NOW, 10)]
    assert taken == ["PA-2026-000003", "PA-2026-000002"]
    assert rest == ["PA-2026-000001"]
