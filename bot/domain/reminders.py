"""When deadline notices fall, and when officials may receive them. Pure: no I/O, time comes in as values.

Before a due date the person holding the case is reminded three times: when half of the time has gone, at the
opening of the working day before the due day, and at the opening of the due day itself. A case nobody
accepted in time is flagged to its unit. On breach the head of the unit is told, then, after a configurable
number of working days, the leader of the unit above; each escalation asks for an acknowledgement and repeats
at the opening of every working day (or every n-th) until it is acknowledged or the case is resolved.

Officials are not disturbed outside the quiet-hours window (07:30-20:00 on working days by default).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from bot.domain.calendar import WorkingCalendar

ONE_DAY = timedelta(days=1)
SEARCH_DAYS = 400  # a calendar with no allowed moment in a year is a broken calendar, not a long wait


class NoticeKind(StrEnum):
    ACCEPT_LATE = "accept_late"  # nobody accepted the case within the accept step
    HALF = "half"  # half of the time to resolve has gone
    DAY_BEFORE = "day_before"  # the working day before the due day
    DUE_DAY = "due_day"  # the due day itself
    OVERDUE = "overdue"  # the due moment passed: the holder is told the head now knows


# The reminders about the resolve step, in the order they fall; a later one supersedes an earlier one.
RESOLVE_REMINDERS = (NoticeKind.HALF, NoticeKind.DAY_BEFORE, NoticeKind.DUE_DAY, NoticeKind.OVERDUE)


class Level(StrEnum):
    HEAD = "head"  # the head of the case's unit
    PARENT = "parent"  # the leader of the unit above


@dataclass(frozen=True, slots=True)
class EscalationRules:
    parent_delay_working_days: int = 2
    repeat_every_working_days: int = 1

    @classmethod
    def from_settings(cls, value: Mapping[str, Any] | None) -> EscalationRules:
        value = value or {}
        return cls(
            parent_delay_working_days=int(value.get("parent_delay_working_days", 2)),
            repeat_every_working_days=max(1, int(value.get("repeat_every_working_days", 1))),
        )


@dataclass(frozen=True, slots=True)
class QuietHours:
    """The window in which officials may be messaged; outside it their notices wait for it to open."""

    opens: time = time(7, 30)
    closes: time = time(20, 0)
    working_days_only: bool = True

    @classmethod
    def from_settings(cls, value: Mapping[str, Any] | None) -> QuietHours:
        value = value or {}
        allowed = str(value.get("allowed", "07:30-20:00"))
        start, end = (time.fromisoformat(part.strip()) for part in allowed.split("-", 1))
        return cls(opens=start, closes=end, working_days_only=bool(value.get("working_days_only", True)))

    def _open_on(self, day: date, calendar: WorkingCalendar) -> bool:
        return calendar.is_working_day(day) or not self.working_days_only

    def allows(self, moment: datetime, calendar: WorkingCalendar) -> bool:
        local = calendar.local(moment)
        return self._open_on(local.date(), calendar) and self.opens <= local.time() < self.closes

    def next_allowed(self, moment: datetime, calendar: WorkingCalendar) -> datetime:
        """`moment` itself when it is allowed, else when the window next opens (in the calendar's zone)."""
        local = calendar.local(moment)
        day = local.date()
        for _ in range(SEARCH_DAYS):
            if self._open_on(day, calendar):
                opens, closes = calendar.at(day, self.opens), calendar.at(day, self.closes)
                if local < opens:
                    return opens
                if local < closes:
                    return local
            day += ONE_DAY
        raise ValueError("the quiet-hours window never opens in the calendar")


@dataclass(frozen=True, slots=True)
class Deadlines:
    """What a case's notices depend on."""

    created_at: datetime
    due_at: datetime
    accept_due_at: datetime | None = None
    accepted: bool = False
    calendar_time: bool = False  # the resolve step runs round the clock (urgent matters)


@dataclass(frozen=True, slots=True)
class Notice:
    kind: NoticeKind
    at: datetime


def previous_working_day(day: date, calendar: WorkingCalendar) -> date:
    candidate = day - ONE_DAY
    while not calendar.is_working_day(candidate):
        candidate -= ONE_DAY
    return candidate


def half_time(d: Deadlines, calendar: WorkingCalendar) -> datetime:
    if d.calendar_time:
        whole = d.due_at - d.created_at
        return calendar.local(d.created_at + timedelta(minutes=int(whole // timedelta(minutes=1)) // 2))
    minutes = calendar.working_minutes_between(d.created_at, d.due_at)
    return calendar.add_working_minutes(d.created_at, minutes // 2)


def reminder_schedule(d: Deadlines, calendar: WorkingCalendar) -> list[Notice]:
    """Every reminder of the case, in time order; those that would fall outside (created, due) are left out."""
    due_day = calendar.local(d.due_at).date()
    candidates = [
        Notice(NoticeKind.DUE_DAY, calendar.start_of_day(due_day)) if calendar.is_working_day(due_day) else None,
        Notice(NoticeKind.DAY_BEFORE, calendar.start_of_day(previous_working_day(due_day, calendar))),
        Notice(NoticeKind.HALF, half_time(d, calendar)),
    ]
    before: dict[datetime, Notice] = {}
    for notice in candidates:  # on a tie the more pressing reminder (listed first) keeps the moment
        if notice is not None and d.created_at < notice.at < d.due_at:
            before.setdefault(notice.at, notice)
    notices = sorted(before.values(), key=lambda n: n.at)
    notices.append(Notice(NoticeKind.OVERDUE, calendar.local(d.due_at)))
    if d.accept_due_at is not None and d.accept_due_at < d.due_at:
        notices.append(Notice(NoticeKind.ACCEPT_LATE, calendar.local(d.accept_due_at)))
    return sorted(notices, key=lambda n: (n.at, n.kind != NoticeKind.ACCEPT_LATE))


def escalation_times(due: datetime, rules: EscalationRules, calendar: WorkingCalendar) -> dict[Level, datetime]:
    """The head hears at the due moment; the unit above once the case is `parent_delay` working days late."""
    late = timedelta(minutes=rules.parent_delay_working_days * calendar.hours.minutes_per_day)
    # No delay means at once: adding no working time would still move a 17:00 breach to the next opening.
    parent = calendar.add_working_time(due, late) if late else calendar.local(due)
    return {Level.HEAD: calendar.local(due), Level.PARENT: parent}


def next_repeat(after: datetime, rules: EscalationRules, calendar: WorkingCalendar) -> datetime:
    """The opening of the n-th working day after the (local) day of `after`."""
    day = calendar.local(after).date()
    for _ in range(rules.repeat_every_working_days):
        day = calendar.next_working_day(day)
    return calendar.start_of_day(day)


@dataclass(frozen=True, slots=True)
class OpenEscalation:
    """An escalation not yet acknowledged, and when it is next repeated."""

    id: int
    level: Level
    next_repeat_at: datetime


@dataclass(frozen=True, slots=True)
class Plan:
    """What one sweep does for one case now, and when the case next needs the sweep."""

    reminders: tuple[NoticeKind, ...] = ()
    escalate: tuple[Level, ...] = ()
    repeats: tuple[int, ...] = ()  # ids of escalations to repeat now
    next_action_at: datetime | None = None
    repeat_after: dict[int, datetime] = field(default_factory=dict)  # escalation id -> its next repeat
    first_repeat: dict[Level, datetime] = field(default_factory=dict)  # a level raised now -> its first repeat


def plan(
    d: Deadlines,
    now: datetime,
    calendar: WorkingCalendar,
    rules: EscalationRules,
    *,
    raised: Collection[Level] = (),
    open_escalations: Iterable[OpenEscalation] = (),
    quiet: QuietHours | None = None,
) -> Plan:
    """The notices due at `now` for a case still open.

    Only the latest resolve reminder that has fallen is live: a sweep that ran late (the process was down)
    sends where the case stands, not a burst of stale reminders. Whether a live reminder was already sent is
    the caller's claim to check. Escalations are raised once per level and due date, then repeated from the
    working day after the one on which they reach the official (after the quiet hours, when given).
    """
    schedule = reminder_schedule(d, calendar)
    live: list[NoticeKind] = []
    fallen = [n for n in schedule if n.kind in RESOLVE_REMINDERS and n.at <= now]
    if fallen:
        live.append(fallen[-1].kind)
    if d.accept_due_at is not None and not d.accepted and d.accept_due_at <= now < d.due_at:
        live.append(NoticeKind.ACCEPT_LATE)
    future = [n.at for n in schedule if n.at > now and (n.kind is not NoticeKind.ACCEPT_LATE or not d.accepted)]

    ladder = escalation_times(d.due_at, rules, calendar)
    escalate = tuple(level for level, at in ladder.items() if at <= now and level not in raised)
    future += [at for level, at in ladder.items() if at > now and level not in raised]
    # A report raised now reaches the official now, or when the quiet hours end; it repeats from the
    # working day after that.
    seen = quiet.next_allowed(now, calendar) if quiet else now
    first_repeat = {level: _repeat_from(seen, now, rules, calendar) for level in escalate}
    future += first_repeat.values()

    repeats, repeat_after = [], {}
    for escalation in open_escalations:
        upcoming = escalation.next_repeat_at
        if upcoming <= now:
            repeats.append(escalation.id)
            upcoming = _repeat_from(upcoming, now, rules, calendar)
            repeat_after[escalation.id] = upcoming
        future.append(upcoming)
    return Plan(
        reminders=tuple(live), escalate=escalate, repeats=tuple(repeats),
        next_action_at=min(future) if future else None, repeat_after=repeat_after, first_repeat=first_repeat,
    )


def _repeat_from(scheduled: datetime, now: datetime, rules: EscalationRules, calendar: WorkingCalendar) -> datetime:
    upcoming = next_repeat(scheduled, rules, calendar)
    return upcoming if upcoming > now else next_repeat(now, rules, calendar)
