"""A read-only snapshot of the loaded organisation, cached per process and refreshed when it is reloaded."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.calendar import WorkingCalendar
from bot.domain.deadlines import DeadlinePolicy
from bot.domain.routing import Rule, inspection_unit_above, route
from bot.services.org.load import read_calendar, read_policies, read_rules
from storage.models import Area, Category, CategoryExample, OrgSetting, Unit


class OrgNotLoaded(RuntimeError):
    pass


class Bilingual:
    """Something the organisation file names in Vietnamese and in English."""

    __slots__ = ()
    name_vi: str
    name_en: str

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_vi


@dataclass(frozen=True, slots=True)
class UnitInfo(Bilingual):
    id: int
    code: str
    name_vi: str
    name_en: str
    kind: str
    parent_code: str | None
    inspection_code: str | None
    reception: str | None


@dataclass(frozen=True, slots=True)
class AreaInfo:
    id: int
    code: str
    name: str
    kind: str
    parent_code: str | None
    unit_code: str | None
    aliases: tuple[str, ...]
    lat: float | None
    lon: float | None
    radius_m: float | None
    active: bool = True


@dataclass(frozen=True, slots=True)
class CategoryInfo(Bilingual):
    id: int
    code: str
    name_vi: str
    name_en: str
    keywords: tuple[str, ...]
    active: bool = True
    public: bool = False  # its reports are open data unless their unit withholds one


@dataclass(frozen=True, slots=True)
class TopicInfo(Bilingual):
    code: str
    name_vi: str
    name_en: str


@dataclass(slots=True)
class OrgSnapshot:
    units: dict[str, UnitInfo]
    areas: dict[str, AreaInfo]
    categories: dict[str, CategoryInfo]
    rules: list[Rule]
    policies: list[DeadlinePolicy]
    calendar: WorkingCalendar
    settings: dict[str, Any]
    version: str
    learned: tuple[tuple[str, str], ...] = ()  # (category code, text) officials taught the matcher
    units_by_id: dict[int, UnitInfo] = field(init=False)
    areas_by_id: dict[int, AreaInfo] = field(init=False)
    categories_by_id: dict[int, CategoryInfo] = field(init=False)

    def __post_init__(self) -> None:
        self.units_by_id = {u.id: u for u in self.units.values()}
        self.areas_by_id = {a.id: a for a in self.areas.values()}
        self.categories_by_id = {c.id: c for c in self.categories.values()}

    def wards(self) -> list[AreaInfo]:
        return [a for a in self.areas.values() if a.parent_code is None and a.active]

    def active_categories(self) -> list[CategoryInfo]:
        return [c for c in self.categories.values() if c.active]

    def area_chain(self, code: str | None) -> list[str]:
        chain: list[str] = []
        while code is not None and code in self.areas and code not in chain:
            chain.append(code)
            code = self.areas[code].parent_code
        return chain

    def route(self, category: str | None, area: str | None, on: date) -> UnitInfo:
        unit = route(self.rules, category, self.area_chain(area), on)
        if unit is None:
            unit = self.settings.get("coordinator")
        if unit is None or unit not in self.units:
            raise OrgNotLoaded("no routing rule matches and no coordinator unit is set")
        return self.units[unit]

    def inspection_for(self, unit_code: str) -> UnitInfo:
        """The inspection unit that may judge `unit_code`: never the unit itself nor one beneath it."""
        parents = {u.code: u.parent_code for u in self.units.values()}
        inspection = {u.code: u.inspection_code for u in self.units.values()}
        code = inspection_unit_above(unit_code, parents, inspection)
        return self.units[code or self.settings["coordinator"]]

    def topics(self) -> list[TopicInfo]:
        """The subjects citizens may follow, in the file's order."""
        return [TopicInfo(t["code"], t["vi"], t["en"]) for t in self.settings.get("topics") or []]

    @property
    def notice_version(self) -> str:
        return str(self.settings.get("notice_version", "1"))

    @property
    def name(self) -> str:
        return str(self.settings.get("name", ""))


class OrgCache:
    """The snapshot, re-read when the organisation's `loaded_at` changes (checked at most every few seconds)."""

    def __init__(self, check_every: float = 5.0) -> None:
        self._snapshot: OrgSnapshot | None = None
        self._checked = 0.0
        self._check_every = check_every

    def invalidate(self) -> None:
        self._snapshot, self._checked = None, 0.0

    async def get(self, session: AsyncSession, today: date) -> OrgSnapshot:
        fresh = time.monotonic() - self._checked < self._check_every
        if self._snapshot is not None and fresh:
            return self._snapshot
        version = await _version(session)
        if version is None:
            raise OrgNotLoaded("no organisation is loaded: run `tiepdan org load FILE`")
        if self._snapshot is None or self._snapshot.version != version:
            self._snapshot = await _read(session, version, today)
        self._checked = time.monotonic()
        return self._snapshot


async def _version(session: AsyncSession) -> str | None:
    """The organisation's load time, and which examples officials taught the matcher (a new or removed one
    makes a new snapshot, so the matcher uses it from the next read on)."""
    row = await session.get(OrgSetting, "loaded_at")
    if row is None:
        return None
    count, last = (await session.execute(
        select(func.count(CategoryExample.id), func.max(CategoryExample.id))
    )).one()
    return f"{row.value}|{count}|{last or 0}"


async def _read(session: AsyncSession, version: str, today: date) -> OrgSnapshot:
    units = list((await session.execute(select(Unit))).scalars())
    by_id = {u.id: u.code for u in units}
    areas = list((await session.execute(select(Area))).scalars())
    area_codes = {a.id: a.code for a in areas}
    categories = list((await session.execute(select(Category).order_by(Category.position, Category.id))).scalars())
    settings = {s.key: s.value for s in (await session.execute(select(OrgSetting))).scalars()}
    return OrgSnapshot(
        units={
            u.code: UnitInfo(u.id, u.code, u.name_vi, u.name_en, u.kind, by_id.get(u.parent_id or -1),
                             by_id.get(u.inspection_unit_id or -1), u.reception)
            for u in units
        },
        areas={
            a.code: AreaInfo(a.id, a.code, a.name, a.kind, area_codes.get(a.parent_id or -1),
                             by_id.get(a.unit_id or -1), tuple(a.aliases or ()), a.lat, a.lon, a.radius_m,
                             a.active)
            for a in areas
        },
        categories={
            c.code: CategoryInfo(c.id, c.code, c.name_vi, c.name_en, tuple(c.keywords or ()), c.active,
                                   bool(c.public))
            for c in categories
        },
        rules=await read_rules(session),
        policies=await read_policies(session),
        calendar=await read_calendar(session, today - timedelta(days=400), today + timedelta(days=800)),
        settings={k: (v.get("value") if isinstance(v, dict) and set(v) == {"value"} else v)
                  for k, v in settings.items()},
        version=version,
        learned=await read_learned(session),
    )


async def read_learned(session: AsyncSession) -> tuple[tuple[str, str], ...]:
    rows = await session.execute(
        select(Category.code, CategoryExample.text).join(Category, Category.id == CategoryExample.category_id)
        .where(Category.active).order_by(CategoryExample.id)
    )
    return tuple((code, text) for code, text in rows)


def local_date(moment: datetime, tz: Any) -> date:
    return moment.astimezone(tz).date()


async def is_loaded(engine: Any) -> bool:
    """Whether any organisation has been loaded into this database."""
    async with engine.connect() as conn:
        row = (await conn.execute(select(OrgSetting.key).where(OrgSetting.key == "loaded_at"))).first()
    return row is not None
