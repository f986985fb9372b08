"""The law's clock: deadline policies per kind of case (optionally per category) and due-date arithmetic.

Both steps of a policy (accept, resolve) count from the moment the case was received, so the resolve step of
a complaint is "10 days to accept + 30 to resolve" = 40 working days (see shared/reference/domain-vn.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from bot.domain.calendar import WorkingCalendar

CASE_KINDS: tuple[str, ...] = ("question", "report", "petition", "complaint", "denunciation", "suggestion")


class TimeUnit(StrEnum):
    WORKING_DAYS = "working_days"
    WORKING_HOURS = "working_hours"
    CALENDAR_DAYS = "calendar_days"
    CALENDAR_HOURS = "calendar_hours"


@dataclass(frozen=True)
class Step:
    amount: int
    unit: TimeUnit

    def __post_init__(self) -> None:
        # Callers (the org loader, the database) hand over plain strings; keep one type inside.
        object.__setattr__(self, "unit", TimeUnit(self.unit))
        if self.amount < 0:
            raise ValueError("a deadline step cannot be negative")

    def __str__(self) -> str:
        return f"{self.amount} {self.unit.value}"


@dataclass(frozen=True)
class DeadlinePolicy:
    kind: str
    category: str | None
    accept: Step | None
    resolve: Step
    legal_basis: str | None = None


@dataclass(frozen=True)
class DueDates:
    accept: datetime | None
    resolve: datetime


def pick_policy(policies: Iterable[DeadlinePolicy], kind: str, category: str | None) -> DeadlinePolicy | None:
    """The policy for (kind, category): a category-specific one beats the kind-only default."""
    fallback: DeadlinePolicy | None = None
    for policy in policies:
        if policy.kind != kind:
            continue
        if category is not None and policy.category == category:
            return policy
        if policy.category is None and fallback is None:
            fallback = policy
    return fallback


def due_at(start: datetime, step: Step, calendar: WorkingCalendar) -> datetime:
    """When `step` counted from `start` runs out, as an aware datetime in the calendar's zone.

    Working days end at the close of office hours; working hours count office minutes only; calendar days and
    hours run round the clock from `start` (for urgent matters such as a fallen tree).
    """
    match step.unit:
        case TimeUnit.WORKING_DAYS:
            return calendar.add_working_days(start, step.amount)
        case TimeUnit.WORKING_HOURS:
            return calendar.add_working_minutes(start, step.amount * 60)
        case TimeUnit.CALENDAR_DAYS:
            return calendar.local(start) + timedelta(days=step.amount)
        case TimeUnit.CALENDAR_HOURS:
            # Hours elapse in real time (UTC); days keep the local wall-clock time.
            return calendar.local(start.astimezone(UTC) + timedelta(hours=step.amount))
    raise ValueError(f"unknown time unit {step.unit!r}")


def due_dates(start: datetime, policy: DeadlinePolicy, calendar: WorkingCalendar) -> DueDates:
    accept = due_at(start, policy.accept, calendar) if policy.accept is not None else None
    return DueDates(accept=accept, resolve=due_at(start, policy.resolve, calendar))


def extend_for_pause(
    due: datetime, paused_from: datetime, paused_to: datetime, calendar: WorkingCalendar
) -> datetime:
    """Push `due` on by the working time the case spent waiting for the citizen.

    Only office time counts, so a pause over a weekend or a night neither costs nor gains the official time.
    """
    paused = calendar.working_time_between(paused_from, paused_to)
    if paused <= timedelta(0):
        return calendar.local(due)
    return calendar.add_working_time(due, paused)
