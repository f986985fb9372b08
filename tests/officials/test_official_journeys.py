"""Officials and citizens end to end through the real application and a local fake messenger server.

The journeys are written against a driver (tests/officials/drivers.py), so each runs on every channel that has
one: Telegram with its buttons, and Zalo, where every choice is a numbered line answered by typing its number.
Cases are submitted through the intake service (the citizen's report flow is tested on its own).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import pytest
from PIL import Image
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.container import Container
from bot.domain.cases import CaseKind
from bot.services.intake import Draft
from bot.services.media import new_attachment
from storage.models import Attachment, Case, ChannelIdentity, OutboxItem
from tests.officials.drivers import Driver, TelegramDriver, ZaloDriver
from tests.officials.world import MONDAY_9, VN, Account, World
from tests.support.channel_drivers import WebDriver
from tests.support.fake_zalo_bot import FakeZaloBot
from tests.support.harness import fake_telegram, running_bot, settings_for
from tests.support.web_client import serving

USERS = {
    "citizen": 5001, "mai": 6001, "tu": 6002, "hung": 6003, "thanh": 6004, "son": 6005, "nhung": 6006,
    "lan": 6007,
}
SEATS = {"mai": "SAODO_OFF1", "tu": "SAODO_OFF2", "hung": "SAODO_HEAD", "thanh": "UBND_LEADER",
         "son": "QLDT_OFF1", "nhung": "VP_OFF1", "lan": "TNMT_OFF1"}
CARD = (
    "Hồ sơ {code} ({kind})\nLĩnh vực: {category}\nĐịa bàn: Sao Đỏ\nĐơn vị xử lý: {unit}\n"
    "Hạn giải quyết: {due}\n{accept}Nội dung: {text}"
)
CARD_ACTIONS = ["Nhận xử lý", "Hỏi thêm người dân", "Chuyển đơn vị khác", "Xin gia hạn", "Trả lời và kết thúc",
                "Từ chối (nêu lý do)"]
FLOOD = "Nước ngập sâu 40cm trước số nhà 12 đường Nguyễn Trãi."


@dataclass
class Scene:
    """One running application, its people and its clock."""

    driver: Driver
    world: World
    wake: Callable[[], None]
    clock: FakeClock

    def at(self, day: int, hour: int, minute: int = 0) -> None:
        self.clock.set(datetime(2026, 3, day, hour, minute, tzinfo=VN))

    async def link(self, *users: str) -> None:
        """Each official sends a fresh invite code, as a Telegram deep link would (`/start CODE`)."""
        for user in users:
            async with self.world.services() as s:
                code = (await s.officials.invite(seat=SEATS[user])).code
            self.driver.says(user, f"/start {code}")
            linked, menu = await self.driver.next(user, 2)
            assert linked.startswith("Đã liên kết tài khoản: "), linked

    async def citizen(self) -> Account:
        """The citizen's account, consent given (the onboarding flow is tested on its own)."""
        account = await self.world.account(self.driver.chat("citizen"), self.driver.channel)
        async with self.world.services() as s:
            await s.identities.grant_consent(account.citizen_id or 0, s.org.notice_version, self.clock.now())
        return account

    async def photos_fetched(self, count: int) -> None:
        """Until the media job has stored `count` photos (it runs beside the conversation, not inside it)."""
        for _ in range(600):
            async with self.world.db.unit_of_work(readonly=True) as uow:
                stored = (await uow.session.execute(select(func.count(Attachment.id)).where(
                    Attachment.kind == "photo", Attachment.status == "stored"))).scalar_one()
            if stored >= count:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{count} photo(s) not fetched")

    async def submit(self, citizen: Account, kind: CaseKind, category: str, text: str) -> str:
        async with self.world.services() as s:
            receipt = await s.intake.submit(Draft(kind=kind, text=text, category=category, area="SAODO"),
                                            citizen_id=citizen.citizen_id, identity_id=citizen.identity_id)
        self.wake()
        return receipt.code


@asynccontextmanager
async def on_telegram(db_url: str) -> AsyncIterator[Scene]:
    clock = FakeClock(MONDAY_9)
    async with fake_telegram() as tg, running_bot(db_url, tg, clock=clock) as bot:
        yield Scene(TelegramDriver(tg, USERS), World(bot.db, clock), bot.sender.wake, clock)


@asynccontextmanager
async def on_zalo(db_url: str) -> AsyncIterator[Scene]:
    clock = FakeClock(MONDAY_9)
    zalo = await FakeZaloBot().start()
    try:
        async with running_bot(db_url, None, clock=clock, **zalo.settings()) as bot:  # type: ignore[arg-type]
            yield Scene(ZaloDriver(zalo, USERS), World(bot.db, clock), bot.sender.wake, clock)
    finally:
        await zalo.stop()


class WebScene(Scene):
    """The web chat: the citizen opens the page and consents there; the server names the chat (a cookie)."""

    async def citizen(self) -> Account:
        d = self.driver
        assert isinstance(d, WebDriver)
        d.begins("citizen")
        welcome, notice = await d.next("citizen", 2)
        assert welcome.startswith("Xin chào!") and notice.startswith("Thông báo xử lý dữ liệu cá nhân")
        d.chooses("citizen", "Tôi đồng ý")
        await d.next("citizen", 2)  # thanks, and the menu
        async with self.world.db.unit_of_work(readonly=True) as uow:
            identity = (await uow.session.execute(select(ChannelIdentity).where(
                ChannelIdentity.channel == "web", ChannelIdentity.official_id.is_(None)))).scalar_one()
        return Account(identity.id, identity.citizen_id, None, identity.chat_id)


@asynccontextmanager
async def on_web(db_url: str) -> AsyncIterator[Scene]:
    clock = FakeClock(MONDAY_9)
    container = Container(settings_for(db_url), clock=clock)
    async with serving(container) as base:
        driver = await WebDriver(base).open(*USERS)
        try:
            yield WebScene(driver, World(container.db, clock), container.sender.wake, clock)  # type: ignore[arg-type]
        finally:
            await driver.close()


ON = {"telegram": on_telegram, "zalo": on_zalo}
CHANNELS = tuple(ON)
EVERY_CHANNEL = {**ON, "web": on_web}  # the desk's own journeys (extension, reject, /record) on the web chat too


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def card(code: str, *, kind: str = "Phản ánh", category: str = "Ngập úng, thoát nước",
         unit: str = "UBND phường Sao Đỏ", due: str, accept_due: str | None, text: str = FLOOD) -> str:
    accept = f"Hạn nhận xử lý: {accept_due}\n" if accept_due else ""
    return CARD.format(code=code, kind=kind, category=category, unit=unit, due=due, accept=accept, text=text)


MENU = ["Gửi phản ánh, kiến nghị", "Xem hồ sơ của tôi", "Ngôn ngữ / Language", "Hướng dẫn"]


# --- the report: asked, answered, not satisfied, reopened, answered again, satisfied ---------------------------


async def report_journey(scene: Scene) -> None:
    d = scene.driver
    await scene.link("mai", "tu", "hung")
    citizen = await scene.citizen()
    code = await scene.submit(citizen, CaseKind.REPORT, "ngap_nuoc", FLOOD)
    assert code == "PA-2026-000001"

    # The two officers and the head get the card.
    expected = card(code, due="trước 17:00 thứ Hai, 09/03/2026", accept_due="trước 15:00 thứ Hai, 02/03/2026")
    for user in ("mai", "tu", "hung"):
        assert await d.one(user) == expected
        assert d.choices(user) == CARD_ACTIONS

    # Mai takes it; Tú and the head are told who did.
    scene.at(2, 9, 10)
    d.chooses("mai", "Nhận xử lý")
    assert await d.one("mai") == "Bạn đã nhận xử lý hồ sơ PA-2026-000001. Hạn giải quyết: trước 17:00 thứ Hai, 09/03/2026."
    assert d.choices("mai") == ["Hỏi thêm người dân", "Chuyển đơn vị khác", "Xin gia hạn", "Trả lời và kết thúc",
                                "Từ chối (nêu lý do)"]
    for user in ("tu", "hung"):
        assert await d.told_taken(user) == "Hồ sơ PA-2026-000001 đã được Trần Thị Mai nhận xử lý."

    # Tú presses Take on the old card: refused, nothing changes.
    d.chooses("tu", "Nhận xử lý")
    assert await d.one("tu") == "Hồ sơ PA-2026-000001 đã do Trần Thị Mai nhận xử lý. Không có gì thay đổi."

    # Mai asks the citizen; the bot relays; the clock stops.
    scene.at(2, 9, 20)
    d.chooses("mai", "Hỏi thêm người dân")
    assert await d.one("mai") == (
        "Nhập câu hỏi cho người dân về hồ sơ PA-2026-000001. Hệ thống sẽ chuyển câu hỏi, không để lộ tài khoản "
        "của hai bên.")
    d.says("mai", "Chỗ ngập cách ngã tư bao xa?")
    assert await d.one("mai") == ("Đã gửi câu hỏi về hồ sơ PA-2026-000001. Thời hạn tạm dừng cho đến khi "
                                  "người dân trả lời.")
    assert await d.one("citizen") == (
        "Cán bộ xử lý hồ sơ PA-2026-000001 cần bạn cung cấp thêm thông tin:\nChỗ ngập cách ngã tư bao xa?\n\n"
        "Xin trả lời bằng cách nhắn tin ngay tại đây.")
    assert d.choices("citizen") == ["Trả lời câu hỏi"]

    scene.at(2, 11, 0)
    d.says("citizen", "Khoảng 50 mét, gần trường tiểu học.")
    assert await d.one("citizen") == "Đã chuyển câu trả lời của bạn đến cán bộ xử lý hồ sơ PA-2026-000001."
    assert await d.one("mai") == ("Người dân đã trả lời câu hỏi về hồ sơ PA-2026-000001:\n"
                                  "Khoảng 50 mét, gần trường tiểu học.")
    assert d.choices("mai") == ["Trả lời và kết thúc", "Hỏi thêm người dân", "Xem hồ sơ và quá trình"]

    # Mai answers and resolves.
    scene.at(2, 14, 0)
    d.chooses("mai", "Trả lời và kết thúc")
    assert await d.one("mai") == ("Nhập nội dung trả lời người dân cho hồ sơ PA-2026-000001 (có thể gửi kèm ảnh chụp "
                                  "kết quả):")
    d.says("mai", "Đã nạo vét 50 mét cống, nước đã rút.")
    assert await d.one("mai") == ("Trả lời hồ sơ PA-2026-000001:\nĐã nạo vét 50 mét cống, nước đã rút.\n\n"
                                  "Gửi câu trả lời này và kết thúc xử lý?")
    d.chooses("mai", "Gửi trả lời")
    assert await d.one("mai") == "Đã gửi trả lời hồ sơ PA-2026-000001. Người dân được mời đánh giá kết quả."
    assert await d.one("citizen") == (
        "Trả lời hồ sơ PA-2026-000001 của UBND phường Sao Đỏ:\nĐã nạo vét 50 mét cống, nước đã rút.\n\n"
        "Bạn có hài lòng với kết quả giải quyết không?")
    assert d.choices("citizen") == ["Hài lòng", "Chưa hài lòng"]

    # Not satisfied: the case reopens at the same unit, which gets the card again with why.
    scene.at(2, 15, 0)
    d.chooses("citizen", "Chưa hài lòng")
    assert await d.one("citizen") == ("Rất tiếc kết quả hồ sơ PA-2026-000001 chưa làm bạn hài lòng. Bạn có thể cho "
                                      "biết lý do (không bắt buộc):")
    d.says("citizen", "Mưa to chiều nay lại ngập.")
    assert await d.one("citizen") == ("Hồ sơ PA-2026-000001 đã được mở lại và giao lại cho UBND phường Sao Đỏ xử "
                                      "lý. Hạn trả lời mới: trước 17:00 thứ Hai, 09/03/2026.")
    assert d.choices("citizen") == MENU  # no dead end: what to do next
    reopened = ("Người dân chưa hài lòng với câu trả lời; hồ sơ được mở lại. Ý kiến: Mưa to chiều nay lại ngập.\n\n"
                + card(code, due="trước 17:00 thứ Hai, 09/03/2026", accept_due="trước 09:30 thứ Ba, 03/03/2026"))
    for user in ("mai", "tu", "hung"):
        assert await d.one(user) == reopened

    # Tú takes it this time by typing the number of the choice, then answers.
    scene.at(3, 8, 0)
    d.says("tu", "1")
    assert await d.one("tu") == "Bạn đã nhận xử lý hồ sơ PA-2026-000001. Hạn giải quyết: trước 17:00 thứ Hai, 09/03/2026."
    for user in ("mai", "hung"):
        assert await d.told_taken(user) == "Hồ sơ PA-2026-000001 đã được Phạm Văn Tú nhận xử lý."
    # His answer comes with a photo of the result, fetched from the platform by the media job.
    scene.at(3, 9, 0)
    d.chooses("tu", "Trả lời và kết thúc")
    assert await d.one("tu") == ("Nhập nội dung trả lời người dân cho hồ sơ PA-2026-000001 (có thể gửi kèm ảnh chụp "
                                 "kết quả):")
    d.sends_photo("tu", jpeg())
    assert await d.one("tu") == "Đã nhận 1 ảnh kết quả. Tiếp tục gõ nội dung trả lời."
    d.says("tu", "Đã lắp thêm cửa thu nước trước số nhà 12; chiều nay mưa to không còn ngập.")
    assert await d.one("tu") == (
        "Trả lời hồ sơ PA-2026-000001:\nĐã lắp thêm cửa thu nước trước số nhà 12; chiều nay mưa to không còn ngập."
        "\n\nGửi câu trả lời này và kết thúc xử lý?\nKèm theo 1 ảnh kết quả.")
    await scene.photos_fetched(1)
    d.chooses("tu", "Gửi trả lời")
    assert await d.one("tu") == "Đã gửi trả lời hồ sơ PA-2026-000001. Người dân được mời đánh giá kết quả."
    assert (await d.one("citizen")).startswith("Trả lời hồ sơ PA-2026-000001 của UBND phường Sao Đỏ:\nĐã lắp thêm")
    if d.sends_photos:
        photos = d.photos_to("citizen")
        # The photo: its bytes (a JPEG, re-encoded without EXIF), or on Zalo a signed link to the media route.
        assert len(photos) == 1 and ("/media/" in photos[0] if isinstance(photos[0], str)
                                     else bytes(photos[0][:2]) == b"\xff\xd8")

    scene.at(3, 10, 0)
    d.chooses("citizen", "Hài lòng")
    assert await d.one("citizen") == "Cảm ơn bạn đã đánh giá. Hồ sơ PA-2026-000001 đã hoàn thành."
    assert d.choices("citizen") == MENU
    assert await d.one("tu") == "Người dân hài lòng với câu trả lời hồ sơ PA-2026-000001. Hồ sơ đã đóng."

    # The history lists every step with its actor and time; never the citizen's account.
    photos_before = len(d.photos_to("hung")) if d.sends_photos else 0
    d.says("hung", "/case PA-2026-000001")
    view = await d.one("hung")
    if d.sends_photos:  # the case's photos come with its view, as with its card
        assert len(d.photos_to("hung")) > photos_before
    assert view == (
        "Hồ sơ PA-2026-000001 (Phản ánh)\nLĩnh vực: Ngập úng, thoát nước\nĐịa bàn: Sao Đỏ\n"
        "Đơn vị xử lý: UBND phường Sao Đỏ\nHạn giải quyết: trước 17:00 thứ Hai, 09/03/2026\n"
        f"Nội dung: {FLOOD}\n"
        "Tình trạng: Đã đóng. Cán bộ xử lý: Phạm Văn Tú\nSố lần chuyển đơn vị: 0. Số lần mở lại: 1\n\n"
        "Quá trình xử lý:\n"
        "- 09:00 02/03/2026: Tiếp nhận - Người dân\n"
        "- 09:10 02/03/2026: Cán bộ nhận xử lý - Trần Thị Mai\n"
        "- 09:20 02/03/2026: Hỏi thêm thông tin người dân - Trần Thị Mai\n"
        "  Ghi chú: Chỗ ngập cách ngã tư bao xa?\n"
        "- 11:00 02/03/2026: Người dân trả lời - Người dân\n"
        "  Ghi chú: Khoảng 50 mét, gần trường tiểu học.\n"
        "- 14:00 02/03/2026: Trả lời và kết thúc xử lý - Trần Thị Mai\n"
        "  Ghi chú: Đã nạo vét 50 mét cống, nước đã rút.\n"
        "- 15:00 02/03/2026: Người dân chưa hài lòng - Người dân\n"
        "  Ghi chú: Mưa to chiều nay lại ngập.\n"
        "- 15:00 02/03/2026: Mở lại cho đơn vị xử lý - Hệ thống\n"
        "- 08:00 03/03/2026: Cán bộ nhận xử lý - Phạm Văn Tú\n"
        "- 09:00 03/03/2026: Trả lời và kết thúc xử lý - Phạm Văn Tú\n"
        "  Ghi chú: Đã lắp thêm cửa thu nước trước số nhà 12; chiều nay mưa to không còn ngập.\n"
        "- 10:00 03/03/2026: Người dân hài lòng - Người dân"
    )
    assert d.choices("hung") == []  # a closed case: nothing left to do


@pytest.mark.parametrize("channel", CHANNELS)
async def test_a_report_from_card_to_verdict(db_url: str, channel: str) -> None:
    async with ON[channel](db_url) as scene:
        await report_journey(scene)
        async with scene.world.db.unit_of_work(readonly=True) as uow:
            case = (await uow.session.execute(select(Case))).scalar_one()
        assert (case.status, case.rating, case.reopen_count) == ("closed", "satisfied", 1)
        # Question and answers went to the citizen with the purposes the channels use for reply windows.
        async with scene.world.db.unit_of_work(readonly=True) as uow:
            purposes = (await uow.session.execute(
                select(OutboxItem.purpose).where(OutboxItem.chat_id == scene.driver.chat("citizen"))
                .order_by(OutboxItem.id))).scalars()
            assert list(purposes) == ["question", "reply", "answer", "reply", "reply", "answer", "reply"]


# --- the complaint: dissatisfaction leads to the second-level complaint, not to a reopening -------------------


async def complaint_journey(scene: Scene) -> None:
    d = scene.driver
    await scene.link("mai", "thanh")
    citizen = await scene.citizen()
    text = "Khiếu nại việc phường từ chối xác nhận hồ sơ xin phép sửa nhà của tôi."
    code = await scene.submit(citizen, CaseKind.COMPLAINT, "thu_tuc", text)
    assert code == "KN-2026-000001"
    assert (await d.one("mai")).startswith("Hồ sơ KN-2026-000001 (Khiếu nại)\nLĩnh vực: Thủ tục hành chính")
    d.chooses("mai", "Nhận xử lý")
    await d.one("mai")
    scene.at(2, 14, 0)
    d.chooses("mai", "Trả lời và kết thúc")
    await d.one("mai")
    d.says("mai", "Quyết định giải quyết khiếu nại lần đầu số 12/QĐ-UBND: giữ nguyên việc từ chối.")
    await d.one("mai")
    d.chooses("mai", "Gửi trả lời")
    await d.one("mai")
    assert (await d.one("citizen")).startswith("Trả lời hồ sơ KN-2026-000001 của UBND phường Sao Đỏ:\n")
    d.chooses("citizen", "Chưa hài lòng")
    await d.one("citizen")
    d.chooses("citizen", "Bỏ qua")
    assert await d.one("citizen") == (
        "Theo Luật Khiếu nại 2011, nếu không đồng ý với quyết định giải quyết khiếu nại lần đầu về hồ sơ "
        "KN-2026-000001, bạn có thể:\n1) khiếu nại lần hai đến UBND thành phố Chí Linh trong 30 ngày kể từ khi "
        "nhận quyết định (45 ngày ở vùng sâu, vùng xa); hoặc\n2) khởi kiện vụ án hành chính tại Tòa án.\n"
        "Bạn có muốn gửi khiếu nại lần hai ngay bây giờ không?")
    assert d.choices("citizen") == ["Gửi khiếu nại lần hai", "Không, cảm ơn"]
    assert await d.one("mai") == ("Người dân chưa hài lòng với kết quả giải quyết khiếu nại KN-2026-000001; hệ thống "
                                  "đã hướng dẫn khiếu nại lần hai hoặc khởi kiện.")

    d.chooses("citizen", "Gửi khiếu nại lần hai")
    assert await d.one("citizen") == (
        "Khiếu nại lần hai về hồ sơ KN-2026-000001: xin nêu rõ bạn không đồng ý điểm nào với kết quả giải quyết "
        "và đề nghị của bạn:")
    d.says("citizen", "Hồ sơ của tôi đủ giấy tờ; đề nghị UBND thành phố xem xét lại quyết định số 12.")
    receipt = (await d.one("citizen")).split("\n")
    assert receipt[:2] == ["Đã tiếp nhận khiếu nại lần hai.", "Mã theo dõi: KN-2026-000002"]
    assert receipt[2].startswith("Mã PIN tra cứu: ") and len(receipt[2]) == len("Mã PIN tra cứu: 123456")
    # 40 working days (10 to accept, 30 to resolve) from Monday 02/03, over the Hùng Kings day off (27/04).
    assert receipt[3:5] == ["Cơ quan giải quyết: UBND thành phố Chí Linh", "Hạn trả lời: trước 17:00 thứ Ba, 28/04/2026"]
    assert receipt[5].startswith("Hoặc mở nhanh, không cần PIN: http://127.0.0.1:8080/track?t=KN-2026-000002.")
    assert (await d.one("thanh")).startswith(
        "Khiếu nại lần hai đối với kết quả giải quyết hồ sơ KN-2026-000001 của UBND phường Sao Đỏ.\n\n"
        "Hồ sơ KN-2026-000002 (Khiếu nại)")


@pytest.mark.parametrize("channel", CHANNELS)
async def test_an_unsatisfied_complainant_is_helped_to_the_second_level(db_url: str, channel: str) -> None:
    async with ON[channel](db_url) as scene:
        await complaint_journey(scene)
        async with scene.world.db.unit_of_work(readonly=True) as uow:
            cases = (await uow.session.execute(select(Case).order_by(Case.id))).scalars().all()
        assert [(c.code, c.status, c.rating, c.reopen_count) for c in cases] == [
            ("KN-2026-000001", "resolved", "unsatisfied", 0), ("KN-2026-000002", "submitted", None, 0)]


# --- transferred twice: the coordinator decides; the citizen is told each time --------------------------------


async def transfer_journey(scene: Scene) -> None:
    d = scene.driver
    await scene.link("mai", "son", "nhung", "lan")
    citizen = await scene.citizen()
    code = await scene.submit(citizen, CaseKind.REPORT, "ngap_nuoc", FLOOD)
    await d.one("mai")
    # The citizen's photo reaches the case (the intake flow moves evidence onto it); cards carry it from now on.
    async with scene.world.services() as s:
        case = (await s.session.execute(select(Case))).scalar_one()
        s.session.add(new_attachment("photo", "image/jpeg", jpeg(), scene.clock.now(), case_id=case.id))

    d.chooses("mai", "Chuyển đơn vị khác")
    # The likeliest units first, and a hint that any other is found by typing its name.
    assert (await d.one("mai")).split("\n")[:2] == [
        "Chuyển hồ sơ PA-2026-000001 đến đơn vị nào?",
        "Không thấy đơn vị cần chuyển? Gõ một phần tên đơn vị để tìm (ví dụ: «môi trường»)."]
    d.chooses("mai", "Phòng Quản lý đô thị")
    assert await d.one("mai") == ("Lý do chuyển đến Phòng Quản lý đô thị (bắt buộc; người dân và đơn vị nhận sẽ "
                                  "được thông báo):")
    d.says("mai", "Cống thoát nước trên đường Nguyễn Trãi do thành phố quản lý.")
    assert await d.one("mai") == ("Đã chuyển hồ sơ PA-2026-000001 đến Phòng Quản lý đô thị. Người dân đã được "
                                  "thông báo.")
    assert await d.one("citizen") == (
        "Hồ sơ PA-2026-000001 của bạn đã được chuyển đến Phòng Quản lý đô thị để giải quyết. Lý do: Cống thoát "
        "nước trên đường Nguyễn Trãi do thành phố quản lý.")
    assert (await d.one("son")).startswith(
        "Hồ sơ được chuyển đến từ UBND phường Sao Đỏ. Lý do: Cống thoát nước trên đường Nguyễn Trãi do thành phố "
        "quản lý.\n\nHồ sơ PA-2026-000001 (Phản ánh)")
    assert len(d.photos_to("son")) == (1 if d.sends_photos else 0)  # the case's photo comes with its card

    # The second transfer goes to the coordinating office instead, with the proposal.
    d.chooses("son", "Chuyển đơn vị khác")
    await d.one("son")
    d.chooses("son", "Phòng Tài nguyên và Môi trường")
    await d.one("son")
    d.says("son", "Ngập do san lấp ao, thuộc lĩnh vực môi trường.")
    assert await d.one("son") == (
        "Hồ sơ PA-2026-000001 đã bị chuyển nhiều lần nên được chuyển đến Văn phòng HĐND và UBND thành phố để quyết "
        "định (đề nghị của bạn: Phòng Tài nguyên và Môi trường). Người dân đã được thông báo.")
    assert await d.one("citizen") == (
        "Hồ sơ PA-2026-000001 của bạn đã được chuyển đến Văn phòng HĐND và UBND thành phố để quyết định đơn vị giải "
        "quyết. Lý do: Ngập do san lấp ao, thuộc lĩnh vực môi trường.")
    assert (await d.one("nhung")).startswith(
        "Hồ sơ đã bị chuyển 2 lần (lần này từ Phòng Quản lý đô thị, đề nghị chuyển đến Phòng Tài nguyên và Môi "
        "trường). Lý do: Ngập do san lấp ao, thuộc lĩnh vực môi trường.\nĐơn vị điều phối xin quyết định đơn vị xử "
        "lý.\n\nHồ sơ PA-2026-000001 (Phản ánh)")

    # The coordinator decides: the environment division it is.
    d.chooses("nhung", "Chuyển đơn vị khác")
    await d.one("nhung")
    d.chooses("nhung", "Phòng Tài nguyên và Môi trường")
    await d.one("nhung")
    d.says("nhung", "Văn phòng quyết định: Phòng Tài nguyên và Môi trường chủ trì xử lý.")
    assert await d.one("nhung") == ("Đã chuyển hồ sơ PA-2026-000001 đến Phòng Tài nguyên và Môi trường. Người dân đã "
                                    "được thông báo.")
    assert await d.one("citizen") == (
        "Hồ sơ PA-2026-000001 của bạn đã được chuyển đến Phòng Tài nguyên và Môi trường để giải quyết. Lý do: Văn "
        "phòng quyết định: Phòng Tài nguyên và Môi trường chủ trì xử lý.")
    assert (await d.one("lan")).startswith("Hồ sơ được chuyển đến từ Văn phòng HĐND và UBND thành phố. Lý do: ")
    assert code == "PA-2026-000001"


@pytest.mark.parametrize("channel", CHANNELS)
async def test_a_case_transferred_twice_goes_to_the_coordinator(db_url: str, channel: str) -> None:
    async with ON[channel](db_url) as scene:
        await transfer_journey(scene)
        async with scene.world.db.unit_of_work(readonly=True) as uow:
            case = (await uow.session.execute(select(Case))).scalar_one()
        assert (case.status, case.transfer_count) == ("transferred", 3)
        assert [a for a, _, _ in await scene.world.events(case.id)] == [
            "submitted", "transferred", "transferred", "transferred"]


# --- an extension approved by the head, and a duplicate rejected: on every channel ---------------------------


async def extension_and_reject_journey(scene: Scene) -> None:
    d = scene.driver
    await scene.link("mai", "hung")
    citizen = await scene.citizen()
    code = await scene.submit(citizen, CaseKind.REPORT, "ngap_nuoc", FLOOD)
    await d.one("mai")
    await d.one("hung")
    d.chooses("mai", "Nhận xử lý")
    assert (await d.one("mai")).startswith(f"Bạn đã nhận xử lý hồ sơ {code}.")
    assert await d.told_taken("hung") == f"Hồ sơ {code} đã được Trần Thị Mai nhận xử lý."

    d.chooses("mai", "Xin gia hạn")
    assert (await d.one("mai")).startswith(f"Gia hạn hồ sơ {code} thêm bao lâu?")
    d.chooses("mai", "10 ngày làm việc")
    assert await d.one("mai") == "Lý do gia hạn (người dân sẽ được thông báo):"
    d.says("mai", "Cần khảo sát cống ngầm dưới lòng đường.")
    assert await d.one("mai") == (f"Đã gửi đề nghị gia hạn hồ sơ {code} đến trước 17:00 thứ Hai, 23/03/2026 cho "
                                  "thủ trưởng đơn vị duyệt.")
    assert await d.one("hung") == (f"Trần Thị Mai xin gia hạn hồ sơ {code} thêm 10 ngày làm việc (đến trước 17:00 "
                                   "thứ Hai, 23/03/2026). Lý do: Cần khảo sát cống ngầm dưới lòng đường.")
    d.chooses("hung", "Đồng ý gia hạn")
    assert await d.one("hung") == (f"Đã gia hạn hồ sơ {code} đến trước 17:00 thứ Hai, 23/03/2026. Người dân đã "
                                   "được thông báo.")
    assert await d.one("mai") == f"Thủ trưởng đã đồng ý gia hạn hồ sơ {code}. Hạn mới: trước 17:00 thứ Hai, 23/03/2026."
    assert await d.one("citizen") == (f"Thời hạn giải quyết hồ sơ {code} được gia hạn đến trước 17:00 thứ Hai, "
                                      "23/03/2026. Lý do: Cần khảo sát cống ngầm dưới lòng đường.")

    # The same flooding reported again: a duplicate, rejected with the case it duplicates.
    again = await scene.submit(citizen, CaseKind.REPORT, "ngap_nuoc", FLOOD)
    await d.one("mai")
    await d.one("hung")
    d.chooses("mai", "Từ chối (nêu lý do)")
    assert (await d.one("mai")).startswith(f"Lý do từ chối hồ sơ {again}:")
    d.chooses("mai", "Trùng với hồ sơ khác")
    assert await d.one("mai") == "Trùng với hồ sơ nào? Gõ mã hồ sơ, ví dụ PA-2026-000123."
    d.says("mai", code)
    assert (await d.one("mai")).startswith(f"Từ chối hồ sơ {again}.")
    d.chooses("mai", "Xác nhận từ chối")
    assert await d.one("mai") == f"Đã từ chối hồ sơ {again} và thông báo lý do cho người dân."
    assert await d.one("citizen") == (f"Hồ sơ {again} trùng với hồ sơ {code} đang được giải quyết; kết quả sẽ được "
                                      f"trả lời theo hồ sơ {code}.")


@pytest.mark.parametrize("channel", list(EVERY_CHANNEL))
async def test_an_extension_approved_and_a_duplicate_rejected(db_url: str, channel: str) -> None:
    async with EVERY_CHANNEL[channel](db_url) as scene:
        await extension_and_reject_journey(scene)


# --- a walk-in case recorded at the desk (/record), taken, answered with the contact given -------------------


async def record_journey(scene: Scene) -> None:
    d = scene.driver
    await scene.link("mai", "hung")
    d.says("mai", "/record")
    assert await d.one("mai") == "Người dân đến trực tiếp hay gọi điện?"
    d.chooses("mai", "Qua điện thoại")
    await d.one("mai")
    d.chooses("mai", "Phản ánh")
    await d.one("mai")
    d.says("mai", "rac thai")  # a category typed without diacritics
    await d.one("mai")
    d.says("mai", "sao do")
    assert await d.one("mai") == "Nội dung người dân trình bày:"
    d.says("mai", "Bãi rác tự phát ở cuối ngõ 15 Nguyễn Trãi, bốc mùi đã một tuần.")
    await d.one("mai")
    d.says("mai", "Ông Lê Văn Bình, 0988 111 222")
    assert await d.one("mai") == (
        "Ghi nhận hồ sơ:\nHình thức: Qua điện thoại\nLoại: Phản ánh\nLĩnh vực: Rác thải, vệ sinh môi trường\n"
        "Phường: Sao Đỏ\nNội dung: Bãi rác tự phát ở cuối ngõ 15 Nguyễn Trãi, bốc mùi đã một tuần.\n"
        "Liên hệ: Ông Lê Văn Bình, 0988 111 222")
    d.chooses("mai", "Ghi nhận")
    own_card, done = await d.next("mai", 2)  # she is at the ward's desk too: the card, then her receipt
    assert done.startswith("Đã ghi nhận hồ sơ PA-2026-000001 (mã PIN tra cứu: ")
    assert await d.one("hung") == own_card
    assert "\nTiếp nhận: Qua điện thoại. Liên hệ người dân: Ông Lê Văn Bình, 0988 111 222\n" in own_card
    d.chooses("mai", "Nhận xử lý")
    assert (await d.one("mai")).startswith("Bạn đã nhận xử lý hồ sơ PA-2026-000001.")
    assert await d.told_taken("hung") == "Hồ sơ PA-2026-000001 đã được Trần Thị Mai nhận xử lý."
    d.chooses("mai", "Trả lời và kết thúc")
    await d.one("mai")
    d.says("mai", "Đã dọn bãi rác và cắm biển cấm đổ rác.")
    await d.one("mai")
    d.chooses("mai", "Gửi trả lời")
    assert await d.one("mai") == (
        "Đã ghi nhận trả lời hồ sơ PA-2026-000001. Hồ sơ không có tài khoản nhắn tin: xin báo kết quả cho "
        "người dân theo liên hệ: Ông Lê Văn Bình, 0988 111 222")
    async with scene.world.db.unit_of_work(readonly=True) as uow:
        case = (await uow.session.execute(select(Case))).scalar_one()
    assert (case.source, case.reply_identity_id, case.status) == ("phone", None, "resolved")
    assert [a for a, _, _ in await scene.world.events(case.id)] == ["submitted", "recorded", "accepted", "answered"]


@pytest.mark.parametrize("channel", list(EVERY_CHANNEL))
async def test_a_walk_in_case_recorded_at_the_desk(db_url: str, channel: str) -> None:
    async with EVERY_CHANNEL[channel](db_url) as scene:
        await record_journey(scene)
