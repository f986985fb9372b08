"""Deadline policies: choosing one, due dates in each time unit, pauses while waiting for the citizen."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.calendar import WorkingCalendar
from bot.domain.deadlines import (
    CASE_KINDS,
    DeadlinePolicy,
    Step,
    TimeUnit,
    due_at,
    due_dates,
    extend_for_pause,
    pick_policy,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DAYS_OFF_2026 = [
    *(date(2026, 2, d) for d in range(14, 23)),
    date(2026, 4, 27),
    date(2026, 4, 30),
    date(2026, 5, 1),
]

REPORT = DeadlinePolicy("report", None, Step(4, TimeUnit.WORKING_HOURS), Step(5, TimeUnit.WORKING_DAYS))
EMERGENCY = DeadlinePolicy(
    "report", "su_co", Step(2, TimeUnit.CALENDAR_HOURS), Step(24, TimeUnit.CALENDAR_HOURS)
)
COMPLAINT = DeadlinePolicy(
    "complaint", None, Step(10, TimeUnit.WORKING_DAYS), Step(40, TimeUnit.WORKING_DAYS)
)


@pytest.fixture
def cal() -> WorkingCalendar:
    return WorkingCalendar.build({d: False for d in DAYS_OFF_2026})


def test_the_six_kinds_of_case() -> None:
    assert CASE_KINDS == ("question", "report", "petition", "complaint", "denunciation", "suggestion")


def test_a_category_policy_beats_the_kind_default_in_any_order() -> None:
    assert pick_policy([REPORT, EMERGENCY], "report", "su_co") is EMERGENCY
    assert pick_policy([EMERGENCY, REPORT], "report", "su_co") is EMERGENCY
    assert pick_policy([EMERGENCY, REPORT], "report", "rac_thai") is REPORT
    assert pick_policy([EMERGENCY, REPORT], "report", None) is REPORT
    assert pick_policy([EMERGENCY, REPORT], "complaint", None) is None
    assert pick_policy([EMERGENCY], "report", "rac_thai") is None


def test_working_days_step_over_tet(cal: WorkingCalendar) -> None:
    start = datetime(2026, 2, 13, 16, 0, tzinfo=VN)
    assert due_at(start, Step(3, TimeUnit.WORKING_DAYS), cal) == datetime(2026, 2, 25, 17, 0, tzinfo=VN)


def test_working_hours_step_over_tet(cal: WorkingCalendar) -> None:
    start = datetime(2026, 2, 13, 16, 0, tzinfo=VN)
    assert due_at(start, Step(4, TimeUnit.WORKING_HOURS), cal) == datetime(2026, 2, 23, 10, 30, tzinfo=VN)


def test_calendar_steps_run_round_the_clock(cal: WorkingCalendar) -> None:
    start = datetime(2026, 2, 16, 21, 0, tzinfo=VN)  # a Tết evening: a fallen tree does not wait
    assert due_at(start, Step(2, TimeUnit.CALENDAR_HOURS), cal) == datetime(2026, 2, 16, 23, 0, tzinfo=VN)
    assert due_at(start, Step(24, TimeUnit.CALENDAR_HOURS), cal) == datetime(2026, 2, 17, 21, 0, tzinfo=VN)
    assert due_at(start, Step(3, TimeUnit.CALENDAR_DAYS), cal) == datetime(2026, 2, 19, 21, 0, tzinfo=VN)


def test_per_category_policy_gives_urgent_due_dates(cal: WorkingCalendar) -> None:
    start = datetime(2026, 3, 6, 16, 30, tzinfo=VN)  # Friday afternoon
    policy = pick_policy([REPORT, EMERGENCY], "report", "su_co")
    assert policy is not None
    dues = due_dates(start, policy, cal)
    assert dues.accept == datetime(2026, 3, 6, 18, 30, tzinfo=VN)
    assert dues.resolve == datetime(2026, 3, 7, 16, 30, tzinfo=VN)
    ordinary = due_dates(start, REPORT, cal)
    assert ordinary.accept == datetime(2026, 3, 9, 11, 0, tzinfo=VN)  # 30 min Friday + 3h30 Monday
    assert ordinary.resolve == datetime(2026, 3, 13, 17, 0, tzinfo=VN)


def test_complaint_steps_count_from_receipt_past_hung_kings_day(cal: WorkingCalendar) -> None:
    dues = due_dates(datetime(2026, 3, 2, 9, 0, tzinfo=VN), COMPLAINT, cal)
    assert dues.accept == datetime(2026, 3, 16, 17, 0, tzinfo=VN)
    assert dues.resolve == datetime(2026, 4, 28, 17, 0, tzinfo=VN)  # Monday 27/04 is off


def test_a_pause_pushes_the_due_date_by_its_working_minutes(cal: WorkingCalendar) -> None:
    due = datetime(2026, 3, 4, 17, 0, tzinfo=VN)
    # Waiting for the citizen from Monday 16:00 to Tuesday 09:00: 60 + 90 = 150 working minutes.
    paused_from, paused_to = datetime(2026, 3, 2, 16, 0, tzinfo=VN), datetime(2026, 3, 3, 9, 0, tzinfo=VN)
    assert extend_for_pause(due, paused_from, paused_to, cal) == datetime(2026, 3, 5, 10, 0, tzinfo=VN)


def test_a_pause_over_a_weekend_changes_nothing(cal: WorkingCalendar) -> None:
    due = datetime(2026, 3, 4, 17, 0, tzinfo=VN)
    paused_from, paused_to = datetime(2026, 3, 7, 9, 0, tzinfo=VN), datetime(2026, 3, 8, 20, 0, tzinfo=VN)
    assert extend_for_pause(due, paused_from, paused_to, cal) == datetime(2026, 3, 4, 17, 0, tzinfo=VN)


def test_a_pause_over_tet_counts_only_the_office_minutes(cal: WorkingCalendar) -> None:
    due = datetime(2026, 2, 25, 17, 0, tzinfo=VN)
    paused_from, paused_to = datetime(2026, 2, 13, 16, 30, tzinfo=VN), datetime(2026, 2, 23, 8, 0, tzinfo=VN)
    assert extend_for_pause(due, paused_from, paused_to, cal) == datetime(2026, 2, 26, 8, 30, tzinfo=VN)


def test_steps_validate_themselves() -> None:
    assert Step(4, "working_hours").unit is TimeUnit.WORKING_HOURS  # type: ignore[arg-type]
    assert str(Step(3, TimeUnit.WORKING_DAYS)) == "3 working_days"
    with pytest.raises(ValueError):
        Step(-1, TimeUnit.WORKING_DAYS)
    with pytest.raises(ValueError):
        Step(1, "fortnights")  # type: ignore[arg-type]
