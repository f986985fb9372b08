"""Heads and leaders on Telegram, end to end through the local Bot API server: «Đã nắm» and /digest."""

from __future__ import annotations

from sqlalchemy import select

from bot.clock import FakeClock
from bot.services.sweep import run_sweep
from storage.models import Escalation
from tests.deadlines.support import link, local, submit, vn
from tests.deadlines.test_digest import bar_heights, seed
from tests.support.harness import fake_telegram, running_bot

HEAD, LEADER = 6001, 6002
REPORT = ("Báo cáo quá hạn số 1: hồ sơ PA-2026-000001 (Phản ánh, Ngập úng, thoát nước) của UBND phường Sao Đỏ đã "
          "quá hạn trả lời (hạn trước 17:00 thứ Sáu, 27/02/2026). Người xử lý: chưa có người nhận.\n"
          "Đề nghị đồng chí đôn đốc và xác nhận đã nắm: bấm nút «Đã nắm» hoặc gõ /ack 1.")


async def test_the_head_acknowledges_with_the_button_and_nobody_else_can(db_url: str) -> None:
    clock = FakeClock(vn(2026, 2, 13, 16, 0))
    async with fake_telegram() as tg, running_bot(db_url, tg, clock=clock) as bot:
        head = await link(bot.db, "SAODO_HEAD", HEAD)
        await link(bot.db, "UBND_LEADER", LEADER)
        await submit(bot.db, clock)
        await tg.wait_for(HEAD, 1)  # the new case's card to the ward's desk
        clock.set(vn(2026, 2, 27, 17, 0))
        await run_sweep(bot.db, clock, org=bot.org, wake=bot.sender.wake)
        texts = await tg.wait_for(HEAD, 2)
        assert texts[1] == REPORT  # nobody at the desk is linked: only the head hears, at the due moment
        assert tg.last_buttons(HEAD) == [("Đã nắm PA-2026-000001", "ack:1")]

        tg.presses(LEADER, "ack:1")  # a forged press: the report was not sent to the leader
        assert (await tg.wait_for(LEADER, 1))[0] == (
            "Báo cáo số 1 không gửi cho đồng chí nên đồng chí không thể xác nhận thay.")

        clock.set(vn(2026, 3, 2, 7, 45))
        tg.presses(HEAD, "ack:1")
        assert (await tg.wait_for(HEAD, 3))[2] == (
            "Đã ghi nhận: đồng chí đã nắm việc hồ sơ PA-2026-000001 quá hạn. Hệ thống thôi nhắc lại báo cáo này.")
        tg.presses(HEAD, "ack:1")
        assert (await tg.wait_for(HEAD, 4))[3] == (
            "Đồng chí đã xác nhận nắm việc hồ sơ PA-2026-000001 lúc 07:45 02/03/2026.")

        async with bot.db.unit_of_work(readonly=True) as uow:
            escalation = (await uow.session.execute(select(Escalation))).scalar_one()
        assert (escalation.official_id, local(escalation.acknowledged_at), escalation.next_repeat_at) == (
            head, "Mon 02/03/2026 07:45", None)


async def test_a_typed_number_or_the_words_acknowledge_where_there_are_no_buttons(db_url: str) -> None:
    clock = FakeClock(vn(2026, 2, 13, 16, 0))
    async with fake_telegram() as tg, running_bot(db_url, tg, clock=clock) as bot:
        await link(bot.db, "SAODO_HEAD", HEAD)
        await submit(bot.db, clock)
        await submit(bot.db, clock, text="Cống thoát nước trước chợ Sao Đỏ bị tắc, nước tràn lên đường.")
        await tg.wait_for(HEAD, 2)
        clock.set(vn(2026, 2, 27, 17, 0))
        await run_sweep(bot.db, clock, org=bot.org, wake=bot.sender.wake)
        texts = await tg.wait_for(HEAD, 4)
        assert [t[:30] for t in texts[2:4]] == ["Báo cáo quá hạn số 1: hồ sơ PA", "Báo cáo quá hạn số 2: hồ sơ PA"]
        # "1" answers the numbered choice of the last report received (report 2), as on Zalo.
        tg.says(HEAD, "1")
        assert (await tg.wait_for(HEAD, 5))[4].startswith("Đã ghi nhận: đồng chí đã nắm việc hồ sơ PA-2026-000002")
        # Typed without diacritics: the one report still waiting.
        tg.says(HEAD, "da nam")
        assert (await tg.wait_for(HEAD, 6))[5].startswith("Đã ghi nhận: đồng chí đã nắm việc hồ sơ PA-2026-000001")
        tg.says(HEAD, "/ack")
        assert (await tg.wait_for(HEAD, 7))[6] == "Không có báo cáo quá hạn nào chờ đồng chí xác nhận."


async def test_several_reports_waiting_are_offered_as_a_list(db_url: str) -> None:
    clock = FakeClock(vn(2026, 2, 13, 16, 0))
    async with fake_telegram() as tg, running_bot(db_url, tg, clock=clock) as bot:
        await link(bot.db, "SAODO_HEAD", HEAD)
        await submit(bot.db, clock)
        await submit(bot.db, clock, text="Cống thoát nước trước chợ Sao Đỏ bị tắc, nước tràn lên đường.")
        await tg.wait_for(HEAD, 2)
        clock.set(vn(2026, 2, 27, 17, 0))
        await run_sweep(bot.db, clock, org=bot.org, wake=bot.sender.wake)
        await tg.wait_for(HEAD, 4)
        tg.says(HEAD, "/ack")
        texts = await tg.wait_for(HEAD, 5)
        assert texts[4] == "Có 2 báo cáo quá hạn chờ đồng chí xác nhận. Chọn báo cáo đồng chí đã nắm:"
        assert tg.last_buttons(HEAD) == [("Đã nắm PA-2026-000001", "ack:1"), ("Đã nắm PA-2026-000002", "ack:2")]
        tg.says(HEAD, "2")
        assert (await tg.wait_for(HEAD, 6))[5].startswith("Đã ghi nhận: đồng chí đã nắm việc hồ sơ PA-2026-000002")


async def test_a_head_asks_for_a_digest_and_gets_the_chart(db_url: str) -> None:
    clock = FakeClock(vn(2026, 3, 10, 9, 0))
    async with fake_telegram() as tg, running_bot(db_url, tg, clock=clock) as bot:
        await seed(bot.db)
        await link(bot.db, "UBND_LEADER", LEADER)
        await link(bot.db, "SAODO_OFF1", 6003)
        tg.says(6003, "/digest")  # an officer: digests are for leaders and heads
        assert (await tg.wait_for(6003, 1))[0] == (
            "Báo cáo định kỳ chỉ dành cho lãnh đạo và trưởng các đơn vị đã liên kết tài khoản.")

        tg.says(LEADER, "/digest")
        texts = await tg.wait_for(LEADER, 1)
        assert texts[0].startswith("Đồng chí muốn xem báo cáo kỳ nào?")
        assert tg.last_buttons(LEADER) == [
            ("7 ngày qua", "days"), ("Tuần trước (2026-W10)", "week"), ("Tháng trước (2026-02)", "month")]
        tg.says(LEADER, "tuan 10")
        texts = await tg.wait_for(LEADER, 2)
        assert texts[1].startswith("Không đọc được kỳ báo cáo «tuan 10». Gõ theo mẫu 2026-W09")
        tg.says(LEADER, "2")  # last week, by its number
        texts = await tg.wait_for(LEADER, 3)
        assert texts[2].startswith("BÁO CÁO TIẾP NHẬN, TRẢ LỜI PHẢN ÁNH, KIẾN NGHỊ: UBND thành phố Chí Linh, tuần "
                                   "2026-W10 (02/03 - 08/03/2026)")
        assert "Trả lời đúng hạn: 21, tỷ lệ 84% (70%)" in texts[2]
        photos = [m for m in tg.sent if m["chat_id"] == LEADER and m["method"] == "sendPhoto"]
        assert len(photos) == 1 and bar_heights(photos[0]["photo"]) == [200, 175, 167, 143]
        # One photo, the digest's headline as its caption.
        assert photos[0]["caption"] == texts[2].split("\n", 1)[0]

        tg.says(LEADER, "/digest 2026-W09")
        texts = await tg.wait_for(LEADER, 4)
        assert "Trả lời đúng hạn: 7, tỷ lệ 70% (chưa có)" in texts[3]
