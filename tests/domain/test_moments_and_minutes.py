"""A date and time typed day first, and answers pasted as minutes: the office's typed input, read as people
write it."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.minutes import numbered_answers
from bot.domain.moments import parse_moment

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = date(2026, 12, 6)


@pytest.mark.parametrize(("typed", "moment"), [
    ("20/12/2026 08:00", datetime(2026, 12, 20, 8, 0, tzinfo=VN)),
    ("8h30 20/12/2026", datetime(2026, 12, 20, 8, 30, tzinfo=VN)),
    ("20-12 8h", datetime(2026, 12, 20, 8, 0, tzinfo=VN)),
    ("14:00 ngày 20/12", datetime(2026, 12, 20, 14, 0, tzinfo=VN)),
    ("8 giờ 15 ngày 3/1", datetime(2027, 1, 3, 8, 15, tzinfo=VN)),  # no year: the next 3 January
    ("lúc 9h ngày 6.12", datetime(2026, 12, 6, 9, 0, tzinfo=VN)),  # today counts
])
def test_a_day_and_a_time_are_read_day_first(typed: str, moment: datetime) -> None:
    assert parse_moment(typed, TODAY, VN) == moment


@pytest.mark.parametrize("typed", ["20/12/2026", "8:00", "31/2/2026 8:00", "20/12/2026 25:00", "sáng mai", ""])
def test_anything_else_is_not_guessed(typed: str) -> None:
    assert parse_moment(typed, TODAY, VN) is None


def test_answers_pasted_as_minutes() -> None:
    assert numbered_answers("#4: Đã sửa đèn.\n#12 - Tuần sau nạo vét.\nLịch cụ thể báo sau.\n\n#1) Có.") == [
        (4, "Đã sửa đèn."), (12, "Tuần sau nạo vét.\nLịch cụ thể báo sau."), (1, "Có.")]
    assert numbered_answers("Đã giao phòng quản lý đô thị #4: xử lý") == []  # an ordinary answer
    assert numbered_answers("#7:") == [(7, "")]  # a number without words: refused by the flow, not recorded
