"""Working-day calendar: Tết 2026, 30/4-1/5, 2/9, office hours across lunch and days, starts off hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.calendar import OfficeHours, WorkingCalendar

VN = ZoneInfo("Asia/Ho_Chi_Minh")

# The 2026 days off for civil servants written out by hand (not taken from the code under test).
DAYS_OFF_2026 = [
    date(2026, 1, 1),
    date(2026, 1, 2),
    *(date(2026, 2, d) for d in range(14, 23)),  # Tết: Saturday 14/02 to Sunday 22/02
    date(2026, 4, 27),
    date(2026, 4, 30),
    date(2026, 5, 1),
    date(2026, 8, 31),
    date(2026, 9, 1),
    date(2026, 9, 2),
]
SWAPPED_WORKING_2026 = [date(2026, 1, 10), date(2026, 8, 22)]


@pytest.fixture
def cal() -> WorkingCalendar:
    days = {d: False for d in DAYS_OFF_2026} | {d: True for d in SWAPPED_WORKING_2026}
    return WorkingCalendar.build(days)


# --- days -----------------------------------------------------------------------------------------------


def test_days_in_the_mapping_and_the_weekday_fallback(cal: WorkingCalendar) -> None:
    assert cal.is_working_day(date(2026, 2, 16)) is False  # Tết
    assert cal.is_working_day(date(2026, 2, 23)) is True
    assert cal.is_working_day(date(2026, 1, 10)) is True  # a Saturday worked in exchange for 02/01
    assert cal.is_working_day(date(2030, 1, 5)) is False  # outside the mapping: Saturday
    assert cal.is_working_day(date(2030, 1, 7)) is True  # outside the mapping: Monday


def test_next_working_day_skips_tet(cal: WorkingCalendar) -> None:
    assert cal.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)
    assert cal.next_working_day(date(2026, 2, 23)) == date(2026, 2, 24)


def test_end_of_day_is_the_close_of_office_hours(cal: WorkingCalendar) -> None:
    assert cal.end_of_day(date(2026, 3, 2)) == datetime(2026, 3, 2, 17, 0, tzinfo=VN)


def test_working_days_between_matches_an_ordinal_difference(cal: WorkingCalendar) -> None:
    assert cal.working_days_between(date(2026, 2, 13), date(2026, 2, 25)) == 3
    assert cal.working_days_between(date(2026, 2, 25), date(2026, 2, 13)) == -3
    assert cal.working_days_between(date(2026, 3, 2), date(2026, 3, 2)) == 0


# --- add_working_days -----------------------------------------------------------------------------------


def test_three_working_days_after_the_friday_before_tet(cal: WorkingCalendar) -> None:
    start = datetime(2026, 2, 13, 16, 0, tzinfo=VN)
    assert cal.add_working_days(start, 3) == datetime(2026, 2, 25, 17, 0, tzinfo=VN)


def test_any_aware_input_gives_local_output(cal: WorkingCalendar) -> None:
    start = datetime(2026, 2, 13, 9, 0, tzinfo=UTC)  # 16:00 in Hà Nội
    due = cal.add_working_days(start, 3)
    assert due == datetime(2026, 2, 25, 17, 0, tzinfo=VN)
    assert due.utcoffset() == timedelta(hours=7)


def test_the_local_day_counts_not_the_utc_day(cal: WorkingCalendar) -> None:
    # 18:30 UTC on Thursday 12/02 is already 01:30 on Friday 13/02 in Hà Nội.
    start = datetime(2026, 2, 12, 18, 30, tzinfo=UTC)
    assert cal.add_working_days(start, 1) == datetime(2026, 2, 23, 17, 0, tzinfo=VN)


def test_a_start_on_a_holiday_or_in_the_evening(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(datetime(2026, 2, 17, 10, 0, tzinfo=VN), 1) == datetime(
        2026, 2, 23, 17, 0, tzinfo=VN
    )
    assert cal.add_working_days(datetime(2026, 3, 2, 22, 45, tzinfo=VN), 1) == datetime(
        2026, 3, 3, 17, 0, tzinfo=VN
    )


def test_zero_days_means_the_end_of_today_or_of_the_next_working_day(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(datetime(2026, 3, 2, 9, 0, tzinfo=VN), 0) == datetime(
        2026, 3, 2, 17, 0, tzinfo=VN
    )
    assert cal.add_working_days(datetime(2026, 2, 21, 9, 0, tzinfo=VN), 0) == datetime(
        2026, 2, 23, 17, 0, tzinfo=VN
    )


def test_reunification_and_labour_day_2026(cal: WorkingCalendar) -> None:
    # Thursday 30/04 and Friday 01/05 off, then the weekend.
    start = datetime(2026, 4, 29, 10, 0, tzinfo=VN)
    assert cal.add_working_days(start, 1) == datetime(2026, 5, 4, 17, 0, tzinfo=VN)


def test_national_day_2026_with_its_swapped_saturday(cal: WorkingCalendar) -> None:
    # Monday 31/08 (swapped with Saturday 22/08), Tuesday 01/09 and Wednesday 02/09 off.
    assert cal.add_working_days(datetime(2026, 8, 28, 9, 0, tzinfo=VN), 1) == datetime(
        2026, 9, 3, 17, 0, tzinfo=VN
    )
    assert cal.add_working_days(datetime(2026, 8, 21, 9, 0, tzinfo=VN), 1) == datetime(
        2026, 8, 22, 17, 0, tzinfo=VN
    )


def test_new_year_2026_four_days_off(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(datetime(2025, 12, 31, 9, 0, tzinfo=VN), 1) == datetime(
        2026, 1, 5, 17, 0, tzinfo=VN
    )


def test_negative_days_are_refused(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError):
        cal.add_working_days(datetime(2026, 3, 2, 9, 0, tzinfo=VN), -1)


# --- working minutes --------------------------------------------------------------------------------------


def test_minutes_within_a_morning(cal: WorkingCalendar) -> None:
    assert cal.add_working_minutes(datetime(2026, 3, 2, 8, 0, tzinfo=VN), 90) == datetime(
        2026, 3, 2, 9, 30, tzinfo=VN
    )


def test_minutes_across_lunch(cal: WorkingCalendar) -> None:
    assert cal.add_working_minutes(datetime(2026, 3, 2, 11, 0, tzinfo=VN), 60) == datetime(
        2026, 3, 2, 14, 0, tzinfo=VN
    )


def test_ending_exactly_at_the_lunch_break_stays_before_it(cal: WorkingCalendar) -> None:
    assert cal.add_working_minutes(datetime(2026, 3, 2, 10, 30, tzinfo=VN), 60) == datetime(
        2026, 3, 2, 11, 30, tzinfo=VN
    )


def test_minutes_across_days(cal: WorkingCalendar) -> None:
    assert cal.add_working_minutes(datetime(2026, 3, 2, 16, 0, tzinfo=VN), 240) == datetime(
        2026, 3, 3, 10, 30, tzinfo=VN
    )


def test_four_working_hours_from_friday_afternoon_before_tet(cal: WorkingCalendar) -> None:
    assert cal.add_working_minutes(datetime(2026, 2, 13, 16, 0, tzinfo=VN), 240) == datetime(
        2026, 2, 23, 10, 30, tzinfo=VN
    )


def test_a_start_outside_office_hours_begins_at_the_next_period(cal: WorkingCalendar) -> None:
    assert cal.add_working_minutes(datetime(2026, 3, 2, 6, 0, tzinfo=VN), 60) == datetime(
        2026, 3, 2, 8, 30, tzinfo=VN
    )
    assert cal.add_working_minutes(datetime(2026, 3, 2, 12, 0, tzinfo=VN), 30) == datetime(
        2026, 3, 2, 14, 0, tzinfo=VN
    )
    assert cal.add_working_minutes(datetime(2026, 3, 2, 18, 0, tzinfo=VN), 30) == datetime(
        2026, 3, 3, 8, 0, tzinfo=VN
    )
    # Saturday evening before a normal week.
    assert cal.add_working_minutes(datetime(2026, 3, 7, 20, 0, tzinfo=VN), 30) == datetime(
        2026, 3, 9, 8, 0, tzinfo=VN
    )


def test_working_minutes_between(cal: WorkingCalendar) -> None:
    assert (
        cal.working_minutes_between(
            datetime(2026, 3, 2, 7, 0, tzinfo=VN), datetime(2026, 3, 2, 18, 0, tzinfo=VN)
        )
        == 450
    )
    # 30 (Mon morning) + 210 (Mon afternoon) + 30 (Tue morning)
    assert (
        cal.working_minutes_between(
            datetime(2026, 3, 2, 11, 0, tzinfo=VN), datetime(2026, 3, 3, 8, 0, tzinfo=VN)
        )
        == 270
    )
    # Across Tết: 30 minutes on Friday 13/02, 30 on Monday 23/02.
    assert (
        cal.working_minutes_between(
            datetime(2026, 2, 13, 16, 30, tzinfo=VN), datetime(2026, 2, 23, 8, 0, tzinfo=VN)
        )
        == 60
    )
    assert (
        cal.working_minutes_between(
            datetime(2026, 3, 3, 9, 0, tzinfo=VN), datetime(2026, 3, 2, 9, 0, tzinfo=VN)
        )
        == 0
    )


def test_naive_datetimes_are_refused(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="naive"):
        cal.add_working_days(datetime(2026, 3, 2, 9, 0), 1)


def test_office_hours() -> None:
    assert OfficeHours().minutes_per_day == 450
    custom = OfficeHours(((time(8, 0), time(12, 0)), (time(13, 0), time(17, 0))))
    cal = WorkingCalendar.build({}, custom)
    assert cal.end_of_day(date(2026, 3, 2)) == datetime(2026, 3, 2, 17, 0, tzinfo=VN)
    assert cal.add_working_minutes(datetime(2026, 3, 2, 11, 30, tzinfo=VN), 60) == datetime(
        2026, 3, 2, 13, 30, tzinfo=VN
    )
    with pytest.raises(ValueError):
        OfficeHours(((time(13, 0), time(17, 0)), (time(8, 0), time(12, 0))))
    with pytest.raises(ValueError):
        OfficeHours(((time(17, 0), time(8, 0)),))
