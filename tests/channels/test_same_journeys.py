"""The same citizen journeys on every channel, each against its real protocol, leaving the same case rows.

A photo-first report, a question, and rating the answer an official gives through the real case service: on
Telegram (local Bot API server, buttons), the Zalo Bot API (local server, polling, numbered lists), the Zalo
Official Account (signed webhook events, numbered lists) and the web chat (a real WebSocket, buttons). The
flows never branch on the channel, so what ends up in the database must be identical.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import select

from bot.clock import FakeClock
from bot.container import Container
from storage.models import Area, Attachment, Case, Category, ChannelIdentity, Official, Unit
from storage.uow import Database
from tests.officials.drivers import Driver, TelegramDriver, ZaloDriver
from tests.officials.world import World
from tests.support.channel_drivers import WebDriver, ZaloOADriver
from tests.support.fake_zalo_bot import FakeZaloBot
from tests.support.fake_zalo_oa import FakeZaloOA
from tests.support.harness import fake_telegram, running_bot, settings_for
from tests.support.web_client import serving

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# Friday 13/02/2026 10:00 in Hanoi, a working day, inside the officials' hours.
NOW = datetime(2026, 2, 13, 10, 0, tzinfo=VN).astimezone(UTC)
USERS = {"citizen": 880011}
REPORT = "Cống vỡ nắp ở khu dân cư Tiền Định, xe máy sập bánh"
QUESTION = "Xin cấp phép xây dựng nhà ở riêng lẻ cần những giấy tờ gì?"
ANSWER = "Đã thay nắp cống mới tại khu dân cư Tiền Định."


@dataclass
class Scene:
    """One running application on one channel: the citizen's driver, the services, the dispatcher's bell."""

    driver: Driver
    db: Database
    clock: FakeClock
    wake: Callable[[], None]
    seen: dict[str, int] = field(default_factory=dict)

    async def expect(self, user: str, fragment: str, within: float = 60.0) -> str:
        """The next message to `user` containing `fragment` (messages before it are passed over)."""
        if isinstance(self.driver, WebDriver):
            await self.driver.sent()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            texts = self.driver.texts_to(user)
            start = self.seen.get(user, 0)
            for index in range(start, len(texts)):
                if fragment in texts[index]:
                    self.seen[user] = index + 1
                    return texts[index]
            if loop.time() > deadline:
                raise AssertionError(f"{fragment!r} never reached {user}; after message {start}: {texts[start:]}")
            await asyncio.sleep(0.1)

    def begins(self, user: str) -> None:
        if isinstance(self.driver, WebDriver):
            self.driver.begins(user)
        else:
            self.driver.says(user, "/start")


@asynccontextmanager
async def on_telegram(db_url: str, users: dict[str, int] = USERS) -> AsyncIterator[Scene]:
    clock = FakeClock(NOW)
    async with fake_telegram() as tg, running_bot(db_url, tg, clock=clock) as bot:
        yield Scene(TelegramDriver(tg, users), bot.db, clock, bot.sender.wake)


@asynccontextmanager
async def on_zalo(db_url: str, users: dict[str, int] = USERS) -> AsyncIterator[Scene]:
    clock = FakeClock(NOW)
    zalo = await FakeZaloBot().start()
    try:
        async with running_bot(db_url, None, clock=clock, **zalo.settings()) as bot:  # type: ignore[arg-type]
            yield Scene(ZaloDriver(zalo, users), bot.db, clock, bot.sender.wake)
    finally:
        await zalo.stop()


@asynccontextmanager
async def on_zalo_oa(db_url: str, users: dict[str, int] = USERS) -> AsyncIterator[Scene]:
    clock = FakeClock(NOW)
    oa = await FakeZaloOA(clock=clock).start()
    try:
        async with running_bot(db_url, None, polling=False, clock=clock,  # type: ignore[arg-type]
                               **oa.settings()) as bot:
            await oa.connect(bot.web_app())
            yield Scene(ZaloOADriver(oa, users), bot.db, clock, bot.sender.wake)
    finally:
        await oa.stop()


@asynccontextmanager
async def on_web(db_url: str, users: dict[str, int] = USERS) -> AsyncIterator[Scene]:
    clock = FakeClock(NOW)
    crowd = len(users) > 1  # many people: each on their own address, behind the portal's proxy
    crowded = {"trusted_proxies": "127.0.0.1", "web_proof_bits": 8} if crowd else {}  # 36 human checks: lighter
    container = Container(settings_for(db_url, **crowded), clock=clock)
    async with serving(container) as base:
        driver = await WebDriver(base).open(*users, own_addresses=crowd)
        try:
            yield Scene(driver, container.db, clock, container.sender.wake)
        finally:
            await driver.close()


ON = {"telegram": on_telegram, "zalo": on_zalo, "zalo_oa": on_zalo_oa, "web": on_web}


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


async def onboard(scene: Scene) -> None:
    d = scene.driver
    scene.begins("citizen")
    await scene.expect("citizen", "Thông báo xử lý dữ liệu cá nhân (phiên bản 2026-01)")
    d.chooses("citizen", "Tôi đồng ý")
    await scene.expect("citizen", "Cảm ơn bạn. Bạn có thể bắt đầu.")
    await scene.expect("citizen", "Bạn muốn làm gì? Chọn một mục:")


async def photo_first_report(scene: Scene) -> None:
    d = scene.driver
    d.sends_photo("citizen", photo())
    assert (await scene.expect("citizen", "Đã nhận ảnh")).startswith(
        "Đã nhận ảnh (1/5).\n\nViệc bạn báo thuộc loại nào?")
    d.chooses("citizen", "Phản ánh, kiến nghị")
    assert await scene.expect("citizen", "mô tả") == (
        "Xin viết vài chữ mô tả sự việc (hoặc gửi tin nhắn thoại). Nếu không muốn viết, chọn «Bỏ qua».")
    d.says("citizen", REPORT)
    assert await scene.expect("citizen", "lĩnh vực") == "Việc này thuộc lĩnh vực nào? Theo nội dung bạn gửi, có thể là:"
    d.chooses("citizen", "Hư hỏng đường, cầu, cống")
    assert await scene.expect("citizen", "kiểm tra lại") == (
        "Xin kiểm tra lại trước khi gửi:\nLoại: Phản ánh, kiến nghị\nLĩnh vực: Hư hỏng đường, cầu, cống\nĐịa bàn: "
        f"Khu dân cư Tiền Định thuộc phường Sao Đỏ\nNội dung: {REPORT}\nKèm theo: 1 ảnh\n"
        "Nơi nhận: Phòng Quản lý đô thị")
    d.chooses("citizen", "Gửi")
    receipt = await scene.expect("citizen", "Mã theo dõi")
    assert receipt.startswith("Đã tiếp nhận phản ánh của bạn.\nMã theo dõi: PA-2026-000001\n")
    assert "\nĐơn vị xử lý: Phòng Quản lý đô thị\nHạn trả lời: trước 17:00 thứ Sáu, 27/02/2026\n" in receipt


async def question(scene: Scene) -> None:
    d = scene.driver
    d.says("citizen", QUESTION)
    await scene.expect("citizen", "Việc bạn báo thuộc loại nào?")
    d.chooses("citizen", "Hỏi")
    assert (await scene.expect("citizen", "phường, xã nào")).startswith(
        "Câu hỏi của bạn liên quan đến phường, xã nào? Chọn trong danh sách, gõ tên, hoặc chọn «Không rõ / không ở "
        "phường nào».")
    d.says("citizen", "Sao Đỏ")
    assert await scene.expect("citizen", "lĩnh vực") == "Việc này thuộc lĩnh vực nào? Theo nội dung bạn gửi, có thể là:"
    assert d.choices("citizen") == ["Xây dựng trái phép", "Thủ tục hành chính", "Lĩnh vực khác..."]
    d.chooses("citizen", "Thủ tục hành chính")
    assert await scene.expect("citizen", "kiểm tra lại") == (
        "Xin kiểm tra lại trước khi gửi:\nLoại: Hỏi\nLĩnh vực: Thủ tục hành chính\nĐịa bàn: phường Sao Đỏ\n"
        f"Nội dung: {QUESTION}\nKèm theo: (không có)\nNơi nhận: UBND phường Sao Đỏ")
    d.chooses("citizen", "Gửi")
    receipt = await scene.expect("citizen", "Mã theo dõi")
    assert receipt.startswith("Đã tiếp nhận câu hỏi của bạn.\nMã theo dõi: HD-2026-000001\n")


async def rating(scene: Scene) -> None:
    """An officer of the unit takes the report and answers through the case service; the citizen is satisfied."""
    world = World(scene.db, scene.clock)
    async with scene.db.unit_of_work(readonly=True) as uow:
        officer = (await uow.session.execute(select(Official.id).where(Official.seat == "QLDT_OFF1"))).scalar_one()
        case_id = (await uow.session.execute(select(Case.id).where(Case.code == "PA-2026-000001"))).scalar_one()
    async with world.services() as s:
        await s.case_actions.accept(officer, case_id)
        await s.case_actions.answer(officer, case_id, ANSWER)
    scene.wake()
    assert await scene.expect("citizen", "PA-2026-000001 của") == (
        f"Trả lời hồ sơ PA-2026-000001 của Phòng Quản lý đô thị:\n{ANSWER}\n\n"
        "Bạn có hài lòng với kết quả giải quyết không?")
    scene.driver.chooses("citizen", "Hài lòng")
    assert await scene.expect("citizen", "Cảm ơn bạn đã đánh giá") == (
        "Cảm ơn bạn đã đánh giá. Hồ sơ PA-2026-000001 đã hoàn thành.")


async def case_rows(db: Database) -> list[tuple[object, ...]]:
    """What every channel must leave: each case with its kind, category, place, unit, status and rating."""
    async with db.unit_of_work(readonly=True) as uow:
        s = uow.session
        rows = []
        for case in (await s.execute(select(Case).order_by(Case.id))).scalars():
            category = await s.get(Category, case.category_id) if case.category_id else None
            area = await s.get(Area, case.area_id) if case.area_id else None
            unit = await s.get(Unit, case.unit_id)
            identity = await s.get(ChannelIdentity, case.reply_identity_id)
            photos = (await s.execute(select(Attachment.mime).where(Attachment.case_id == case.id))).scalars()
            rows.append((case.code, case.kind, category.code if category else None, area.code if area else None,
                         unit.code if unit else None, case.status, case.rating, case.text, sorted(photos),
                         identity.channel if identity else None))
    return rows


@pytest.mark.parametrize("channel", list(ON))
async def test_the_same_journeys_leave_the_same_cases(db_url: str, channel: str) -> None:
    async with ON[channel](db_url) as scene:
        await onboard(scene)
        await photo_first_report(scene)
        await question(scene)
        await rating(scene)
        rows = await case_rows(scene.db)
    assert rows == [
        ("PA-2026-000001", "report", "duong_sa", "SAODO_TIENDINH", "QLDT", "closed", "satisfied", REPORT,
         ["image/jpeg"], channel),
        ("HD-2026-000001", "question", "thu_tuc", "SAODO", "P_SAODO", "submitted", None, QUESTION, [], channel),
    ]
