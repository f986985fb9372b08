"""The official's desk on a channel without buttons (Zalo): the queue a page at a time, a case recorded for a
citizen who came in person, and an extension asked by the officer and approved by the head from the chat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.clock import FakeClock
from storage.models import Case
from tests.officials.drivers import ZaloDriver
from tests.officials.world import MONDAY_9, VN, World
from tests.support.fake_zalo_bot import FakeZaloBot
from tests.support.harness import running_bot

USERS = {"mai": 1, "hung": 2, "citizen": 3}


async def test_queue_walk_in_and_extension_by_numbers(db_url: str) -> None:
    clock = FakeClock(MONDAY_9)
    zalo = await FakeZaloBot().start()
    try:
        async with running_bot(db_url, None, clock=clock, **zalo.settings()) as bot:  # type: ignore[arg-type]
            d = ZaloDriver(zalo, USERS)
            world = World(bot.db, clock)

            async def link(user: str, seat: str) -> None:
                async with world.services() as s:
                    code = (await s.officials.invite(seat=seat)).code
                d.says(user, code)  # Zalo has no deep links: the bare code
                await d.next(user, 2)

            await link("mai", "SAODO_OFF1")
            assert d.choices("mai") == ["Hồ sơ của đơn vị", "Ghi nhận hồ sơ trực tiếp/điện thoại", "Ngôn ngữ",
                                        "Hướng dẫn"]

            # Six open cases: the queue shows the nearest deadlines first (then the oldest), five a page.
            # (Everything happens within the hour: Zalo holds messages once a chat's 48-hour window has closed.)
            citizen = await world.account("zu3", "zalo")
            for n in range(6):
                clock.set(datetime(2026, 3, 2, 9, n, tzinfo=VN))
                await world.submit(citizen, text=f"Đèn đường số {n + 1} trên phố Nguyễn Trãi bị hỏng.",
                                   category="chieu_sang")
            bot.sender.wake()
            await d.next("mai", 6)
            d.says("mai", "/queue")
            page = await d.one("mai")
            assert page.startswith("Hồ sơ đang mở (6), hạn gần nhất trước - trang 1/2:\n\nPA-2026-000001 (Phản ánh, "
                                   "P_SAODO) - Đã tiếp nhận, chờ phân công\nHạn: trước 17:00 thứ Hai, 09/03/2026. "
                                   "Cán bộ: chưa có")
            assert d.choices("mai") == ["PA-2026-000001", "PA-2026-000002", "PA-2026-000003", "PA-2026-000004",
                                        "PA-2026-000005", "Trang sau", "Về menu"]
            d.chooses("mai", "Trang sau")
            assert (await d.one("mai")).startswith("Hồ sơ đang mở (6), hạn gần nhất trước - trang 2/2:\n\n"
                                                   "PA-2026-000006 (Phản ánh, P_SAODO)")
            assert d.choices("mai") == ["PA-2026-000006", "Trang trước", "Về menu"]
            d.chooses("mai", "PA-2026-000006")
            view = await d.one("mai")
            assert view.startswith("Hồ sơ PA-2026-000006 (Phản ánh)\nLĩnh vực: Đèn chiếu sáng công cộng\n")
            assert d.choices("mai") == ["Nhận xử lý", "Chuyển đơn vị khác", "Từ chối (nêu lý do)"]

            # The head links his account now: Zalo lets a chat receive 8 messages after it last wrote, and six
            # cards would have used most of them.
            await link("hung", "SAODO_HEAD")

            # A citizen comes to the ward office: Mai records the case with the contact as given.
            clock.set(datetime(2026, 3, 2, 10, 0, tzinfo=VN))
            d.says("mai", "/record")
            assert await d.one("mai") == "Người dân đến trực tiếp hay gọi điện?"
            d.chooses("mai", "Trực tiếp tại trụ sở")
            await d.one("mai")
            d.chooses("mai", "Phản ánh")
            await d.one("mai")
            d.says("mai", "rac thai")  # a category typed without diacritics
            await d.one("mai")
            d.says("mai", "sao do")
            assert await d.one("mai") == "Nội dung người dân trình bày:"
            d.says("mai", "Bãi rác tự phát ở cuối ngõ 15 Nguyễn Trãi, bốc mùi đã một tuần.")
            await d.one("mai")
            d.says("mai", "Ông Lê Văn Bình, 0988 111 222, số 3 ngõ 15")
            assert await d.one("mai") == (
                "Ghi nhận hồ sơ:\nHình thức: Trực tiếp tại trụ sở\nLoại: Phản ánh\nLĩnh vực: Rác thải, vệ sinh môi "
                "trường\nPhường: Sao Đỏ\nNội dung: Bãi rác tự phát ở cuối ngõ 15 Nguyễn Trãi, bốc mùi đã một tuần.\n"
                "Liên hệ: Ông Lê Văn Bình, 0988 111 222, số 3 ngõ 15")
            d.chooses("mai", "Ghi nhận")
            own_card, done = await d.next("mai", 2)  # she is at the ward's desk too: the card, then her receipt
            assert done.startswith("Đã ghi nhận hồ sơ PA-2026-000007 (mã PIN tra cứu: ")
            assert done.endswith("). Đơn vị xử lý: UBND phường Sao Đỏ. Hạn trả lời: trước 17:00 thứ Hai, "
                                 "09/03/2026. Xin đưa mã và PIN cho người dân.")
            card = await d.one("hung")
            assert card == own_card
            assert "\nTiếp nhận: Trực tiếp tại trụ sở. Liên hệ người dân: Ông Lê Văn Bình, 0988 111 222, số 3 ngõ 15\n" in card

            # Mai takes it (typing the card's first number) and asks for ten more working days.
            d.says("mai", "1")
            assert (await d.one("mai")).startswith("Bạn đã nhận xử lý hồ sơ PA-2026-000007.")
            assert await d.one("hung") == "Hồ sơ PA-2026-000007 đã được Trần Thị Mai nhận xử lý."
            d.chooses("mai", "Xin gia hạn")
            assert await d.one("mai") == "Gia hạn hồ sơ PA-2026-000007 thêm bao lâu?"
            d.chooses("mai", "10 ngày làm việc")
            await d.one("mai")
            d.says("mai", "Chờ công ty môi trường đô thị bố trí xe chở rác.")
            assert await d.one("mai") == ("Đã gửi đề nghị gia hạn hồ sơ PA-2026-000007 đến trước 17:00 thứ Hai, "
                                          "23/03/2026 cho thủ trưởng đơn vị duyệt.")
            assert await d.one("hung") == (
                "Trần Thị Mai xin gia hạn hồ sơ PA-2026-000007 thêm 10 ngày làm việc (đến trước 17:00 thứ Hai, "
                "23/03/2026). Lý do: Chờ công ty môi trường đô thị bố trí xe chở rác.")
            assert d.choices("hung") == ["Đồng ý gia hạn", "Không đồng ý"]
            d.says("hung", "1")
            assert await d.one("hung") == ("Đã gia hạn hồ sơ PA-2026-000007 đến trước 17:00 thứ Hai, 23/03/2026. Người "
                                           "dân đã được thông báo.")
            assert await d.one("mai") == ("Thủ trưởng đã đồng ý gia hạn hồ sơ PA-2026-000007. Hạn mới: trước 17:00 thứ "
                                          "Hai, 23/03/2026.")

            # The answer cannot reach a walk-in citizen by chat: the official is told how to reach them.
            d.says("mai", "/case PA-2026-000007")
            await d.one("mai")
            d.chooses("mai", "Trả lời và kết thúc")
            await d.one("mai")
            d.says("mai", "Đã dọn bãi rác và cắm biển cấm đổ rác.")
            await d.one("mai")
            d.chooses("mai", "Gửi trả lời")
            assert await d.one("mai") == (
                "Đã ghi nhận trả lời hồ sơ PA-2026-000007. Hồ sơ không có tài khoản nhắn tin: xin báo kết quả cho "
                "người dân theo liên hệ: Ông Lê Văn Bình, 0988 111 222, số 3 ngõ 15")
            async with bot.db.unit_of_work(readonly=True) as uow:
                case = (await uow.session.execute(select(Case).where(Case.code == "PA-2026-000007"))).scalar_one()
            assert (case.source, case.reply_identity_id, case.details["contact"], case.extended) == (
                "walk_in", None, "Ông Lê Văn Bình, 0988 111 222, số 3 ngõ 15", True)
            assert [a for a, _, _ in await world.events(case.id)] == [
                "submitted", "recorded", "accepted", "extension_requested", "extended", "answered"]
    finally:
        await zalo.stop()
