"""The pure rules of leaders' work: milestones read from chat, the 5 rõ check, codes, where a task stands."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.work import (
    MilestoneLine,
    Missing,
    Standing,
    day_text,
    is_measurable,
    missing,
    parse_milestone,
    standing,
    task_code,
)


@pytest.mark.parametrize(("typed", "expected"), [
    ("30/06/2026 Hoàn thành khảo sát", MilestoneLine(date(2026, 6, 30), "Hoàn thành khảo sát")),
    ("30/6 Khảo sát", MilestoneLine(date(2026, 6, 30), "Khảo sát")),
    ("1-9-2026: Nghiệm thu", MilestoneLine(date(2026, 9, 1), "Nghiệm thu")),
    ("31.12.2026 - Đạt 80%", MilestoneLine(date(2026, 12, 31), "Đạt 80%")),
    ("31/02/2026 Ngày không có", None),
    ("30/06/2026", None),
    ("30/06/2026 ab", None),
    ("Khảo sát 30/06/2026", None),
    ("", None),
])
def test_a_milestone_is_a_date_then_what_is_done(typed: str, expected: MilestoneLine | None) -> None:
    assert parse_milestone(typed, 2026) == expected


def test_a_measurable_result_names_a_figure() -> None:
    assert is_measurable("Giảm 30% điểm ngập")
    assert is_measurable("Trồng 1000 cây")
    assert not is_measurable("Làm tốt hơn công tác thoát nước")
    assert not is_measurable("")
    assert not is_measurable(None)


def test_the_five_clear_check_names_each_gap() -> None:
    line = [MilestoneLine(date(2026, 6, 30), "Khảo sát")]
    assert missing("P_SAODO", "Giảm 30%", line) == []
    assert missing("", "Giảm 30%", line) == [Missing.PERSON]
    assert missing("P_SAODO", "Tốt hơn", line) == [Missing.RESULT]
    assert missing("", "Tốt hơn", []) == [Missing.PERSON, Missing.RESULT, Missing.MILESTONES]


def test_where_a_task_stands() -> None:
    today = date(2026, 7, 1)
    assert standing("approved", [(date(2026, 6, 30), True), (date(2026, 9, 30), False)], today) is Standing.ON_TRACK
    assert standing("approved", [(date(2026, 6, 30), False)], today) is Standing.LATE
    assert standing("approved", [(date(2026, 7, 1), False)], today) is Standing.ON_TRACK  # due today: not late
    assert standing("done", [(date(2026, 6, 30), False)], today) is Standing.DONE
    assert standing("not_done", [], today) is Standing.NOT_DONE


def test_codes_and_dates() -> None:
    assert task_code(2026, 12) == "DP-2026-0012"
    assert day_text(date(2026, 3, 5)) == "05/03/2026"
