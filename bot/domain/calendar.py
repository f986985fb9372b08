"""The working-day calendar: which days are working days, office hours, and time arithmetic over them.

Pure: the days come in as a mapping (materialised from the `calendar_days` table or built in tests); a day
outside the mapping falls back to Monday-Friday. Every datetime going in must be aware (any zone); every
datetime coming out is aware and in the calendar's zone (Asia/Ho_Chi_Minh by default), so callers can print it
as local time or `.astimezone(UTC)` it for storage.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Ho_Chi_Minh"
VN_TZ = ZoneInfo(DEFAULT_TZ)
DEFAULT_PERIODS: tuple[tuple[time, time], ...] = (
    (time(7, 30), time(11, 30)),
    (time(13, 30), time(17, 0)),
)
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class OfficeHours:
    """The office periods of one working day, in order, e.g. 07:30-11:30 and 13:30-17:00."""

    periods: tuple[tuple[time, time], ...] = DEFAULT_PERIODS

    def __post_init__(self) -> None:
        # Accept lists from callers but keep the value hashable and immutable.
        object.__setattr__(self, "periods", tuple((s, e) for s, e in self.periods))
        if not self.periods:
            raise ValueError("office hours need at least one period")
        previous_end: time | None = None
        for start, end in self.periods:
            if start >= end:
                raise ValueError(f"office period {start:%H:%M}-{end:%H:%M} ends before it starts")
            if previous_end is not None and start < previous_end:
                raise ValueError("office periods must be in order and must not overlap")
            previous_end = end

    @property
    def opens(self) -> time:
        return self.periods[0][0]

    @property
    def closes(self) -> time:
        return self.periods[-1][1]

    @property
    def minutes_per_day(self) -> int:
        return sum(_minutes(end) - _minutes(start) for start, end in self.periods)


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _require_aware(value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime given to the working calendar; pass an aware datetime")


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days + office hours in one time zone. Results are aware datetimes in `tz`."""

    days: Mapping[date, bool] = field(default_factory=dict)
    hours: OfficeHours = field(default_factory=OfficeHours)
    tz: tzinfo = VN_TZ

    @classmethod
    def build(
        cls,
        days: Mapping[date, bool],
        hours: OfficeHours | None = None,
        tz: str | tzinfo = DEFAULT_TZ,
    ) -> WorkingCalendar:
        zone = ZoneInfo(tz) if isinstance(tz, str) else tz
        return cls(days=dict(days), hours=hours or OfficeHours(), tz=zone)

    # --- days -----------------------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        known = self.days.get(day)
        return known if known is not None else day.weekday() < 5

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        candidate = day + ONE_DAY
        while not self.is_working_day(candidate):
            candidate += ONE_DAY
        return candidate

    def working_day_on_or_after(self, day: date) -> date:
        return day if self.is_working_day(day) else self.next_working_day(day)

    def working_days_between(self, a_day: date, b_day: date) -> int:
        """Working days in (a_day, b_day]: the same as the ordinal difference in the calendar table.

        Negative when b_day is before a_day, so the sign says which way round they are.
        """
        if b_day < a_day:
            return -self.working_days_between(b_day, a_day)
        return sum(1 for d in _days(a_day + ONE_DAY, b_day) if self.is_working_day(d))

    # --- moments --------------------------------------------------------------------------------------

    def local(self, moment: datetime) -> datetime:
        _require_aware(moment)
        return moment.astimezone(self.tz)

    def at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self.tz)

    def start_of_day(self, day: date) -> datetime:
        return self.at(day, self.hours.opens)

    def end_of_day(self, day: date) -> datetime:
        """The end of office hours on `day`: when a deadline falling on that day expires."""
        return self.at(day, self.hours.closes)

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """The end of office hours of the n-th working day after the (local) day of `start`.

        n == 0 means "by the end of today", or of the next working day when today is not one.
        """
        if n < 0:
            raise ValueError("cannot add a negative number of working days")
        day = self.local(start).date()
        if n == 0:
            return self.end_of_day(self.working_day_on_or_after(day))
        for _ in range(n):
            day = self.next_working_day(day)
        return self.end_of_day(day)

    def add_working_minutes(self, start: datetime, minutes: int) -> datetime:
        """Move on by office-hour minutes of working days; a start outside them begins at the next period.

        Ending exactly at the close of a period gives that close (11:30, not 13:30).
        """
        return self.add_working_time(start, timedelta(minutes=minutes))

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        if amount < timedelta(0):
            raise ValueError("cannot add a negative working time")
        remaining = amount
        for opens, closes in self._periods_from(self.local(start)):
            available = _elapsed(opens, closes)
            if remaining <= available:
                return (opens.astimezone(UTC) + remaining).astimezone(self.tz)
            remaining -= available
        raise AssertionError("unreachable: the period iterator never ends")

    def working_minutes_between(self, a: datetime, b: datetime) -> int:
        """Whole office-hour minutes of working days in [a, b); 0 when b is not after a."""
        return int(self.working_time_between(a, b) // timedelta(minutes=1))

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        end = self.local(b)
        total = timedelta(0)
        for opens, closes in self._periods_from(self.local(a)):
            if opens >= end:
                break
            total += _elapsed(opens, min(closes, end))
        return total

    def _periods_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Office periods (or the remaining part of the current one) from `moment` on, without end."""
        day = moment.date()
        while True:
            if self.is_working_day(day):
                for start, end in self.hours.periods:
                    opens, closes = self.at(day, start), self.at(day, end)
                    if closes > moment:
                        yield max(opens, moment), closes
            day += ONE_DAY


def _elapsed(a: datetime, b: datetime) -> timedelta:
    # Subtract in UTC: Python subtracts same-zone datetimes by wall clock, which a DST zone would get wrong.
    return b.astimezone(UTC) - a.astimezone(UTC)


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += ONE_DAY
