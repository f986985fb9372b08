"""Loading the organisation into SQLite and PostgreSQL: counts, the calendar, idempotence, replacement."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.domain.deadlines import Step, TimeUnit, pick_policy
from bot.domain.routing import inspection_unit_above, route
from bot.services.drafts import index_for
from bot.services.org import (
    OrgFileError,
    load_file,
    read_area_chain,
    read_calendar,
    read_policies,
    read_rules,
    read_unit_tree,
)
from bot.services.org_view import OrgCache
from storage.db import create_engine
from storage.models import (
    Area,
    Base,
    CalendarDay,
    Case,
    Category,
    DeadlinePolicy,
    Official,
    OrgSetting,
    RoutingRule,
    Unit,
)
from tests.support.postgres_admin import admin

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DEMO = Path(__file__).resolve().parents[2] / "org" / "demo.yaml"
POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
YEARS = range(2025, 2028)
TODAY = date(2026, 3, 2)

# Another organisation that names only two of the demo's units: loading it over the demo replaces it.
SMALL = """\
organisation: {name: "Phường X", coordinator: VP, notice_version: "2"}
units:
  - {code: VP, kind: coordinator, name: {vi: "Văn phòng", en: "Office"}}
  - {code: P_X, kind: ward, parent: VP, name: {vi: "UBND phường X", en: "Ward X"}}
areas:
  - {code: X, kind: ward, name: "Phường X", unit: P_X}
categories:
  - {code: khac, name: {vi: "Khác", en: "Other"}, keywords: [khác]}
routing: []
deadlines:
  - kind: [question, report, petition, complaint, denunciation, suggestion]
    resolve: {amount: 5, unit: working_days}
    legal_basis: "test"
officials:
  - {seat: X_HEAD, unit: P_X, role: head, name: "Lê Văn X"}
"""


@pytest.fixture(params=["sqlite", "postgres"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        eng = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'org.db'}")
        schema = None
    else:
        schema = f"org_{uuid.uuid4().hex[:12]}"
        await admin(POSTGRES_URL, f"CREATE SCHEMA {schema}")
        eng = create_engine(f"{POSTGRES_URL}?schema={schema}")
    async with eng.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    try:
        yield eng
    finally:
        await eng.dispose()
        if schema:
            await admin(POSTGRES_URL, f"DROP SCHEMA {schema} CASCADE")


async def _count(engine: AsyncEngine, model: Any) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(model))).scalar_one()


async def _load_demo(engine: AsyncEngine) -> Any:
    return await load_file(engine, DEMO, years=YEARS, today=TODAY)


async def test_the_demo_loads_with_its_counts(engine: AsyncEngine) -> None:
    summary = await _load_demo(engine)
    assert (summary.units, summary.areas, summary.categories, summary.officials) == (20, 27, 18, 55)
    assert (summary.first_year, summary.last_year, summary.calendar_days) == (2025, 2027, 1095)
    assert await _count(engine, Unit) == 20
    assert await _count(engine, Area) == 27
    assert await _count(engine, Category) == 18
    assert await _count(engine, Official) == 55
    assert await _count(engine, RoutingRule) == 75
    assert await _count(engine, DeadlinePolicy) == 14  # 7 policies x (accept + resolve)
    assert await _count(engine, CalendarDay) == 1095


async def test_the_calendar_days_and_their_ordinals(engine: AsyncEngine) -> None:
    await _load_demo(engine)
    async with engine.connect() as conn:
        rows = {
            day: (working, ordinal, basis)
            for day, working, ordinal, basis in await conn.execute(
                select(CalendarDay.day, CalendarDay.is_working, CalendarDay.ordinal, CalendarDay.legal_basis)
            )
        }
    assert rows[date(2026, 2, 16)][0] is False
    assert rows[date(2026, 2, 23)][0] is True
    assert rows[date(2026, 2, 25)][1] - rows[date(2026, 2, 13)][1] == 3
    assert rows[date(2026, 1, 2)][0] is False  # the New Year swap holidays 0.108 lacks
    assert (
        rows[date(2026, 1, 2)][2]
        == "Công văn 12729/VPCP-KGVX ngày 25/12/2025 của Văn phòng Chính phủ; thông báo của Bộ Nội vụ"
    )
    assert rows[date(2026, 1, 10)][0] is True  # ... and its make-up Saturday
    assert rows[date(2026, 8, 22)][0] is True
    assert [rows[date(2026, 4, 30)][0], rows[date(2026, 5, 1)][0], rows[date(2026, 9, 2)][0]] == [
        False,
        False,
        False,
    ]
    assert rows[date(2025, 1, 1)][1] == 0  # the count starts on the first day
    assert rows[date(2025, 1, 2)][1] == 1


async def test_loading_twice_changes_nothing(engine: AsyncEngine) -> None:
    first = await _load_demo(engine)
    before = await _snapshot(engine)
    second = await _load_demo(engine)
    assert await _snapshot(engine) == before
    assert first == second


async def _snapshot(engine: AsyncEngine) -> dict[str, Any]:
    async with engine.connect() as conn:

        async def rows(stmt: Any) -> list[tuple[Any, ...]]:
            return sorted((tuple(r) for r in (await conn.execute(stmt)).all()), key=repr)

        return {
            "units": await rows(
                select(Unit.id, Unit.code, Unit.parent_id, Unit.inspection_unit_id, Unit.name_vi)
            ),
            "areas": await rows(select(Area.id, Area.code, Area.parent_id, Area.unit_id)),
            "categories": await rows(select(Category.id, Category.code, Category.position)),
            "officials": await rows(select(Official.id, Official.seat, Official.unit_id, Official.active)),
            "rules": await rows(select(RoutingRule.category_id, RoutingRule.area_id, RoutingRule.unit_id)),
            "policies": await rows(select(DeadlinePolicy.kind, DeadlinePolicy.step, DeadlinePolicy.amount)),
            "calendar": await rows(select(CalendarDay.day, CalendarDay.is_working, CalendarDay.ordinal)),
            "settings": await rows(select(OrgSetting.key).where(OrgSetting.key != "loaded_at")),
        }


async def test_the_readers_return_domain_objects(engine: AsyncEngine) -> None:
    await _load_demo(engine)
    async with engine.connect() as conn:
        calendar = await read_calendar(conn, date(2026, 1, 1), date(2026, 12, 31))
        rules = await read_rules(conn)
        policies = await read_policies(conn)
        parents, inspection = await read_unit_tree(conn)
        chain = await read_area_chain(conn, "SAODO_TIENDINH")
    assert calendar.add_working_days(datetime(2026, 2, 13, 16, 0, tzinfo=VN), 3) == datetime(
        2026, 2, 25, 17, 0, tzinfo=VN
    )
    assert chain == ["SAODO_TIENDINH", "SAODO"]
    assert route(rules, "lan_chiem", chain, TODAY) == "QLDT"  # the central market override
    assert route(rules, "lan_chiem", ["PHALAI_PHAOSON", "PHALAI"], TODAY) == "P_PHALAI"
    assert route(rules, "dat_dai", ["PHALAI"], TODAY) == "TNMT"
    assert route(rules, "an_ninh", ["BENTAM"], TODAY) == "CA"
    assert route(rules, "khac", ["THAIHOC"], TODAY) == "P_THAIHOC"
    emergency = pick_policy(policies, "report", "su_co")
    assert emergency is not None
    assert (emergency.accept, emergency.resolve) == (
        Step(2, TimeUnit.CALENDAR_HOURS),
        Step(24, TimeUnit.CALENDAR_HOURS),
    )
    complaint = pick_policy(policies, "complaint", None)
    assert complaint is not None and complaint.resolve == Step(40, TimeUnit.WORKING_DAYS)
    assert inspection_unit_above("P_SAODO", parents, inspection) == "TTRA"
    assert inspection_unit_above("UBND", parents, inspection) == "TTRA_TINH"


async def test_settings_are_stored_for_the_rest_of_the_app(engine: AsyncEngine) -> None:
    await _load_demo(engine)
    async with engine.connect() as conn:
        settings = dict((await conn.execute(select(OrgSetting.key, OrgSetting.value))).all())
    assert settings["name"] == {"value": "Thành phố Chí Linh (demo)"}
    assert settings["coordinator"] == {"value": "VP"}
    assert settings["notice_version"] == {"value": "2026-01"}
    assert settings["office_hours"] == {"value": ["07:30-11:30", "13:30-17:00"]}
    assert settings["escalation"] == {
        "value": {"parent_delay_working_days": 2, "repeat_every_working_days": 1}
    }
    assert settings["quiet_hours"] == {"value": {"allowed": "07:30-20:00", "working_days_only": True}}
    assert settings["digest"] == {"value": {"weekday": "monday", "time": "07:30"}}


async def test_replacing_the_organisation_keeps_what_cases_use(engine: AsyncEngine, tmp_path: Path) -> None:
    await _load_demo(engine)
    async with engine.begin() as conn:
        ids = {code: id_ for code, id_ in await conn.execute(select(Unit.code, Unit.id))}
        area = (await conn.execute(select(Area.id).where(Area.code == "THAIHOC"))).scalar_one()
        category = (await conn.execute(select(Category.id).where(Category.code == "khac"))).scalar_one()
        head = (await conn.execute(select(Official.id).where(Official.seat == "THAIHOC_HEAD"))).scalar_one()
        await conn.execute(
            insert(Case).values(
                code="PA-2026-000001",
                kind="report",
                status="assigned",
                unit_id=ids["P_THAIHOC"],
                area_id=area,
                category_id=category,
                assignee_id=head,
                text="Đèn đường hỏng",
                created_at=datetime(2026, 3, 2, 2, 0, tzinfo=UTC),
            )
        )
    small = tmp_path / "small.yaml"
    small.write_text(SMALL, encoding="utf-8")

    summary = await load_file(engine, small, years=YEARS, today=TODAY)

    assert summary.kept == ("area THAIHOC", "unit P_THAIHOC", "unit UBND")
    assert summary.deactivated_seats == ("THAIHOC_HEAD",)
    async with engine.connect() as conn:
        units = {code for (code,) in await conn.execute(select(Unit.code))}
        seats = dict((await conn.execute(select(Official.seat, Official.active))).all())
    assert units == {"VP", "P_X", "UBND", "P_THAIHOC"}
    assert seats == {"X_HEAD": True, "THAIHOC_HEAD": False}

    await _load_demo(engine)  # and back: the case's unit is the same row again
    async with engine.connect() as conn:
        case_unit = (await conn.execute(select(Case.unit_id))).scalar_one()
        back = dict((await conn.execute(select(Unit.code, Unit.id))).all())
        active = (
            await conn.execute(select(Official.active).where(Official.seat == "THAIHOC_HEAD"))
        ).scalar_one()
    assert case_unit == ids["P_THAIHOC"] == back["P_THAIHOC"]
    assert back["VP"] == ids["VP"]
    assert active is True
    assert await _count(engine, Unit) == 20  # P_X went again: nothing refers to it


async def test_a_file_with_problems_loads_nothing(engine: AsyncEngine, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL.replace("unit: P_X}", "unit: P_Y}", 1), encoding="utf-8")
    with pytest.raises(OrgFileError) as caught:
        await load_file(engine, bad, years=YEARS, today=TODAY)
    assert [str(p) for p in caught.value.problems] == [f"{bad}:6: area 'X' unit names unknown unit 'P_Y'"]
    assert await _count(engine, Unit) == 0
    assert await _count(engine, CalendarDay) == 0


async def test_a_district_above_the_wards_leaves_intake_its_places(engine: AsyncEngine, tmp_path: Path) -> None:
    """The file may group wards under a district (or a province); intake matches wards, communes and
    residential areas only, and a district among the areas must not stop it from indexing them."""
    grouped = tmp_path / "district.yaml"
    grouped.write_text(SMALL.replace(
        '  - {code: X, kind: ward, name: "Phường X", unit: P_X}',
        '  - code: Q_Y\n    kind: district\n    name: "Quận Y"\n    unit: VP\n    children:\n'
        '      - {code: X, kind: ward, name: "Phường X", unit: P_X}'), encoding="utf-8")
    await load_file(engine, grouped, years=YEARS, today=TODAY)
    async with AsyncSession(engine) as session:
        org = await OrgCache().get(session, TODAY)

    places = index_for(org).places.places

    assert [(p.code, p.kind, p.parent) for p in places] == [("X", "ward", "Q_Y")]
