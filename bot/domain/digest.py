"""The leaders' digest, pure parts: reporting periods, the figures and their definitions, the weekly schedule.

Definitions (shared/reference/domain-vn.md; the SQL in bot/services/digest_sql.py follows them):
- received: cases created in the period; resolved: cases answered in the period;
- on time: resolved no later than the ORIGINAL due date and never extended; early: on time and answered at
  least one working day before that date (calendar ordinals); cases answered after an approved extension are
  counted apart and never on time; on-time rate = on time / resolved;
- overdue: open at the period's end and past their (current) due date, by working days late: up to 2, 3-5,
  6-10, more than 10 (a case less than a working day late is in the first band);
- average working days to resolve; satisfaction = satisfied / rated; reopened; transfers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# (lowest, highest) working days late of each overdue band; None: no upper bound.
OVERDUE_BANDS: tuple[tuple[int, int | None], ...] = ((0, 2), (3, 5), (6, 10), (11, None))
WEEK = re.compile(r"^(\d{4})-?w(\d{1,2})$")
MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


class PeriodKind(StrEnum):
    WEEK = "week"  # an ISO week, Monday to Sunday
    MONTH = "month"
    DAYS = "days"  # the last seven days up to a moment


@dataclass(frozen=True, slots=True)
class Period:
    kind: PeriodKind
    start: datetime  # aware, inclusive
    end: datetime  # aware, exclusive

    @property
    def label(self) -> str:
        """A stable name: 2026-W09, 2026-02, or the first and last day of a rolling span."""
        if self.kind is PeriodKind.WEEK:
            year, week, _ = self.start.date().isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind is PeriodKind.MONTH:
            return f"{self.start:%Y-%m}"
        return f"{self.start:%Y-%m-%dT%H:%M}/{self.end:%Y-%m-%dT%H:%M}"

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(microseconds=1)).date()

    def previous(self) -> Period:
        if self.kind is PeriodKind.MONTH:
            first = (self.start.date().replace(day=1) - timedelta(days=1)).replace(day=1)
            return month(first.year, first.month, self.start.tzinfo)
        length = self.end - self.start
        return Period(self.kind, self.start - length, self.start)


def _midnight(day: date, tz: tzinfo | None) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=tz)


def iso_week(year: int, week: int, tz: tzinfo | None) -> Period:
    monday = date.fromisocalendar(year, week, 1)
    return Period(PeriodKind.WEEK, _midnight(monday, tz), _midnight(monday + timedelta(days=7), tz))


def month(year: int, number: int, tz: tzinfo | None) -> Period:
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return Period(PeriodKind.MONTH, _midnight(first, tz), _midnight(following, tz))


def last_days(now: datetime, tz: tzinfo, days: int = 7) -> Period:
    end = now.astimezone(tz)
    return Period(PeriodKind.DAYS, end - timedelta(days=days), end)


def last_week(now: datetime, tz: tzinfo) -> Period:
    """The ISO week before the one `now` falls in."""
    year, week, _ = (now.astimezone(tz).date() - timedelta(days=7)).isocalendar()
    return iso_week(year, week, tz)


def last_month(now: datetime, tz: tzinfo) -> Period:
    first = now.astimezone(tz).date().replace(day=1) - timedelta(days=1)
    return month(first.year, first.month, tz)


def parse_period(text: str, now: datetime, tz: tzinfo) -> Period | None:
    """`2026-W47` (ISO week), `2026-11` (month), or nothing for the last seven days; None when unreadable."""
    value = text.strip().lower().replace(" ", "")
    if not value:
        return last_days(now, tz)
    if found := WEEK.match(value):
        try:
            return iso_week(int(found[1]), int(found[2]), tz)
        except ValueError:
            return None
    if (found := MONTH.match(value)) and 1 <= int(found[2]) <= 12:
        return month(int(found[1]), int(found[2]), tz)
    return None


def weekly_moment(now: datetime, tz: tzinfo, weekday: str, at: time) -> datetime:
    """The latest scheduled digest moment at or before `now` (local weekday and time)."""
    local = now.astimezone(tz)
    back = (local.weekday() - WEEKDAYS.index(weekday)) % 7
    moment = datetime.combine(local.date() - timedelta(days=back), at, tzinfo=tz)
    return moment if moment <= local else moment - timedelta(days=7)


def weekly_period(moment: datetime) -> Period:
    """The seven days before the scheduled day: on a Monday, exactly the previous ISO week."""
    day = moment.date()
    start, end = _midnight(day - timedelta(days=7), moment.tzinfo), _midnight(day, moment.tzinfo)
    kind = PeriodKind.WEEK if day.weekday() == 0 else PeriodKind.DAYS
    return Period(kind, start, end)


@dataclass(frozen=True, slots=True)
class Figures:
    received: int = 0
    resolved: int = 0
    on_time: int = 0
    early: int = 0
    extended: int = 0
    overdue_bands: tuple[int, int, int, int] = (0, 0, 0, 0)
    resolve_days: int = 0  # working days to resolve, summed over the resolved cases
    rated: int = 0
    satisfied: int = 0
    reopened: int = 0
    transfers: int = 0
    suggested: int = 0  # cases received with a category suggested by the matcher
    suggestion_kept: int = 0  # ... filed under that category and never re-categorised by an official

    @property
    def overdue(self) -> int:
        return sum(self.overdue_bands)

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.resolved if self.resolved else None

    @property
    def satisfaction(self) -> float | None:
        return self.satisfied / self.rated if self.rated else None

    @property
    def suggestion_rate(self) -> float | None:
        return self.suggestion_kept / self.suggested if self.suggested else None

    @property
    def average_days(self) -> float | None:
        return self.resolve_days / self.resolved if self.resolved else None
