"""What an official may see on the dashboard and in exports, and the cases list behind both.

Scope by role (bot/domain/authz.py says the same for the chat):
- officer: their own unit's cases;
- head, leader: their unit's cases and those of every unit below;
- overseer (People's Council, Fatherland Front): aggregate figures of the whole city (the tree of the
  coordinator unit's top unit), never a case, a list of cases or a tracking code.
A case outside the viewer's scope is "not found", never "forbidden": its existence is not told.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.cases import OPEN_STATUSES, CaseKind, CaseStatus, PublicEvent
from bot.domain.digest import OVERDUE_BANDS
from bot.services.org_view import OrgSnapshot
from bot.services.sweep import subtree
from storage.models import Case, Official
from storage.repositories.cases import CaseRepository

OPEN = tuple(s.value for s in OPEN_STATUSES)
STATUSES = tuple(s.value for s in CaseStatus)
KINDS = tuple(k.value for k in CaseKind)
PAGE_SIZE = 20
MAX_EXPORT_ROWS = 20_000
VIEWER_ROLES = ("officer", "head", "leader", "overseer")  # the roles that may be a Viewer


@dataclass(frozen=True, slots=True)
class Viewer:
    official_id: int
    name: str
    role: str
    unit_id: int
    units: tuple[int, ...]  # every unit whose cases (or figures) the viewer may see
    aggregates_only: bool = False


@dataclass(frozen=True, slots=True)
class CaseFilter:
    status: str = ""  # open | closed | overdue | one CaseStatus value
    unit: str = ""  # unit code (within scope)
    area: str = ""  # ward or residential area code (a ward takes its residential areas)
    category: str = ""
    kind: str = ""
    received_from: date | None = None
    received_to: date | None = None

    def query(self) -> dict[str, str]:
        values = {"status": self.status, "unit": self.unit, "area": self.area, "category": self.category,
                  "kind": self.kind, "from": self.received_from.isoformat() if self.received_from else "",
                  "to": self.received_to.isoformat() if self.received_to else ""}
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True, slots=True)
class CaseRow:
    id: int
    code: str
    kind: str
    status: str
    category: str
    area: str
    unit_code: str
    unit: str
    text: str
    source: str
    created_at: datetime
    due_at: datetime | None
    resolved_at: datetime | None
    extended: bool
    transfers: int
    reopened: int
    rating: str | None
    working_days_taken: int | None  # received -> answered, or -> today while open
    working_days_late: int  # past the due date, in working days (0 when not late)
    on_time: bool | None  # answered by the original due date without extension; None while unanswered

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


@dataclass(frozen=True, slots=True)
class CasePage:
    rows: list[CaseRow]
    page: int
    pages: int
    total: int


@dataclass(frozen=True, slots=True)
class CaseDetail:
    row: CaseRow
    history: list[PublicEvent] = field(default_factory=list)
    public: bool = False  # served to Open311 clients
    may_publish: bool = False  # the viewer may change that


async def viewer_for(session: AsyncSession, org: OrgSnapshot, official_id: int | None) -> Viewer | None:
    if official_id is None:
        return None
    official = await session.get(Official, official_id)
    if official is None or not official.active or official.role not in VIEWER_ROLES:
        return None
    if official.unit_id not in org.units_by_id:
        return None
    if official.role == "overseer":
        return Viewer(official.id, official.name, official.role, official.unit_id, tuple(city_units(org)), True)
    units = (official.unit_id,) if official.role == "officer" else tuple(subtree(org, official.unit_id))
    return Viewer(official.id, official.name, official.role, official.unit_id, units)


def city_units(org: OrgSnapshot) -> list[int]:
    """The tree the coordinator unit belongs to, from its top: what an overseer oversees."""
    code = org.settings.get("coordinator")
    if not isinstance(code, str) or code not in org.units:
        return [u.id for u in org.units.values() if u.kind != "overseer"]
    while (parent := org.units[code].parent_code) is not None and parent in org.units:
        code = parent
    return subtree(org, org.units[code].id)


def parse_filter(query: Any, org: OrgSnapshot, viewer: Viewer) -> CaseFilter:
    """A filter from untrusted query values: anything unknown or outside the scope is dropped."""
    status = str(query.get("status", ""))
    unit = str(query.get("unit", ""))
    area = str(query.get("area", ""))
    category = str(query.get("category", ""))
    kind = str(query.get("kind", ""))
    return CaseFilter(
        status=status if status in ("open", "closed", "overdue", *STATUSES) else "",
        unit=unit if unit in org.units and org.units[unit].id in viewer.units else "",
        area=area if area in org.areas else "",
        category=category if category in org.categories else "",
        kind=kind if kind in KINDS else "",
        received_from=_day(query.get("from")), received_to=_day(query.get("to")),
    )


def _day(raw: Any) -> date | None:
    try:
        return date.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return None


class Scope:
    def __init__(self, session: AsyncSession, org: OrgSnapshot, viewer: Viewer, now: datetime) -> None:
        self.session, self.org, self.viewer, self.now = session, org, viewer, now
        self.case_rows = CaseRepository(session)
        self.tz = org.calendar.tz

    def units(self, unit: str = "") -> list[int]:
        """The viewer's units, or one unit's subtree within them."""
        if unit and unit in self.org.units:
            return [u for u in subtree(self.org, self.org.units[unit].id) if u in self.viewer.units]
        return list(self.viewer.units)

    def _where(self, chosen: CaseFilter) -> list[Any]:
        where: list[Any] = [Case.unit_id.in_(self.units(chosen.unit))]
        if chosen.status == "open":
            where.append(Case.status.in_(OPEN))
        elif chosen.status == "closed":
            where.append(Case.status.not_in(OPEN))
        elif chosen.status == "overdue":
            where += [Case.status.in_(OPEN), Case.due_at < self.now]
        elif chosen.status:
            where.append(Case.status == chosen.status)
        if chosen.area:
            codes = [a.code for a in self.org.areas.values()
                     if a.code == chosen.area or a.parent_code == chosen.area]
            where.append(Case.area_id.in_([self.org.areas[c].id for c in codes]))
        if chosen.category:
            where.append(Case.category_id == self.org.categories[chosen.category].id)
        if chosen.kind:
            where.append(Case.kind == chosen.kind)
        if chosen.received_from:
            where.append(Case.created_at >= self._midnight(chosen.received_from))
        if chosen.received_to:
            where.append(Case.created_at < self._midnight(chosen.received_to + timedelta(days=1)))
        return where

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, datetime.min.time(), tzinfo=self.tz)

    async def cases(self, chosen: CaseFilter, page: int = 0, size: int = PAGE_SIZE) -> CasePage:
        if self.viewer.aggregates_only:
            return CasePage([], 0, 1, 0)
        where = self._where(chosen)
        total = int((await self.session.execute(select(func.count(Case.id)).where(*where))).scalar_one())
        pages = max(1, -(-total // size))
        page = min(max(0, page), pages - 1)
        stmt = (select(Case).where(*where).order_by(Case.created_at.desc(), Case.id.desc())
                .offset(page * size).limit(size))
        rows = [self.row(c) for c in (await self.session.execute(stmt)).scalars()]
        return CasePage(rows, page, pages, total)

    async def all_cases(self, chosen: CaseFilter) -> list[CaseRow]:
        """Every case of the filter (exports), newest first, up to MAX_EXPORT_ROWS."""
        if self.viewer.aggregates_only:
            return []
        stmt = (select(Case).where(*self._where(chosen)).order_by(Case.created_at.desc(), Case.id.desc())
                .limit(MAX_EXPORT_ROWS))
        return [self.row(c) for c in (await self.session.execute(stmt)).scalars()]

    async def detail(self, code: str) -> CaseDetail | None:
        """A case with its public history, or None when it is not in the viewer's scope (or does not exist)."""
        if self.viewer.aggregates_only or not code:
            return None
        case = await self.case_rows.by_code(code[:32])
        if case is None or case.unit_id not in self.viewer.units:
            return None
        events = await self.case_rows.history(case.id, public_only=True)
        category = self.org.categories_by_id.get(case.category_id or -1)
        public = case.kind == CaseKind.REPORT.value and not case.sealed and (
            case.public if case.public is not None else bool(category and category.public))
        may_publish = (case.unit_id == self.viewer.unit_id and self.viewer.role in ("officer", "head")
                       and case.kind == CaseKind.REPORT.value and not case.sealed)
        return CaseDetail(self.row(case), [PublicEvent(e.at, e.action, e.note) for e in events], public,
                          may_publish)

    async def set_public(self, code: str, value: bool) -> bool:
        """The unit publishes a report as open data, or withholds it; False when the viewer may not."""
        detail = await self.detail(code)
        if detail is None or not detail.may_publish:
            return False
        case = await self.case_rows.by_code(code[:32])
        assert case is not None
        case.public = value
        await self.case_rows.add_event(case, at=self.now, action="published" if value else "withheld",
                                       actor_kind="official", actor_id=self.viewer.official_id, public=False)
        return True

    async def overdue(self, limit: int = 200) -> list[tuple[int, list[CaseRow]]]:
        """Open cases past their due date, most late first, in the digest's bands (band index, cases)."""
        if self.viewer.aggregates_only:
            return []
        stmt = (select(Case).where(*self._where(CaseFilter(status="overdue")))
                .order_by(Case.due_at, Case.id).limit(limit))
        rows = [self.row(c) for c in (await self.session.execute(stmt)).scalars()]
        bands: list[tuple[int, list[CaseRow]]] = [(i, []) for i in range(len(OVERDUE_BANDS))]
        for row in rows:
            bands[band_of(row.working_days_late)][1].append(row)
        return bands

    async def map_points(self, limit: int = 2000) -> list[dict[str, Any]]:
        """Open reports of the scope on the map: the case's own point, else its area's centre (rounded to
        about 100 m either way); cases with neither are left off."""
        if self.viewer.aggregates_only:
            return []
        stmt = (select(Case).where(*self._where(CaseFilter(status="open")), Case.kind == CaseKind.REPORT.value)
                .order_by(Case.created_at.desc(), Case.id.desc()).limit(limit))
        points = []
        for case in (await self.session.execute(stmt)).scalars():
            lat, lon = case.lat, case.lon
            if lat is None or lon is None:
                area = self.org.areas_by_id.get(case.area_id or -1)
                while area is not None and (area.lat is None or area.lon is None) and area.parent_code:
                    area = self.org.areas.get(area.parent_code)
                if area is None or area.lat is None or area.lon is None:
                    continue
                lat, lon = area.lat, area.lon
            row = self.row(case)
            points.append({"code": row.code, "category": row.category, "unit": row.unit, "late": row.working_days_late,
                           "lat": round(lat, 3), "lon": round(lon, 3)})
        return points

    def row(self, case: Case) -> CaseRow:
        calendar = self.org.calendar
        category = self.org.categories_by_id.get(case.category_id or -1)
        area = self.org.areas_by_id.get(case.area_id or -1)
        unit = self.org.units_by_id[case.unit_id]
        language = "vi"
        made = case.created_at.astimezone(self.tz).date()
        today = self.now.astimezone(self.tz).date()
        end = case.resolved_at.astimezone(self.tz).date() if case.resolved_at else today
        taken = calendar.working_days_between(made, end)
        late = 0
        if case.due_at is not None:
            due = case.due_at.astimezone(self.tz).date()
            finished = case.resolved_at or (case.closed_at if case.status not in OPEN else None)
            until = finished or self.now
            if until > case.due_at:
                late = max(0, calendar.working_days_between(due, until.astimezone(self.tz).date()))
        on_time = None
        if case.resolved_at is not None and case.original_due_at is not None:
            on_time = not case.extended and case.resolved_at <= case.original_due_at
        return CaseRow(
            id=case.id, code=case.code, kind=case.kind, status=case.status,
            category=category.name(language) if category else "", area=area.name if area else "",
            unit_code=unit.code, unit=unit.name(language), text=case.text, source=case.source,
            created_at=case.created_at, due_at=case.due_at, resolved_at=case.resolved_at,
            extended=bool(case.extended), transfers=case.transfer_count, reopened=case.reopen_count,
            rating=case.rating, working_days_taken=taken, working_days_late=late, on_time=on_time,
        )


def band_of(days_late: int) -> int:
    for index, (low, high) in enumerate(OVERDUE_BANDS):
        if days_late >= low and (high is None or days_late <= high):
            return index
    return 0


def with_page(chosen: CaseFilter, **changes: Any) -> CaseFilter:
    return replace(chosen, **changes)
