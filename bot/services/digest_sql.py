"""The digest's figures, counted by the database over indexed columns and the calendar's working-day ordinal.

Nothing here loads cases into Python: each function returns counts (or a handful of rows for the "most
overdue" list). Working days between two moments are the difference of the calendar table's `ordinal` for
their local days, so SQLite and PostgreSQL count them exactly as `WorkingCalendar.working_days_between` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.domain.cases import OPEN_STATUSES, CaseStatus
from bot.domain.digest import OVERDUE_BANDS, Figures, Period
from storage.models import CalendarDay, Case, CaseEvent, Category, Official

OPEN = tuple(s.value for s in OPEN_STATUSES)
SATISFIED = "satisfied"  # Case.rating of a citizen who was satisfied with the answer
REOPENED, TRANSFERRED = CaseStatus.REOPENED.value, CaseStatus.TRANSFERRED.value


@dataclass(frozen=True, slots=True)
class Ranked:
    id: int | None
    count: int


@dataclass(frozen=True, slots=True)
class OverdueCase:
    code: str
    unit_id: int
    due_at: datetime
    days_late: int
    assignee: str | None


@dataclass(frozen=True, slots=True)
class UnitRate:
    unit_id: int
    resolved: int
    on_time: int


class DigestQueries:
    def __init__(self, session: AsyncSession, tz: Any) -> None:
        self.session, self.tz = session, tz
        self.postgres = session.get_bind().dialect.name == "postgresql"

    def local_day(self, column: Any, at: datetime) -> Any:
        """The local calendar day of a UTC column, in SQL."""
        if self.postgres:
            return func.date(func.timezone(str(self.tz), column))
        # SQLite keeps naive UTC text; the zone's offset (fixed in Asia/Ho_Chi_Minh) is added as minutes.
        offset = int(at.astimezone(self.tz).utcoffset().total_seconds() // 60)
        return func.date(column, f"{offset:+d} minutes")

    async def ordinal(self, day: date) -> int | None:
        stmt = select(CalendarDay.ordinal).where(CalendarDay.day == day)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    # --- the figures of one period ----------------------------------------------------------------------

    async def figures(self, units: list[int], codes: list[str], period: Period) -> Figures:
        """`units` (ids) and `codes` name the same units: transfers are counted against the unit that passed
        the case on, which the transfer event records by code."""
        received = await self._received(units, period)
        resolved = await self._resolved(units, period)
        bands = await self._overdue_bands(units, period)
        reopened = await self._reopened(units, period)
        transfers = await self._transfers(codes, period)
        suggested, kept = await self._suggestions(units, period)
        return Figures(received=received, overdue_bands=bands, reopened=reopened, transfers=transfers,
                       suggested=suggested, suggestion_kept=kept, **resolved)

    async def _suggestions(self, units: list[int], period: Period) -> tuple[int, int]:
        """Cases received with a suggested category, and those the suggestion stood for: filed under it and
        never re-categorised (an official's "recategorised" event)."""
        first = Case.details["suggestion"]["category"].as_string()
        changed = select(CaseEvent.id).where(CaseEvent.case_id == Case.id, CaseEvent.action == "recategorised")
        stmt = (
            select(func.count(Case.id), _count_if(and_(Category.code == first, ~changed.exists())))
            .select_from(Case).outerjoin(Category, Category.id == Case.category_id)
            .where(Case.unit_id.in_(units), Case.created_at >= period.start, Case.created_at < period.end,
                   first.is_not(None))
        )
        suggested, kept = (await self.session.execute(stmt)).one()
        return int(suggested or 0), int(kept or 0)

    async def _received(self, units: list[int], period: Period) -> int:
        stmt = select(func.count(Case.id)).where(
            Case.unit_id.in_(units), Case.created_at >= period.start, Case.created_at < period.end)
        return int((await self.session.execute(stmt)).scalar_one())

    def _on_time(self) -> Any:
        return and_(Case.extended.is_(False), Case.resolved_at <= Case.original_due_at)

    async def _resolved(self, units: list[int], period: Period) -> dict[str, int]:
        due, done, made = aliased(CalendarDay), aliased(CalendarDay), aliased(CalendarDay)
        on_time = self._on_time()
        early = and_(on_time, due.ordinal - done.ordinal >= 1)
        stmt = (
            select(
                func.count(Case.id),
                _count_if(on_time),
                _count_if(early),
                _count_if(Case.extended.is_(True)),
                func.coalesce(func.sum(done.ordinal - made.ordinal), 0),
                _count_if(Case.rating.is_not(None)),
                _count_if(Case.rating == SATISFIED),
            )
            .select_from(Case)
            .outerjoin(due, due.day == self.local_day(Case.original_due_at, period.end))
            .outerjoin(done, done.day == self.local_day(Case.resolved_at, period.end))
            .outerjoin(made, made.day == self.local_day(Case.created_at, period.end))
            .where(Case.unit_id.in_(units), Case.resolved_at >= period.start, Case.resolved_at < period.end)
        )
        row = (await self.session.execute(stmt)).one()
        names = ("resolved", "on_time", "early", "extended", "resolve_days", "rated", "satisfied")
        return {name: int(value or 0) for name, value in zip(names, row, strict=True)}

    def _open_at_end(self, period: Period) -> Any:
        """Open when the period ended: open now, or finished only after the end."""
        return and_(
            Case.created_at < period.end,
            Case.due_at < period.end,
            or_(Case.status.in_(OPEN), Case.resolved_at >= period.end, Case.closed_at >= period.end),
        )

    async def _overdue_bands(self, units: list[int], period: Period) -> tuple[int, int, int, int]:
        as_of = await self.ordinal(period.last_day)
        if as_of is None:
            return (0, 0, 0, 0)
        due = aliased(CalendarDay)
        late = as_of - due.ordinal
        counts = [_count_if(_in_band(late, low, high)) for low, high in OVERDUE_BANDS]
        stmt = (
            select(*counts).select_from(Case)
            .join(due, due.day == self.local_day(Case.due_at, period.end))
            .where(Case.unit_id.in_(units), self._open_at_end(period))
        )
        row = (await self.session.execute(stmt)).one()
        first, second, third, fourth = (int(v or 0) for v in row)
        return (first, second, third, fourth)

    def _events_to(self, status: str, period: Period) -> tuple[Any, ...]:
        return (CaseEvent.to_status == status, CaseEvent.at >= period.start, CaseEvent.at < period.end)

    async def _reopened(self, units: list[int], period: Period) -> int:
        """Cases reopened in the period (a dissatisfied citizen sends a case back to its unit)."""
        stmt = (
            select(func.count(CaseEvent.id)).join(Case, Case.id == CaseEvent.case_id)
            .where(*self._events_to(REOPENED, period), Case.unit_id.in_(units))
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def _transfers(self, codes: list[str], period: Period) -> int:
        """Transfers in the period made by these units (the event's `from`)."""
        stmt = select(func.count(CaseEvent.id)).where(
            *self._events_to(TRANSFERRED, period), CaseEvent.data["from"].as_string().in_(codes))
        return int((await self.session.execute(stmt)).scalar_one())

    # --- lists --------------------------------------------------------------------------------------------

    async def top(self, column: Any, units: list[int], period: Period, limit: int = 3) -> list[Ranked]:
        """The most frequent values of `column` (category, area) among the cases received in the period."""
        count = func.count(Case.id)
        stmt = (
            select(column, count)
            .where(Case.unit_id.in_(units), Case.created_at >= period.start, Case.created_at < period.end,
                   column.is_not(None))
            .group_by(column).order_by(count.desc(), column).limit(limit)
        )
        return [Ranked(value, int(n)) for value, n in (await self.session.execute(stmt)).all()]

    async def most_overdue(self, units: list[int], period: Period, limit: int = 3) -> list[OverdueCase]:
        as_of = await self.ordinal(period.last_day) or 0
        due = aliased(CalendarDay)
        late = as_of - due.ordinal
        stmt = (
            select(Case.code, Case.unit_id, Case.due_at, late, Official.name)
            .select_from(Case)
            .outerjoin(due, due.day == self.local_day(Case.due_at, period.end))
            .outerjoin(Official, Official.id == Case.assignee_id)
            .where(Case.unit_id.in_(units), self._open_at_end(period))
            .order_by(Case.due_at, Case.id).limit(limit)
        )
        return [OverdueCase(code, unit_id, due_at, int(days or 0), name)
                for code, unit_id, due_at, days, name in (await self.session.execute(stmt)).all()]

    async def unit_rates(self, units: list[int], period: Period) -> list[UnitRate]:
        stmt = (
            select(Case.unit_id, func.count(Case.id), _count_if(self._on_time()))
            .where(Case.unit_id.in_(units), Case.resolved_at >= period.start, Case.resolved_at < period.end)
            .group_by(Case.unit_id)
        )
        return [UnitRate(unit_id, int(n), int(on_time or 0))
                for unit_id, n, on_time in (await self.session.execute(stmt)).all()]


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _in_band(late: Any, low: int, high: int | None) -> Any:
    if high is None:
        return late >= low
    return late <= high if low == 0 else late.between(low, high)
