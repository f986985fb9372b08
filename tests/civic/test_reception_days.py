"""The legal reception schedule for a month with Tết (February 2026: days off 14-22/02): the dates, planned from
the organisation file once, shown by /reception, reminded to the area's followers the day before."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from bot.domain.reception import ReceptionRule, reception_days
from bot.services.dialogues import remind_dialogues
from bot.services.receptions import plan_receptions
from storage.models import DialogueSession, OutboxItem
from tests.flows.chat_driver import VN, make_bot, texts

TET = {date(2026, 2, d) for d in range(14, 23)}


def working(day: date) -> bool:
    return day.weekday() < 5 and day not in TET


def test_a_ward_meets_every_thursday_and_tet_moves_or_skips_it() -> None:
    ward = ReceptionRule("P_SAODO", "weekly", weekday="thursday")
    # Thursday 19/02 is in Tết and so is the rest of that week: skipped. The other Thursdays stand.
    assert reception_days(ward, date(2026, 2, 1), date(2026, 2, 28), working) == [
        date(2026, 2, 5), date(2026, 2, 12), date(2026, 2, 26)]
    monday = ReceptionRule("P_SAODO", "weekly", weekday="monday")
    # Monday 16/02 is in Tết; the week has no working day left: skipped.
    assert reception_days(monday, date(2026, 2, 1), date(2026, 3, 1), working) == [
        date(2026, 2, 2), date(2026, 2, 9), date(2026, 2, 23)]


def test_a_city_meets_twice_a_month_moved_past_tet() -> None:
    city = ReceptionRule("UBND", "monthly", days=(5, 15))
    # 15/02 falls in Tết: moved to the next working day of the month, Monday 23/02.
    assert reception_days(city, date(2026, 2, 1), date(2026, 3, 31), working) == [
        date(2026, 2, 5), date(2026, 2, 23), date(2026, 3, 5), date(2026, 3, 16)]
    assert city.per_month_at_least() == 2


async def test_the_schedule_is_planned_from_the_org_file_seen_and_reminded(database) -> None:
    """February 2026 with the real calendar (Tết 14-22/02): planned once, /reception shows the next ones, the
    ward's followers are reminded the day before."""
    bot = make_bot(database, datetime(2026, 2, 1, 9, 0, tzinfo=VN).astimezone(UTC))
    assert await plan_receptions(database, bot.clock, bot.app.org, VN) > 0
    assert await plan_receptions(database, bot.clock, bot.app.org, VN) == 0  # planned once
    async with database.unit_of_work(readonly=True) as uow:
        rows = list((await uow.session.execute(select(DialogueSession).order_by(DialogueSession.starts_at))).scalars())
    february = sorted((r.starts_at, r.series_key, r.starts_at.astimezone(VN).strftime("%d/%m %H:%M")) for r in rows
                      if r.starts_at.astimezone(VN).month == 2)
    assert [(key, at) for _, key, at in february] == [
        ("reception:P_SAODO:2026-02-05", "05/02 07:30"), ("reception:UBND:2026-02-05", "05/02 07:30"),
        ("reception:P_SAODO:2026-02-12", "12/02 07:30"), ("reception:UBND:2026-02-23", "23/02 07:30"),
        ("reception:P_SAODO:2026-02-26", "26/02 07:30")]

    me = bot.chat(8801)
    await me.consents()
    await me.says("/follow")
    await me.presses("area:SAODO")
    await me.presses("ward")
    await me.presses("all")
    bot.clock.set(datetime(2026, 2, 13, 9, 0, tzinfo=VN).astimezone(UTC))
    assert texts(await me.says("/reception", after=0)) == [
        "Lịch tiếp công dân sắp tới:\n"
        "- UBND thành phố Chí Linh: 07:30 23/02/2026, 07:30-11:30, Trụ sở Tiếp công dân thành phố, phường Sao Đỏ "
        "(tiếp: Nguyễn Văn Thành)\n"
        "- UBND phường Sao Đỏ: 07:30 26/02/2026, 07:30-11:30, Trụ sở UBND phường Sao Đỏ (tiếp: Nguyễn Văn Hùng)\n"
        "Bạn theo dõi khu vực (/follow) sẽ được nhắc trước một ngày."]

    bot.clock.set(datetime(2026, 2, 25, 9, 0, tzinfo=VN).astimezone(UTC))
    assert await remind_dialogues(database, bot.clock, VN, bot.app.org) == 1
    bot.clock.advance(hours=1)
    assert await remind_dialogues(database, bot.clock, VN, bot.app.org) == 0
    async with database.unit_of_work(readonly=True) as uow:
        reminded = list((await uow.session.execute(select(OutboxItem).where(
            OutboxItem.dedup_key.like("dlg-rem:%")))).scalars())
    assert [r.chat_id for r in reminded] == ["8801"]
    assert reminded[0].payload["text"].startswith("Nhắc lịch: ngày mai có buổi đối thoại «Tiếp công dân định kỳ» lúc "
                                                  "07:30 26/02/2026")
