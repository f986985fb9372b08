"""The pure rules: when reminders fall, when escalations climb, quiet hours, reporting periods."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.calendar import WorkingCalendar
from bot.domain.digest import (
    Figures,
    PeriodKind,
    iso_week,
    last_days,
    last_month,
    last_week,
    month,
    parse_period,
    weekly_moment,
    weekly_period,
)
from bot.domain.reminders import (
    Deadlines,
    EscalationRules,
    Level,
    NoticeKind,
    OpenEscalation,
    QuietHours,
    escalation_times,
    next_repeat,
    plan,
    reminder_schedule,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# Tết 2026 as decreed: Saturday 14/02 to Sunday 22/02 off.
CALENDAR = WorkingCalendar.build({date(2026, 2, 14) + timedelta(days=i): False for i in range(9)})
RULES = EscalationRules()
REPORT = Deadlines(created_at=datetime(2026, 2, 13, 16, 0, tzinfo=VN), due_at=datetime(2026, 2, 27, 17, 0, tzinfo=VN),
                   accept_due_at=datetime(2026, 2, 23, 10, 30, tzinfo=VN))


def at(day: int, month_: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month_, day, hour, minute, tzinfo=VN)


def test_the_reminders_of_a_report_submitted_before_tet() -> None:
    assert [(n.kind, n.at) for n in reminder_schedule(REPORT, CALENDAR)] == [
        (NoticeKind.ACCEPT_LATE, at(23, 2, 10, 30)),
        (NoticeKind.HALF, at(25, 2, 10, 45)),  # 1,155 of the 2,310 working minutes
        (NoticeKind.DAY_BEFORE, at(26, 2, 7, 30)),
        (NoticeKind.DUE_DAY, at(27, 2, 7, 30)),
        (NoticeKind.OVERDUE, at(27, 2, 17, 0)),
    ]
    assert escalation_times(REPORT.due_at, RULES, CALENDAR) == {
        Level.HEAD: at(27, 2, 17, 0), Level.PARENT: at(3, 3, 17, 0)}
    assert escalation_times(REPORT.due_at, EscalationRules(parent_delay_working_days=0), CALENDAR)[
        Level.PARENT] == at(27, 2, 17, 0)


def test_short_deadlines_drop_the_reminders_that_would_fall_outside_them() -> None:
    # A question at Monday 09:00 due by the end of Wednesday (1,260 working minutes): the day-before reminder
    # (Tuesday 07:30) falls before half time (Tuesday 14:00) and both stay; a step ending the next working
    # day has no day-before reminder at all (it would fall before the case came in).
    question = Deadlines(created_at=at(2, 3, 9), due_at=at(4, 3, 17))
    assert [(n.kind, n.at) for n in reminder_schedule(question, CALENDAR)] == [
        (NoticeKind.DAY_BEFORE, at(3, 3, 7, 30)), (NoticeKind.HALF, at(3, 3, 14, 0)),
        (NoticeKind.DUE_DAY, at(4, 3, 7, 30)), (NoticeKind.OVERDUE, at(4, 3, 17))]
    petition = Deadlines(created_at=at(2, 3, 9), due_at=at(3, 3, 17))
    assert [(n.kind, n.at) for n in reminder_schedule(petition, CALENDAR)] == [
        (NoticeKind.DUE_DAY, at(3, 3, 7, 30)), (NoticeKind.HALF, at(3, 3, 8, 15)), (NoticeKind.OVERDUE, at(3, 3, 17))]
    # An emergency counted in calendar hours: half time in real time, nothing on a day off.
    urgent = Deadlines(created_at=at(14, 3, 21), due_at=at(15, 3, 21), calendar_time=True)
    assert [(n.kind, n.at) for n in reminder_schedule(urgent, CALENDAR)] == [
        (NoticeKind.HALF, at(15, 3, 9)), (NoticeKind.OVERDUE, at(15, 3, 21))]


def test_a_late_sweep_sends_only_where_the_case_stands() -> None:
    accepted = Deadlines(REPORT.created_at, REPORT.due_at, REPORT.accept_due_at, accepted=True)
    decided = plan(accepted, at(26, 2, 11), CALENDAR, RULES)
    assert (decided.reminders, decided.escalate, decided.next_action_at) == (
        (NoticeKind.DAY_BEFORE,), (), at(27, 2, 7, 30))
    not_accepted = plan(REPORT, at(23, 2, 11), CALENDAR, RULES)
    assert (not_accepted.reminders, not_accepted.next_action_at) == ((NoticeKind.ACCEPT_LATE,), at(25, 2, 10, 45))
    breached = plan(accepted, at(27, 2, 17), CALENDAR, RULES)
    assert (breached.reminders, breached.escalate, breached.first_repeat, breached.next_action_at) == (
        (NoticeKind.OVERDUE,), (Level.HEAD,), {Level.HEAD: at(2, 3, 7, 30)}, at(2, 3, 7, 30))


def test_escalations_repeat_each_working_morning_until_acknowledged() -> None:
    accepted = Deadlines(REPORT.created_at, REPORT.due_at, accepted=True)
    waiting = [OpenEscalation(7, Level.HEAD, at(2, 3, 7, 30))]
    monday = plan(accepted, at(2, 3, 7, 30), CALENDAR, RULES, raised={Level.HEAD}, open_escalations=waiting)
    assert (monday.repeats, monday.repeat_after, monday.escalate) == ((7,), {7: at(3, 3, 7, 30)}, ())
    tuesday = plan(accepted, at(3, 3, 17), CALENDAR, RULES, raised={Level.HEAD},
                   open_escalations=[OpenEscalation(7, Level.HEAD, at(4, 3, 7, 30))])
    assert (tuesday.repeats, tuesday.escalate, tuesday.next_action_at) == ((), (Level.PARENT,), at(4, 3, 7, 30))
    done = plan(accepted, at(4, 3, 9), CALENDAR, RULES, raised={Level.HEAD, Level.PARENT})
    assert (done.reminders, done.escalate, done.repeats, done.next_action_at) == (
        (NoticeKind.OVERDUE,), (), (), None)
    assert next_repeat(at(27, 2, 17), EscalationRules(repeat_every_working_days=2), CALENDAR) == at(3, 3, 7, 30)


def test_an_escalation_raised_in_quiet_hours_repeats_a_working_day_after_it_is_seen() -> None:
    urgent = Deadlines(created_at=at(14, 3, 21), due_at=at(15, 3, 21), calendar_time=True, accepted=True)
    quiet = QuietHours()
    assert plan(urgent, at(15, 3, 21), CALENDAR, RULES).first_repeat == {Level.HEAD: at(16, 3, 7, 30)}
    assert plan(urgent, at(15, 3, 21), CALENDAR, RULES, quiet=quiet).first_repeat == {Level.HEAD: at(17, 3, 7, 30)}


@pytest.mark.parametrize(("moment", "allowed"), [
    (at(13, 2, 16), at(13, 2, 16)),  # a working Friday afternoon
    (at(13, 2, 20), at(23, 2, 7, 30)),  # 20:00 is closed; then Tết: the Monday after
    (at(23, 2, 7, 29), at(23, 2, 7, 30)),
    (at(14, 3, 21), at(16, 3, 7, 30)),  # Saturday night
])
def test_quiet_hours_hold_until_the_window_opens(moment: datetime, allowed: datetime) -> None:
    quiet = QuietHours.from_settings({"allowed": "07:30-20:00", "working_days_only": True})
    assert quiet.next_allowed(moment, CALENDAR) == allowed
    assert quiet.allows(moment, CALENDAR) is (moment == allowed)


def test_quiet_hours_on_every_day_when_the_organisation_says_so() -> None:
    every_day = QuietHours.from_settings({"allowed": "06:00-22:00", "working_days_only": False})
    assert (every_day.opens, every_day.closes) == (time(6), time(22))
    assert every_day.next_allowed(at(14, 3, 23), CALENDAR) == at(15, 3, 6)
    assert EscalationRules.from_settings({"parent_delay_working_days": 3, "repeat_every_working_days": 0}) == \
        EscalationRules(3, 1)


def test_reporting_periods() -> None:
    now = at(11, 3, 9, 15)  # a Wednesday
    assert parse_period("2026-W10", now, VN) == iso_week(2026, 10, VN)
    assert parse_period(" 2026w9 ", now, VN) == iso_week(2026, 9, VN)
    assert parse_period("2026-02", now, VN) == month(2026, 2, VN)
    assert parse_period("", now, VN) == last_days(now, VN)
    assert [parse_period(text, now, VN) for text in ("2026-W54", "2026-13", "tuần trước", "W10")] == [None] * 4
    week = iso_week(2026, 10, VN)
    assert (week.label, week.start, week.end, week.last_day) == ("2026-W10", at(2, 3, 0), at(9, 3, 0), date(2026, 3, 8))
    assert week.previous().label == "2026-W09"
    assert month(2026, 1, VN).previous() == month(2025, 12, VN)
    assert (last_week(now, VN).label, last_month(now, VN).label) == ("2026-W10", "2026-02")
    days = last_days(now, VN)
    assert (days.kind, days.start, days.end, days.previous().start) == (
        PeriodKind.DAYS, at(4, 3, 9, 15), now, at(25, 2, 9, 15))


def test_the_weekly_schedule_catches_up_on_the_latest_period() -> None:
    monday = time(7, 30)
    assert weekly_moment(at(9, 3, 7, 30), VN, "monday", monday) == at(9, 3, 7, 30)
    assert weekly_moment(at(9, 3, 7, 29), VN, "monday", monday) == at(2, 3, 7, 30)
    assert weekly_moment(at(13, 3, 16), VN, "monday", monday) == at(9, 3, 7, 30)
    assert weekly_period(at(9, 3, 7, 30)) == iso_week(2026, 10, VN)
    friday = weekly_period(weekly_moment(at(13, 3, 16), VN, "friday", time(15)))
    assert (friday.kind, friday.start, friday.end) == (PeriodKind.DAYS, at(6, 3, 0), at(13, 3, 0))


def test_rates_and_averages() -> None:
    figures = Figures(resolved=8, on_time=6, rated=6, satisfied=5, resolve_days=31, overdue_bands=(1, 1, 0, 1))
    assert (figures.on_time_rate, figures.satisfaction, figures.average_days, figures.overdue) == (
        0.75, 5 / 6, 3.875, 3)
    assert (Figures().on_time_rate, Figures().satisfaction, Figures().average_days) == (None, None, None)
