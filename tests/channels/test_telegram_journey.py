"""A citizen on Telegram, end to end through a local Bot API server: start, consent, report, /my."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.clock import FakeClock
from storage.models import Area, Case, CaseEvent, Category, Consent, Unit
from tests.support.harness import fake_telegram, running_bot

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CHAT = 424242


async def test_citizen_reports_and_lists_on_telegram(db_url: str) -> None:
    # Friday 13/02/2026 16:00 in Hanoi time; Tết days off run from Saturday 14/02 to Sunday 22/02.
    clock = FakeClock(datetime(2026, 2, 13, 16, 0, tzinfo=VN).astimezone(UTC))
    async with fake_telegram() as tg, running_bot(db_url, tg, clock=clock) as bot:
        tg.says(CHAT, "/start")
        texts = await tg.wait_for(CHAT, 2)
        assert texts[0].startswith("Xin chào!")
        assert "Thông báo xử lý dữ liệu cá nhân (phiên bản 2026-01)" in texts[1]
        assert [d for _, d in tg.last_buttons(CHAT)] == ["agree", "decline"]

        tg.presses(CHAT, "agree")
        texts = await tg.wait_for(CHAT, 4)
        assert texts[2] == "Cảm ơn bạn. Bạn có thể bắt đầu."
        assert texts[3] == "Bạn muốn làm gì? Chọn một mục:"

        tg.presses(CHAT, "report")
        texts = await tg.wait_for(CHAT, 5)
        assert texts[4].startswith("Xin kể sự việc bạn muốn báo: gõ chữ (có dấu hay không dấu đều được), gửi ảnh")
        tg.says(CHAT, "Nước ngập sâu 40cm trước số nhà 12 từ sáng nay.")
        texts = await tg.wait_for(CHAT, 6)
        assert texts[5].startswith("Việc bạn báo thuộc loại nào?\n- Hỏi: bạn cần biết một quy định, thủ tục")
        assert [d for _, d in tg.last_buttons(CHAT)] == ["question", "report", "complaint", "denunciation"]

        tg.says(CHAT, "2")  # numbered answers work on Telegram too: a report
        texts = await tg.wait_for(CHAT, 7)
        assert texts[6].startswith("Sự việc xảy ra ở phường, xã nào?")
        tg.says(CHAT, "sao do")  # a ward typed without diacritics
        texts = await tg.wait_for(CHAT, 8)
        assert texts[7] == "Ở khu dân cư nào của phường Sao Đỏ?"
        tg.says(CHAT, "khong ro")
        texts = await tg.wait_for(CHAT, 9)
        assert texts[8] == "Việc này thuộc lĩnh vực nào? Theo nội dung bạn gửi, có thể là:"
        # "trước" is an everyday word, never taken for "thuốc" (a health keyword) by typo; "other" always last.
        assert tg.last_buttons(CHAT) == [("Ngập úng, thoát nước", "ngap_nuoc"), ("Lĩnh vực khác...", "all")]
        tg.presses(CHAT, "all")
        await tg.wait_for(CHAT, 10)
        # Eighteen categories: a numbered list in the text, and the numbers as compact buttons.
        assert tg.texts_to(CHAT)[9].startswith("Việc này thuộc lĩnh vực nào? Nếu không thấy, chọn «Khác».\n\n"
                                               "1. Ngập úng, thoát nước\n2. ")
        assert tg.last_buttons(CHAT)[0] == ("1", "ngap_nuoc")
        tg.says(CHAT, "1")
        texts = await tg.wait_for(CHAT, 11)
        assert texts[10].startswith("Bạn có ảnh, tin nhắn thoại, giấy tờ hoặc vị trí về sự việc không?")
        tg.says(CHAT, "không có")
        texts = await tg.wait_for(CHAT, 12)
        assert texts[11] == (
            "Xin kiểm tra lại trước khi gửi:\nLoại: Phản ánh, kiến nghị\nLĩnh vực: Ngập úng, thoát nước\n"
            "Địa bàn: phường Sao Đỏ\nNội dung: Nước ngập sâu 40cm trước số nhà 12 từ sáng nay.\n"
            "Kèm theo: (không có)\nNơi nhận: UBND phường Sao Đỏ"
        )
        tg.presses(CHAT, "send")
        texts = await tg.wait_for(CHAT, 14)
        receipt = texts[12]
        assert receipt.startswith("Đã tiếp nhận phản ánh của bạn.\nMã theo dõi: PA-2026-000001\nMã PIN tra cứu: ")
        assert "Đơn vị xử lý: UBND phường Sao Đỏ\nHạn trả lời: trước 17:00 thứ Sáu, 27/02/2026" in receipt
        assert texts[13] == "Bạn muốn làm gì? Chọn một mục:"

        tg.says(CHAT, "/my")
        texts = await tg.wait_for(CHAT, 15)
        assert texts[14].startswith("Hồ sơ của bạn (trang 1/1):\n\nPA-2026-000001 - Phản ánh - Đã tiếp nhận, chờ "
                                    "phân công")
        assert "Hạn: trước 17:00 thứ Sáu, 27/02/2026" in texts[14]

        async with bot.db.unit_of_work(readonly=True) as uow:
            s = uow.session
            case = (await s.execute(select(Case))).scalar_one()
            unit = await s.get(Unit, case.unit_id)
            category = await s.get(Category, case.category_id)
            area = await s.get(Area, case.area_id)
            events = (await s.execute(select(CaseEvent).where(CaseEvent.case_id == case.id))).scalars().all()
            consents = (await s.execute(select(Consent))).scalars().all()
        assert (case.code, case.kind, case.status) == ("PA-2026-000001", "report", "submitted")
        assert (unit.code, category.code, area.code) == ("P_SAODO", "ngap_nuoc", "SAODO")
        assert case.due_at == datetime(2026, 2, 27, 17, 0, tzinfo=VN)
        assert case.accept_due_at == datetime(2026, 2, 23, 10, 30, tzinfo=VN)  # 1 h on Friday + 3 h on Monday
        assert [(e.action, e.to_status) for e in events] == [("submitted", "submitted")]
        assert events[0].at == datetime(2026, 2, 13, 16, 0, tzinfo=VN)
        assert [(c.purpose, c.notice_version) for c in consents] == [("processing", "2026-01")]
