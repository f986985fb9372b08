"""The chairman's fixed citizen-reception days (Luật Tiếp công dân 2013): a rule from the organisation file
turned into dates, skipping days off.

A weekly rule names a weekday; a monthly rule names days of the month. A reception day that falls on a day off
(a weekend, Tết, a decreed holiday) moves to the next working day of the same week (weekly) or month (monthly);
when there is none left in that period, that reception is skipped. Pure: no I/O, a calendar is given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True, slots=True)
class ReceptionRule:
    unit: str
    every: str  # weekly | monthly
    weekday: str | None = None  # weekly
    days: tuple[int, ...] = ()  # monthly: days of the month

    def per_month_at_least(self) -> int:
        return 4 if self.every == "weekly" else len(set(self.days))


def _same_period(every: str, a: date, b: date) -> bool:
    if every == "weekly":
        return a.isocalendar()[:2] == b.isocalendar()[:2]
    return (a.year, a.month) == (b.year, b.month)


def _shifted(day: date, every: str, is_working: Callable[[date], bool]) -> date | None:
    candidate = day
    while _same_period(every, day, candidate):
        if is_working(candidate):
            return candidate
        candidate += timedelta(days=1)
    return None


def reception_days(rule: ReceptionRule, first: date, last: date, is_working: Callable[[date], bool]) -> list[date]:
    """The reception days in [first, last]."""
    nominal: list[date] = []
    day = first
    while day <= last:
        if rule.every == "weekly" and WEEKDAYS[day.weekday()] == rule.weekday:
            nominal.append(day)
        elif rule.every == "monthly" and day.day in rule.days:
            nominal.append(day)
        day += timedelta(days=1)
    found: list[date] = []
    for day in nominal:
        moved = _shifted(day, rule.every, is_working)
        if moved is not None and moved <= last and moved not in found:
            found.append(moved)
    return found
