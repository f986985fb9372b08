"""The leaders' digest, pure parts: reporting periods, the figures and their definitions, the weekly schedule.

Every figure is defined on the case events of the period, never on a case's current state, so a later
reopen, transfer or extension never rewrites a past period (the README says the same in words). Each event
records the case's state right after it (`state`: unit, status, due date, extended, assignee; see
storage/repositories/cases.add_event), so "the unit at answer time" and "the due date that held" are facts.
- received: cases that arrived in the unit in the period: new (submitted there) or transferred in (a transfer
  or a case sent up to it), shown apart;
- answered: answer events in the period, counted for the unit that answered (a later reopen erases none);
- on time: answered no later than the due date that held at that moment (an extension granted before the
  answer counts, one granted later changes nothing); early: at least one working day before it; answered
  under an extension: counted apart, as well; on-time rate = on time / answered;
- satisfaction: every rating given in the period (satisfied / rated), for the unit that was rated;
- reopened: cases reopened at the same unit in the period (a second dissatisfaction sends a case up instead); transfers: transfers made by the unit;
- passed on late: of those transfers, the cases already past their due date when the unit passed them on, and
  the working days they were late while the unit held them - from the due date, or from their arrival at the
  unit if later - (at least 1 each): the days a unit held a late case count against it, though the case - and
  its overdue age, on the citizen's clock - now belongs to the receiving unit;
- overdue: computed once per case at the period's end, or at the moment of reading for a period still in
  progress ("so far"), from the case's state at that moment: open, not waiting for the citizen (a paused
  case is never overdue) and past its due date; its age is the working days from the due day to that day,
  at least 1, banded: up to 2, 3-5, 6-10, more than 10. The same age is shown in the "most overdue" list.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any, overload

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


class Ratio:
    """A figure over another, read like a property; None over nothing (no case resolved: no on-time rate)."""

    def __init__(self, part: str, whole: str) -> None:
        self.part, self.whole = part, whole

    @overload
    def __get__(self, figures: None, owner: type) -> Ratio: ...
    @overload
    def __get__(self, figures: object, owner: type | None = None) -> float | None: ...

    def __get__(self, figures: object, owner: type | None = None) -> Ratio | float | None:
        if figures is None:
            return self
        whole = getattr(figures, self.whole)
        return getattr(figures, self.part) / whole if whole else None


@dataclass(frozen=True, slots=True)
class Figures:
    """The counts of one period for some units. Every field is a count (or a tuple of counts) and two
    Figures add field by field, so a new figure is one field here and one line where it is counted."""

    received: int = 0  # new + transferred in
    received_new: int = 0
    received_transferred: int = 0
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
    passed_late: int = 0  # transfers of a case already past its due date
    passed_late_days: int = 0  # ... and the working days it was late while the unit held it
    suggested: int = 0  # cases received with a category suggested by the matcher
    suggestion_kept: int = 0  # ... filed under that category and never re-categorised by an official

    def __add__(self, other: Figures) -> Figures:
        merged: dict[str, Any] = {}
        for item in fields(self):
            mine, theirs = getattr(self, item.name), getattr(other, item.name)
            merged[item.name] = (tuple(a + b for a, b in zip(mine, theirs, strict=True))
                                 if isinstance(mine, tuple) else mine + theirs)
        return Figures(**merged)

    @property
    def overdue(self) -> int:
        return sum(self.overdue_bands)

    on_time_rate = Ratio("on_time", "resolved")
    satisfaction = Ratio("satisfied", "rated")
    suggestion_rate = Ratio("suggestion_kept", "suggested")
    average_days = Ratio("resolve_days", "resolved")


# --- counting the events of a period ---------------------------------------------------------------------

ARRIVALS = {"submitted": False, "transferred": True, "sent_up": True}  # action -> arrived by transfer
RATINGS = {"rated_satisfied": True, "rated_unsatisfied": False}
REOPENED = "reopened"


@dataclass(frozen=True, slots=True)
class Happening:
    """One case event as the digest reads it: the unit it counts for is already resolved (the state the
    event recorded, or the case's own unit for an event written before states were recorded)."""

    case_id: int
    action: str
    at: datetime
    unit_id: int | None
    to_status: str | None = None
    due: datetime | None = None  # the due date that held right after the event
    extended: bool = False
    created: datetime | None = None  # when the case was received
    from_unit_id: int | None = None  # a transfer's source
    held_since: datetime | None = None  # ... and when the case had reached it (None: not recorded)


@dataclass(frozen=True, slots=True)
class Standing:
    """A case's state at a period's end (or at the moment of reading)."""

    case_id: int
    unit_id: int
    open: bool
    paused: bool
    due: datetime | None
    assignee_id: int | None = None


@dataclass(frozen=True, slots=True)
class Late:
    case_id: int
    unit_id: int
    due: datetime
    days: int
    assignee_id: int | None


def overdue_band(days: int) -> int:
    for index, (low, high) in enumerate(OVERDUE_BANDS):
        if days >= low and (high is None or days <= high):
            return index
    return len(OVERDUE_BANDS) - 1


@dataclass(slots=True)
class _Tally:
    counts: Counter[str] = field(default_factory=Counter)
    bands: list[int] = field(default_factory=lambda: [0] * len(OVERDUE_BANDS))

    def figures(self) -> Figures:
        c = self.counts
        return Figures(
            received=c["received_new"] + c["received_transferred"], received_new=c["received_new"],
            received_transferred=c["received_transferred"], resolved=c["resolved"], on_time=c["on_time"],
            early=c["early"], extended=c["extended"], overdue_bands=tuple(self.bands),  # type: ignore[arg-type]
            resolve_days=c["resolve_days"], rated=c["rated"], satisfied=c["satisfied"], reopened=c["reopened"],
            transfers=c["transfers"], passed_late=c["passed_late"], passed_late_days=c["passed_late_days"],
        )


WorkingDays = Callable[[datetime, datetime], int]  # working days from the first moment's day to the second's


def tally(happenings: Iterable[Happening], late: Iterable[Late], working_days: WorkingDays) -> dict[int, Figures]:
    """Figures per unit id from the period's events and the cases late at its end."""
    units: dict[int, _Tally] = {}

    def of(unit_id: int) -> Counter[str]:
        return units.setdefault(unit_id, _Tally()).counts

    for h in happenings:
        if h.action == "transferred" and h.from_unit_id is not None:
            source = of(h.from_unit_id)
            source["transfers"] += 1
            # The due date is the citizen's (a transfer keeps it); the source answers for the days it was late
            # while it held the case, from the due date or from its arrival there, whichever is later.
            late_from = max(h.due, h.held_since) if h.due is not None and h.held_since is not None else h.due
            if late_from is not None and h.at > late_from:
                source["passed_late"] += 1
                source["passed_late_days"] += max(1, working_days(late_from, h.at))
        if h.unit_id is None:
            continue
        counts = of(h.unit_id)
        if h.action in ARRIVALS:
            counts["received_transferred" if ARRIVALS[h.action] else "received_new"] += 1
        elif h.action == "answered":
            counts["resolved"] += 1
            if h.due is not None and h.at <= h.due:
                counts["on_time"] += 1
                if working_days(h.at, h.due) >= 1:
                    counts["early"] += 1
            counts["extended"] += h.extended
            if h.created is not None:
                counts["resolve_days"] += working_days(h.created, h.at)
        elif h.action in RATINGS:
            counts["rated"] += 1
            counts["satisfied"] += RATINGS[h.action]
        elif h.action == REOPENED:
            counts["reopened"] += 1
    for case in late:
        units.setdefault(case.unit_id, _Tally()).bands[overdue_band(case.days)] += 1
    return {unit_id: t.figures() for unit_id, t in units.items()}


def late_cases(standings: Iterable[Standing], as_of: datetime, working_days: WorkingDays) -> list[Late]:
    """The cases overdue at `as_of`, each with its age in working days (at least 1), most overdue first."""
    last_moment = as_of - timedelta(microseconds=1)  # a period's end is the midnight after its last day
    found = [
        Late(s.case_id, s.unit_id, s.due, max(1, working_days(s.due, last_moment)), s.assignee_id)
        for s in standings if s.open and not s.paused and s.due is not None and s.due < as_of
    ]
    return sorted(found, key=lambda c: (-c.days, c.due, c.case_id))


def as_of(period: Period, now: datetime) -> datetime:
    """Where a period's "end" figures are read: its end, or now while it is still in progress."""
    return min(period.end, now)


def in_progress(period: Period, now: datetime) -> bool:
    return now < period.end
