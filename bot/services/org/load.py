"""Loading a checked organisation file into the database, and reading it back as pure domain objects.

One transaction replaces the organisation. Units, areas, categories and officials are upserted by code (seat
for officials) so the foreign keys of existing cases stay valid; something the file no longer names is
deleted only when nothing refers to it any more (a seat still in use is deactivated instead). Routing rules,
deadline policies, settings and the calendar are rewritten whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import holidays
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from bot.domain.calendar import DEFAULT_TZ, OfficeHours, WorkingCalendar
from bot.domain.deadlines import DeadlinePolicy, Step, TimeUnit
from bot.domain.routing import Rule
from bot.services.org.check import parse_file
from bot.services.org.schema import AreaSpec, OrgSpec, OverrideSpec, Problem, parse_period
from storage.models import (
    Area,
    CalendarDay,
    Category,
    Official,
    OrgSetting,
    RoutingRule,
    Unit,
)
from storage.models import DeadlinePolicy as PolicyRow

Db = AsyncSession | AsyncConnection
HOLIDAYS_BASIS = "Lịch nghỉ lễ, Tết theo thư viện holidays {version} (Bộ luật Lao động 2019, Điều 112)"
MAKEUP_DAY_NAME = "Ngày làm việc bù"
# Settings this loader owns; each is stored as {"value": ...} so readers unwrap one shape.
SETTING_KEYS = (
    "name",
    "timezone",
    "office_hours",
    "coordinator",
    "notice_version",
    "escalation",
    "quiet_hours",
    "digest",
    "calendar_years",
    "matching",
    "loaded_at",
    "topics",
    "receptions",
)
FIRST_LOADED = "first_loaded_at"  # kept across reloads


class OrgFileError(ValueError):
    """The file has problems; nothing was loaded."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class LoadSummary:
    units: int
    areas: int
    categories: int
    officials: int
    routing_rules: int
    policies: int
    calendar_days: int
    first_year: int
    last_year: int
    kept: tuple[str, ...]  # "unit X" / "area Y" / "category Z" the file dropped but cases still use
    deactivated_seats: tuple[str, ...]  # dropped seats kept (inactive) because cases or chats use them


# --- the calendar (pure apart from the holidays package) --------------------------------------------------


def calendar_years(years: range | None, spec: OrgSpec, today: dt.date) -> range:
    if years is not None:
        return years
    first = spec.calendar.first_year or today.year - 2
    last = spec.calendar.last_year or today.year + 3
    return range(first, last + 1)


def _holiday_table(years: range) -> dict[dt.date, tuple[bool, str | None, str | None]]:
    """is_working, name, legal basis for the days the holidays package has an opinion about."""
    table = holidays.country_holidays("VN", years=list(years), language="vi")
    basis = HOLIDAYS_BASIS.format(version=holidays.version.__version__)
    result: dict[dt.date, tuple[bool, str | None, str | None]] = {}
    for day, name in table.items():
        result[day] = (False, name, basis)
    # Weekend days the government swapped into working days (make-up Saturdays), when the version knows them.
    for day in getattr(table, "weekend_workdays", ()):
        if day.year in years:
            result[day] = (True, MAKEUP_DAY_NAME, basis)
    return result


def build_calendar(years: range, overrides: Iterable[OverrideSpec]) -> list[dict[str, Any]]:
    """Rows for `calendar_days`: holidays VN, then the file's overrides, Saturday and Sunday off otherwise.

    `ordinal` counts working days from the first day up to and including each day, so the number of working
    days in (a, b] is ordinal(b) - ordinal(a), in SQL as in `WorkingCalendar.working_days_between`.
    """
    if not years:
        raise ValueError("the calendar needs at least one year")
    known = _holiday_table(years)
    for override in overrides:
        for day in override.days():
            known[day] = (override.working, override.name, override.legal_basis)
    rows: list[dict[str, Any]] = []
    ordinal = 0
    day, last = dt.date(years[0], 1, 1), dt.date(years[-1], 12, 31)
    while day <= last:
        working, name, basis = known.get(day, (day.weekday() < 5, None, None))
        ordinal += 1 if working else 0
        rows.append(
            {"day": day, "is_working": working, "ordinal": ordinal, "name": name, "legal_basis": basis}
        )
        day += dt.timedelta(days=1)
    return rows


# --- loading ----------------------------------------------------------------------------------------------


async def load_file(
    engine: AsyncEngine,
    path: str | Path,
    *,
    years: range | None = None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> LoadSummary:
    """Check the file and load it in one transaction; raises OrgFileError (loading nothing) on any problem."""
    today = today or dt.date.today()
    parsed = parse_file(path, today=today)
    if parsed.problems:
        raise OrgFileError(parsed.problems)
    spec, span = parsed.spec, calendar_years(years, parsed.spec, today)
    rows = build_calendar(span, spec.calendar.overrides)
    async with engine.begin() as conn:
        units, kept_units = await _write_units(conn, spec)
        areas, kept_areas = await _write_areas(conn, spec, units)
        categories, kept_categories = await _write_categories(conn, spec)
        rule_count = await _write_rules(conn, spec, units, areas, categories)
        policy_count = await _write_policies(conn, spec, categories)
        deactivated = await _write_officials(conn, spec, units)
        kept = (*kept_areas, *kept_categories, *await _drop_stale_units(conn, kept_units))
        await _write_settings(conn, spec, span, now or dt.datetime.now(dt.UTC))
        await conn.execute(delete(CalendarDay))
        await conn.execute(insert(CalendarDay), rows)
    return LoadSummary(
        units=len(spec.units),
        areas=len(areas),
        categories=len(categories),
        officials=len(spec.officials),
        routing_rules=rule_count,
        policies=policy_count,
        calendar_days=len(rows),
        first_year=span[0],
        last_year=span[-1],
        kept=tuple(sorted(kept)),
        deactivated_seats=deactivated,
    )


async def _ids(conn: AsyncConnection, code_column: Any, id_column: Any) -> dict[str, int]:
    return {code: id_ for code, id_ in (await conn.execute(select(code_column, id_column))).all()}


async def _upsert(
    conn: AsyncConnection, model: Any, key: str, existing: dict[str, int], values: dict[str, dict[str, Any]]
) -> None:
    """Update rows whose key exists, insert the rest (one statement for all new rows)."""
    new = [{key: code, **fields} for code, fields in values.items() if code not in existing]
    for code, fields in values.items():
        if code in existing:
            await conn.execute(update(model).where(model.id == existing[code]).values(**fields))
    if new:
        await conn.execute(insert(model), new)


async def _upsert_by_code(conn: AsyncConnection, model: Any, values: dict[str, dict[str, Any]]) -> dict[str, int]:
    """`_upsert` keyed on the model's code; every code's id afterwards (the file's and the stale ones)."""
    await _upsert(conn, model, "code", await _ids(conn, model.code, model.id), values)
    return await _ids(conn, model.code, model.id)


async def _retire(conn: AsyncConnection, model: Any, kept: set[int]) -> set[int]:
    """Rows the file dropped that cases still use stay, marked inactive so no menu offers them."""
    if kept:
        await conn.execute(update(model).where(model.id.in_(kept)).values(active=False))
    return kept


async def _try_delete(conn: AsyncConnection, model: Any, ids: Iterable[int]) -> set[int]:
    """Delete what nothing refers to; a row still referenced (by a case, say) stays. Returns the kept ids.

    Each delete runs in a savepoint, so a foreign key from any table, including ones added later, keeps the
    row instead of failing the load. Repeats while progress is made (a child's removal frees its parent).
    """
    remaining = set(ids)
    progress = True
    while remaining and progress:
        progress = False
        for row_id in sorted(remaining):
            try:
                async with conn.begin_nested():
                    await conn.execute(delete(model).where(model.id == row_id))
            except IntegrityError:
                continue
            remaining.discard(row_id)
            progress = True
    return remaining


async def _write_units(conn: AsyncConnection, spec: OrgSpec) -> tuple[dict[str, int], dict[str, int]]:
    ids = await _upsert_by_code(conn, Unit, {
        u.code: {"name_vi": u.name.vi, "name_en": u.name.en, "kind": u.kind, "reception": u.reception,
                 "active": True}
        for u in spec.units
    })
    for u in spec.units:
        await conn.execute(
            update(Unit)
            .where(Unit.id == ids[u.code])
            .values(
                parent_id=ids.get(u.parent) if u.parent else None,
                inspection_unit_id=ids.get(u.inspection) if u.inspection else None,
            )
        )
    wanted = {u.code for u in spec.units}
    stale = {code: id_ for code, id_ in ids.items() if code not in wanted}
    if stale:
        # A retired unit keeps its place in the tree (old cases show it) but inspects nothing any more.
        await conn.execute(update(Unit).where(Unit.id.in_(stale.values())).values(inspection_unit_id=None))
    return {code: ids[code] for code in wanted}, stale


async def _drop_stale_units(conn: AsyncConnection, stale: dict[str, int]) -> list[str]:
    kept = await _retire(conn, Unit, await _try_delete(conn, Unit, stale.values()))
    return [f"unit {code}" for code, id_ in stale.items() if id_ in kept]


def _area_values(area: AreaSpec, units: dict[str, int]) -> dict[str, Any]:
    where = area.location
    return {
        "name": area.name,
        "kind": area.kind,
        "unit_id": units.get(area.unit) if area.unit else None,
        "aliases": list(area.aliases),
        "lat": where.lat if where else None,
        "lon": where.lon if where else None,
        "radius_m": where.radius_m if where else None,
        "active": True,
    }


async def _write_areas(
    conn: AsyncConnection, spec: OrgSpec, units: dict[str, int]
) -> tuple[dict[str, int], list[str]]:
    tree = spec.all_areas()
    ids = await _upsert_by_code(conn, Area, {a.code: _area_values(a, units) for a, _ in tree})
    for area, parent in tree:
        parent_id = ids[parent.code] if parent else None
        await conn.execute(update(Area).where(Area.id == ids[area.code]).values(parent_id=parent_id))
    wanted = {a.code for a, _ in tree}
    stale = {code: id_ for code, id_ in ids.items() if code not in wanted}
    await conn.execute(delete(RoutingRule))  # rules point at areas; they are rewritten below anyway
    kept = await _retire(conn, Area, await _try_delete(conn, Area, stale.values()))
    return {code: ids[code] for code in wanted}, [f"area {c}" for c, i in stale.items() if i in kept]


async def _write_categories(conn: AsyncConnection, spec: OrgSpec) -> tuple[dict[str, int], list[str]]:
    ids = await _upsert_by_code(conn, Category, {
        c.code: {"name_vi": c.name.vi, "name_en": c.name.en, "keywords": list(c.keywords), "position": i,
                 "active": True, "public": c.public}
        for i, c in enumerate(spec.categories)
    })
    wanted = {c.code for c in spec.categories}
    stale = {code: id_ for code, id_ in ids.items() if code not in wanted}
    await conn.execute(delete(PolicyRow))  # policies point at categories; rewritten below
    kept = await _retire(conn, Category, await _try_delete(conn, Category, stale.values()))
    return {code: ids[code] for code in wanted}, [f"category {c}" for c, i in stale.items() if i in kept]


async def _write_rules(
    conn: AsyncConnection,
    spec: OrgSpec,
    units: dict[str, int],
    areas: dict[str, int],
    categories: dict[str, int],
) -> int:
    rows = [
        {
            "category_id": categories[r.category] if r.category else None,
            "area_id": areas[r.area] if r.area else None,
            "unit_id": units[r.unit],
            "valid_from": r.valid_from,
            "valid_to": r.valid_to,
        }
        for r in dict.fromkeys(spec.domain_rules())  # the same rule twice would only add noise
    ]
    if rows:
        await conn.execute(insert(RoutingRule), rows)
    return len(rows)


async def _write_policies(conn: AsyncConnection, spec: OrgSpec, categories: dict[str, int]) -> int:
    rows: list[dict[str, Any]] = []
    for policy in spec.domain_policies():
        category_id = categories[policy.category] if policy.category else None
        for step_name, step in (("accept", policy.accept), ("resolve", policy.resolve)):
            if step is not None:
                rows.append(
                    {
                        "kind": policy.kind,
                        "category_id": category_id,
                        "step": step_name,
                        "amount": step.amount,
                        "unit": step.unit.value,
                        "legal_basis": policy.legal_basis,
                    }
                )
    if rows:
        await conn.execute(insert(PolicyRow), rows)
    return len(spec.domain_policies())


async def _write_officials(conn: AsyncConnection, spec: OrgSpec, units: dict[str, int]) -> tuple[str, ...]:
    existing = {
        seat: id_
        for seat, id_ in (
            await conn.execute(select(Official.seat, Official.id).where(Official.seat.is_not(None)))
        ).all()
        if seat is not None
    }
    await _upsert(
        conn,
        Official,
        "seat",
        existing,
        {
            o.seat: {
                "unit_id": units[o.unit],
                "name": o.name,
                "role": o.role,
                "phone": o.phone,
                "view_identity": o.view_identity,
                "active": True,
            }
            for o in spec.officials
        },
    )
    # A seat the file dropped goes if nothing refers to it; one with a chat identity or cases stays, inactive,
    # because the history of its cases points at it.
    gone = {seat: id_ for seat, id_ in existing.items() if seat not in {o.seat for o in spec.officials}}
    kept = await _try_delete(conn, Official, gone.values())
    if kept:
        await conn.execute(update(Official).where(Official.id.in_(kept)).values(active=False))
    return tuple(sorted(seat for seat, id_ in gone.items() if id_ in kept))


async def _write_settings(conn: AsyncConnection, spec: OrgSpec, span: range, now: dt.datetime) -> None:
    org = spec.organisation
    assert org is not None  # a file without it never passes the check
    values: dict[str, Any] = {
        "name": org.name,
        "timezone": org.timezone,
        "office_hours": [f"{s:%H:%M}-{e:%H:%M}" for s, e in org.office_hours],
        "coordinator": org.coordinator,
        "notice_version": org.notice_version,
        "escalation": spec.escalation.model_dump(),
        "quiet_hours": {
            "allowed": "{:%H:%M}-{:%H:%M}".format(*spec.quiet_hours.allowed),
            "working_days_only": spec.quiet_hours.working_days_only,
        },
        "digest": {"weekday": spec.digest.weekday, "time": f"{spec.digest.time:%H:%M}"},
        "calendar_years": [span[0], span[-1]],
        "matching": spec.matching_settings(),
        "loaded_at": now.astimezone(dt.UTC).isoformat(),
        "topics": [{"code": t.code, "vi": t.name.vi, "en": t.name.en} for t in spec.topics],
        "receptions": [{"unit": r.unit, "every": r.every, "weekday": r.weekday, "days": r.days,
                        "time": "{:%H:%M}-{:%H:%M}".format(*r.time), "place": r.place, "leader": r.leader}
                       for r in spec.receptions],
    }
    await conn.execute(delete(OrgSetting).where(OrgSetting.key.in_(SETTING_KEYS)))
    await conn.execute(insert(OrgSetting), [{"key": k, "value": {"value": v}} for k, v in values.items()])
    # The first load is when the system started: no digest is due for a period that ended before it.
    if (await conn.execute(select(OrgSetting.key).where(OrgSetting.key == FIRST_LOADED))).first() is None:
        await conn.execute(insert(OrgSetting).values(key=FIRST_LOADED, value={"value": values["loaded_at"]}))


# --- reading back -----------------------------------------------------------------------------------------


async def _setting(db: Db, key: str) -> Any:
    value = (await db.execute(select(OrgSetting.value).where(OrgSetting.key == key))).scalar_one_or_none()
    return value.get("value") if isinstance(value, dict) else value


async def read_office_hours(db: Db) -> OfficeHours:
    periods = await _setting(db, "office_hours")
    return OfficeHours(tuple(parse_period(p) for p in periods)) if periods else OfficeHours()


async def read_calendar(db: Db, start: dt.date, end: dt.date) -> WorkingCalendar:
    """The working calendar for [start, end] (days outside it fall back to Monday-Friday)."""
    result = await db.execute(
        select(CalendarDay.day, CalendarDay.is_working).where(CalendarDay.day.between(start, end))
    )
    days = {day: working for day, working in result.all()}
    tz = await _setting(db, "timezone") or DEFAULT_TZ
    return WorkingCalendar.build(days, await read_office_hours(db), tz)


async def _codes(db: Db, model: Any) -> dict[int, str]:
    return {id_: code for id_, code in (await db.execute(select(model.id, model.code))).all()}


async def read_policies(db: Db) -> list[DeadlinePolicy]:
    categories = await _codes(db, Category)
    # Columns, not entities: a plain connection (no ORM session) must work too.
    rows = (
        await db.execute(
            select(
                PolicyRow.kind,
                PolicyRow.category_id,
                PolicyRow.step,
                PolicyRow.amount,
                PolicyRow.unit,
                PolicyRow.legal_basis,
            ).order_by(PolicyRow.id)
        )
    ).all()
    steps: dict[tuple[str, str | None], dict[str, Any]] = {}
    for kind, category_id, step, amount, unit, legal_basis in rows:
        entry = steps.setdefault(
            (kind, categories.get(category_id) if category_id else None), {"legal_basis": legal_basis}
        )
        entry[step] = Step(amount, TimeUnit(unit))
    return [
        DeadlinePolicy(kind, category, entry.get("accept"), entry["resolve"], entry["legal_basis"])
        for (kind, category), entry in steps.items()
        if "resolve" in entry
    ]


async def read_rules(db: Db) -> list[Rule]:
    units, areas, categories = await _codes(db, Unit), await _codes(db, Area), await _codes(db, Category)
    rows = (
        await db.execute(
            select(
                RoutingRule.category_id,
                RoutingRule.area_id,
                RoutingRule.unit_id,
                RoutingRule.valid_from,
                RoutingRule.valid_to,
            ).order_by(RoutingRule.id)
        )
    ).all()
    return [
        Rule(
            category=categories[category_id] if category_id else None,
            area=areas[area_id] if area_id else None,
            unit=units[unit_id],
            valid_from=valid_from,
            valid_to=valid_to,
        )
        for category_id, area_id, unit_id, valid_from, valid_to in rows
    ]


async def read_unit_tree(db: Db) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """(parent of each unit, configured inspection unit of each unit) by code, for `inspection_unit_above`."""
    codes = await _codes(db, Unit)
    rows = (await db.execute(select(Unit.code, Unit.parent_id, Unit.inspection_unit_id))).all()
    parents = {code: codes.get(parent) if parent else None for code, parent, _ in rows}
    inspection = {code: codes.get(insp) if insp else None for code, _, insp in rows}
    return parents, inspection


async def read_area_chain(db: Db, area: str) -> list[str]:
    """The area followed by its parents (residential area, ward, ...), the input `route` expects."""
    rows = (await db.execute(select(Area.id, Area.code, Area.parent_id))).all()
    by_code = {code: (id_, parent) for id_, code, parent in rows}
    by_id = {id_: code for id_, code, _ in rows}
    chain: list[str] = []
    current: str | None = area if area in by_code else None
    while current is not None and current not in chain:
        chain.append(current)
        parent_id = by_code[current][1]
        current = by_id.get(parent_id) if parent_id else None
    return chain
