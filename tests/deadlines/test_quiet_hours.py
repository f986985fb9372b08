"""Quiet hours hold notices to officials (unless they opted out), and many notices at once become one."""

from __future__ import annotations

from sqlalchemy import select

from bot.clock import FakeClock
from bot.services.org_view import OrgCache
from bot.services.sweep import run_sweep
from storage.models import OutboxItem
from storage.uow import Database
from tests.deadlines.support import link, local, outbox, submit, vn

OFF1, OFF2, HEAD = "2001", "2002", "2003"
URGENT = "hồ sơ PA-2026-000001 (Phản ánh, Sự cố khẩn cấp: cây đổ, dây điện đứt, hố sụt)"
MONDAY = "Mon 16/03/2026 07:30"


async def test_notices_wait_for_the_window_unless_the_official_opted_out(database: Database) -> None:
    # An emergency (a fallen tree) reported on Saturday 14/03/2026 at 21:00: 2 calendar hours to accept,
    # 24 to resolve. QLDT_OFF1 asked to be told at any hour; the others keep the quiet hours (07:30-20:00 on
    # working days), so what concerns them waits for Monday 07:30.
    clock = FakeClock(vn(2026, 3, 14, 21, 0))
    await link(database, "QLDT_OFF1", int(OFF1), opt_out=True)
    await link(database, "QLDT_OFF2", int(OFF2))
    await link(database, "QLDT_HEAD", int(HEAD))
    receipt = await submit(database, clock, category="su_co", text="Cây đổ chắn ngang đường Nguyễn Trãi.")
    assert (receipt.unit.code, local(receipt.due_at)) == ("QLDT", "Sun 15/03/2026 21:00")

    org = OrgCache()
    statuses_at_night = []
    while clock.now() <= vn(2026, 3, 16, 9, 0):
        await run_sweep(database, clock, org=org)
        if clock.now() == vn(2026, 3, 15, 22, 0):
            statuses_at_night = [(s.chat, s.status, s.release) for s in await outbox(database)]
        clock.advance(minutes=15)

    late_to_accept = (f"Chưa tiếp nhận: {URGENT} gửi Phòng Quản lý đô thị chưa có ai nhận xử lý dù đã quá hạn tiếp "
                      "nhận (trước 23:00 thứ Bảy, 14/03/2026). Đề nghị phân công ngay.")
    half = (f"Nhắc hạn: {URGENT} đã dùng hết một nửa thời gian giải quyết. Hạn trả lời: trước 21:00 Chủ nhật, "
            "15/03/2026. Người xử lý: chưa có người nhận.")
    overdue = (f"Quá hạn: {URGENT} đã quá hạn trả lời (hạn trước 21:00 Chủ nhật, 15/03/2026). Lãnh đạo đơn vị đã "
               "được báo cáo. Người xử lý: chưa có người nhận.")
    report = (f"Báo cáo quá hạn số 1: {URGENT} của Phòng Quản lý đô thị đã quá hạn trả lời (hạn trước 21:00 Chủ "
              "nhật, 15/03/2026). Người xử lý: chưa có người nhận.")
    # Saturday night and Sunday: only the official who opted out is messaged; the rest is held.
    assert statuses_at_night == [
        (HEAD, "held", MONDAY), (OFF1, "pending", "Sat 14/03/2026 23:00"), (OFF2, "held", MONDAY),
        (OFF1, "pending", "Sun 15/03/2026 09:00"), (OFF2, "held", MONDAY),
        (OFF1, "pending", "Sun 15/03/2026 21:00"), (OFF2, "held", MONDAY), (HEAD, "held", MONDAY),
    ]
    # Monday 07:30 the sweep released them; at 08:00 the head got the day's overdue list.
    assert [(s.written, s.chat, s.status, s.release, s.first_line) for s in await outbox(database)] == [
        ("Sat 14/03/2026 23:00", HEAD, "pending", MONDAY, late_to_accept),
        ("Sat 14/03/2026 23:00", OFF1, "pending", "Sat 14/03/2026 23:00", late_to_accept),
        ("Sat 14/03/2026 23:00", OFF2, "pending", MONDAY, late_to_accept),
        ("Sun 15/03/2026 09:00", OFF1, "pending", "Sun 15/03/2026 09:00", half),
        ("Sun 15/03/2026 09:00", OFF2, "pending", MONDAY, half),
        ("Sun 15/03/2026 21:00", OFF1, "pending", "Sun 15/03/2026 21:00", overdue),
        ("Sun 15/03/2026 21:00", OFF2, "pending", MONDAY, overdue),
        ("Sun 15/03/2026 21:00", HEAD, "pending", MONDAY, report),
        # The head sees the report first on Monday 07:30, so its first repeat is Tuesday's, not Monday's.
        ("Mon 16/03/2026 08:00", HEAD, "pending", "Mon 16/03/2026 08:00",
         "Hồ sơ quá hạn của Phòng Quản lý đô thị và các đơn vị trực thuộc, ngày 16/03/2026: 1 hồ sơ."),
    ]


async def test_more_than_five_notices_to_one_chat_become_one_message(database: Database) -> None:
    clock = FakeClock(vn(2026, 3, 13, 9, 0))  # Friday morning
    await link(database, "SAODO_OFF1", 3001)
    await link(database, "PHALAI_OFF1", 3002)
    for n in range(6):
        await submit(database, clock, area="SAODO", text=f"Cống số {n + 1} trên đường Nguyễn Trãi bị tắc.")
    for n in range(5):
        await submit(database, clock, area="PHALAI", text=f"Cống số {n + 1} trên đường Trần Hưng Đạo bị tắc.")
    # Four working hours later (09:00-11:30, then 13:30-15:00) none of the eleven has been accepted.
    clock.set(vn(2026, 3, 13, 15, 0))
    report = await run_sweep(database, clock)
    assert (report.cases, report.reminders) == (11, 11)
    sent = await outbox(database)
    assert [(s.chat, s.first_line) for s in sent if s.chat == "3001"] == [
        ("3001", "Đồng chí có 6 thông báo về hạn giải quyết hồ sơ:"),
    ]
    async with database.unit_of_work(readonly=True) as uow:
        bundle = (await uow.session.execute(
            select(OutboxItem.payload).where(OutboxItem.chat_id == "3001", OutboxItem.purpose == "deadline")
        )).scalar_one()
    assert bundle["text"].split("\n")[1:] == [
        f"- Chưa tiếp nhận: hồ sơ PA-2026-00000{n} (Phản ánh, Ngập úng, thoát nước) gửi UBND phường Sao Đỏ chưa "
        "có ai nhận xử lý dù đã quá hạn tiếp nhận (trước 15:00 thứ Sáu, 13/03/2026). Đề nghị phân công ngay."
        for n in range(1, 7)
    ]
    # Five is not more than five: the other ward's officer gets them one by one.
    assert [s.first_line[:36] for s in sent if s.chat == "3002"] == [
        f"Chưa tiếp nhận: hồ sơ PA-2026-0000{n:02d}" for n in range(7, 12)
    ]
    assert (await run_sweep(database, clock)).messages == 0
