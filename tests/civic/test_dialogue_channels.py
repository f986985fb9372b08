"""The acceptance of dialogue sessions on Telegram (buttons), Zalo (numbered lists; the office and a citizen type
labels without diacritics) and the web chat (a real WebSocket), the office working from its own chat on the
same channel: it schedules the session, the followers are invited, 30 questions come in advance (one with a
photo) with supports and 5 near-duplicates joined instead of repeated, the office reads the ranking (checked
literally), assigns questions, records the answers (pasted as the minutes), each delivered to every asker and
supporter exactly once, closes the session, the two questions left unanswered become routed cases whose codes
their askers are told, and the public minutes page shows it all."""

from __future__ import annotations

import asyncio
import unicodedata
from collections import Counter
from datetime import datetime, timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.services.context import AppContext
from bot.services.org_view import OrgCache
from bot.web.dialogue import DialogueRoutes
from bot.web.limits import EdgeLimits, EdgeRules
from storage.models import Attachment, Case, ChannelIdentity, DialogueQuestion
from tests.channels.test_same_journeys import ON, VN, Scene, photo
from tests.civic.test_dialogue_session import LATE, NEAR, QUESTIONS
from tests.officials.world import World

ASKED = [*QUESTIONS, *LATE]  # 30 questions, the i-th asked by citizen i+1
JOINERS = {31: 0, 32: 1, 33: 2, 34: 4, 35: 9}  # citizen -> the question (index) their near-duplicate joins
SUPPORTERS = (21, 22, 23)  # support question 4 from the list, after asking their own
USERS = {"office": 881000, **{f"c{n}": 881000 + n for n in range(1, 36)}}
TITLE = "Đối thoại về hạ tầng đô thị phường Sao Đỏ"
ANSWERED = "Trả lời tại buổi đối thoại số 1."


def plain(label: str) -> str:
    """A label as typed on a phone without Vietnamese input: no diacritics, lower case."""
    text = unicodedata.normalize("NFD", label.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


class Phone:
    """One channel's people; a label is pressed (Telegram, web) or typed without diacritics (Zalo)."""

    def __init__(self, scene: Scene, channel: str) -> None:
        self.scene, self.channel, self.d = scene, channel, scene.driver

    def choose(self, user: str, label: str) -> None:
        if self.channel == "zalo":
            self.d.says(user, plain(label))
        elif label in self.d.choices(user):
            self.d.chooses(user, label)
        else:  # a list too long for buttons comes numbered: its label typed back
            self.d.says(user, label)

    async def step(self, user: str, label_or_text: str, expect: str, *, typed: bool = False) -> str:
        if typed:
            self.d.says(user, label_or_text)
        else:
            self.choose(user, label_or_text)
        return await self.scene.expect(user, expect)


async def _onboard(scene: Scene, user: str) -> None:
    scene.begins(user)
    await scene.expect(user, "Thông báo xử lý dữ liệu cá nhân")
    scene.driver.chooses(user, "Tôi đồng ý")
    await scene.expect(user, "Bạn muốn làm gì? Chọn một mục:")


async def _follow(phone: Phone, user: str) -> None:
    """/follow: the whole city, every topic (the labels typed without diacritics on Zalo)."""
    await phone.step(user, "/follow", "Bạn muốn nhận thông báo về khu vực nào?", typed=True)
    await phone.step(user, "Cả thành phố", "Chọn các chủ đề")
    await phone.step(user, "Tất cả chủ đề", "Đã đăng ký nhận thông báo: Cả thành phố")


async def _open_question(phone: Phone, user: str) -> None:
    """/dialogue, the session, «Gửi câu hỏi»: ready to type the question."""
    phone.d.says(user, "/dialogue")
    await phone.scene.expect(user, "Các buổi đối thoại sắp tới. Chọn một buổi:")
    phone.d.chooses(user, phone.d.choices(user)[0])
    await phone.scene.expect(user, "Đối thoại số 1: " + TITLE)
    await phone.step(user, "Gửi câu hỏi", "Nhập câu hỏi của bạn:")


async def _schedule(phone: Phone, followers_ready: asyncio.Event) -> None:
    office, expect = "office", phone.scene.expect
    await phone.step("office", "Đối thoại với nhân dân", "Chưa có buổi đối thoại nào đang mở.")
    await phone.step(office, "Lên lịch buổi đối thoại mới", "Buổi đối thoại dành cho khu vực nào?")
    await phone.step(office, "Sao Đỏ", "Chủ đề của buổi đối thoại?")
    await phone.step(office, "Tất cả chủ đề", "Nhập tên buổi đối thoại", )
    await phone.step(office, TITLE, "Ngày giờ đối thoại?", typed=True)
    await phone.step(office, "19h30 13/02/2026", "Hình thức đối thoại?", typed=True)
    await phone.step(office, "Trực tiếp và trực tuyến", "Nhập địa điểm")
    await phone.step(office, "Hội trường UBND phường Sao Đỏ", "Nhập đường dẫn", typed=True)
    await phone.step(office, "https://meet.example/saodo", "Lãnh đạo dự đối thoại?", typed=True)
    await phone.step(office, "Nguyễn Văn Thành", "Lãnh đạo dự đối thoại?", typed=True)  # a name typed ticks it
    await phone.step(office, "vu dinh loc", "Lãnh đạo dự đối thoại?", typed=True)
    await followers_ready.wait()  # the citizens were meanwhile starting to use the bot and following the ward
    confirm = await phone.step(office, "Xong", "Xin kiểm tra lại:")
    assert confirm.startswith(
        f"Xin kiểm tra lại:\n{TITLE}\nKhu vực: Sao Đỏ\nChủ đề: Tất cả chủ đề\nThời gian: 19:30 13/02/2026\n"
        "Địa điểm: Hội trường UBND phường Sao Đỏ - https://meet.example/saodo\n"
        "Lãnh đạo dự: Nguyễn Văn Thành, Vũ Đình Lộc\nSẽ mời 35 người theo dõi.")
    await phone.step(office, "Lên lịch và gửi lời mời",
                     "Đã lên lịch buổi đối thoại số 1 và gửi lời mời tới 35 người theo dõi.")
    await expect(office, "Câu hỏi: 0, đã giao: 0, đã trả lời: 0.")


async def _questions(phone: Phone) -> None:
    scene, d = phone.scene, phone.d
    users = [f"c{n}" for n in range(1, 31)]
    await asyncio.gather(*(_open_question(phone, u) for u in users))
    for n, (user, question) in enumerate(zip(users, ASKED, strict=True), 1):  # one at a time: the numbers in order
        if n == 4:  # a photo first, then the words
            d.sends_photo(user, photo())
            await scene.expect(user, "Đã nhận ảnh, ảnh sẽ đi kèm câu hỏi. Nhập câu hỏi của bạn:")
        d.says(user, question)
        assert await scene.expect(user, "Đã nhận câu hỏi") == (
            f"Đã nhận câu hỏi số {n}. Bạn sẽ nhận được câu trả lời sau buổi đối thoại.")

    async def join(n: int, index: int) -> None:
        user = f"c{n}"
        await _open_question(phone, user)
        d.says(user, NEAR[index])
        assert await scene.expect(user, "Đã có câu hỏi gần giống") == (
            f"Đã có câu hỏi gần giống:\n«{ASKED[index]}»\nBạn muốn ủng hộ câu hỏi này hay vẫn gửi câu hỏi của mình?")
        await phone.step(user, "Ủng hộ câu hỏi này", "Đã ghi nhận ủng hộ của bạn.")

    async def support(n: int) -> None:
        user = f"c{n}"
        await phone.step(user, "Ủng hộ câu hỏi khác", "Chọn câu bạn muốn ủng hộ:")  # back at the session
        d.chooses(user, next(c for c in d.choices(user) if c.startswith("Đèn chiếu sáng ngõ 12")))
        await scene.expect(user, "Đã ghi nhận ủng hộ của bạn.")

    await asyncio.gather(*(join(n, i) for n, i in JOINERS.items()), *(support(n) for n in SUPPORTERS))


async def _rank_and_assign(phone: Phone) -> None:
    office, expect = "office", phone.scene.expect
    phone.d.says(office, "/dialogue")
    await expect(office, "Các buổi đối thoại đơn vị bạn tổ chức.")
    phone.d.chooses(office, phone.d.choices(office)[1])
    await expect(office, "Câu hỏi: 30, đã giao: 0, đã trả lời: 0.")
    page = await phone.step(office, "Xem câu hỏi xếp hạng", "(trang 1/3)")
    assert page.split("\n")[:11] == [
        "Câu hỏi buổi đối thoại số 1, xếp theo số người ủng hộ, địa bàn, chủ đề (trang 1/3):",
        "1. [#4] 3 ủng hộ · Sao Đỏ · Đèn chiếu sáng ngõ 12 hỏng ba tháng chưa thay <b>gấp</b> → chưa giao [có ảnh]",
        "2. [#1] 1 ủng hộ · Sao Đỏ · Bao giờ sửa xong đoạn đường Nguyễn Trãi bị lún? → chưa giao",
        "3. [#2] 1 ủng hộ · Sao Đỏ · Rác thải ở chợ Sao Đỏ bao lâu mới được thu gom một lần? → chưa giao",
        "4. [#3] 1 ủng hộ · Sao Đỏ · Trường mầm non phường có nhận trẻ dưới hai tuổi không? → chưa giao",
        "5. [#5] 1 ủng hộ · Sao Đỏ · Thủ tục cấp sổ đỏ cho đất thổ cư mất bao nhiêu ngày? → chưa giao",
        "6. [#10] 1 ủng hộ · Sao Đỏ · Khi nào có nước sạch cho khu dân cư Mật Sơn? → chưa giao",
        "7. [#6] 0 ủng hộ · Sao Đỏ · Phường có kế hoạch nạo vét kênh tiêu nước trước mùa mưa không? → chưa giao",
        "8. [#7] 0 ủng hộ · Sao Đỏ · Quán karaoke hát khuya gây ồn, ai xử lý? → chưa giao",
        "9. [#8] 0 ủng hộ · Sao Đỏ · Xe tải chở vật liệu rơi vãi đất cát trên quốc lộ 18 → chưa giao",
        "10. [#9] 0 ủng hộ · Sao Đỏ · Hộ nghèo được hỗ trợ tiền điện như thế nào? → chưa giao"]
    page = await phone.step(office, "Trang sau", "(trang 2/3)")
    assert [line.split(" ")[1] for line in page.split("\n")[1:11]] == [f"[#{n}]" for n in range(11, 21)]
    page = await phone.step(office, "Trang sau", "(trang 3/3)")
    assert [line.split(" ")[1] for line in page.split("\n")[1:11]] == [f"[#{n}]" for n in range(21, 31)]
    await phone.step(office, "Quay lại", "Câu hỏi: 30,")
    await phone.step(office, "Giao câu hỏi cho đơn vị", "Chọn câu hỏi cần giao")
    await phone.step(office, "#4", "Giao câu hỏi #4 cho đơn vị nào?", typed=True)
    await phone.step(office, "quan ly do thi", "Đã giao câu hỏi #4 cho Phòng Quản lý đô thị.", typed=True)
    await phone.step(office, "#1", "Giao câu hỏi #1 cho đơn vị nào?", typed=True)
    await phone.step(office, "UBND phường Sao Đỏ", "Đã giao câu hỏi #1 cho UBND phường Sao Đỏ.")


async def _answer_and_close(phone: Phone) -> None:
    office, expect = "office", phone.scene.expect
    phone.d.says(office, "/dialogue")
    await expect(office, "Các buổi đối thoại đơn vị bạn tổ chức.")
    phone.d.chooses(office, phone.d.choices(office)[1])
    await expect(office, "Câu hỏi: 30, đã giao: 2, đã trả lời: 0.")
    await phone.step(office, "Ghi câu trả lời", "Ai trả lời các câu hỏi tiếp theo?")
    prompt = await phone.step(office, "Nguyễn Văn Thành", "Câu hỏi #4 (3 ủng hộ):")
    assert "\nNgười trả lời: Nguyễn Văn Thành\n" in prompt
    # The minutes typed up after the session, pasted in two messages; a long answer runs over two lines.
    first = "\n".join(f"#{n}: Trả lời câu {n}: đã giao đơn vị xử lý." for n in (4, *range(1, 4), *range(5, 15)))
    done = await phone.step(office, first + "\nLịch cụ thể sẽ thông báo sau.", "Đã ghi 14 câu trả lời", typed=True)
    assert done.startswith("Đã ghi 14 câu trả lời (#4, #1, #2, #3, #5, #6, #7, #8, #9, #10, #11, #12, #13, #14) và "
                           "gửi tới 22 lượt người đã hỏi, ủng hộ.")
    second = "\n".join(f"#{n}: Trả lời câu {n}: đã giao đơn vị xử lý." for n in range(15, 29))
    await phone.step(office, second, "Đã ghi 14 câu trả lời (#15,", typed=True)
    assert (await expect(office, "Câu hỏi #29 (0 ủng hộ):")).startswith(f"Câu hỏi #29 (0 ủng hộ):\n«{LATE[0]}»")
    await phone.step(office, "Bỏ qua câu này", "Câu hỏi #30 (0 ủng hộ):")
    await phone.step(office, "Bỏ qua câu này", "Các câu còn lại đã được bỏ qua")
    await phone.step(office, "Kết thúc buổi đối thoại", "2 câu hỏi chưa có câu trả lời sẽ thành hồ sơ")
    closed = await phone.step(office, "Kết thúc", "Đã kết thúc buổi đối thoại số 1.")
    assert closed == ("Đã kết thúc buổi đối thoại số 1. 2 câu hỏi chưa trả lời đã thành hồ sơ: HD-2026-000001, "
                      "HD-2026-000002. Biên bản: /dialogue/1")


async def _delivered_once(scene: Scene) -> None:
    """Every asker and supporter has each answer once; the two whose questions were left have their codes."""
    expected: Counter[str] = Counter()
    for n in range(1, 29):
        expected[f"c{n}"] += 1
    for n in JOINERS:
        expected[f"c{n}"] += 1
    for n in SUPPORTERS:
        expected[f"c{n}"] += 1
    def answers() -> dict[str, int]:
        return {user: sum(text.count(ANSWERED) for text in scene.driver.texts_to(user))
                for user in USERS if user != "office"}

    async def received(user: str, count: int) -> None:
        seen = 0
        while seen < count:  # two answers may come as one message
            seen += (await scene.expect(user, ANSWERED)).count(ANSWERED)

    await asyncio.gather(*(received(user, count) for user, count in expected.items()))
    for n, code in ((29, "HD-2026-000001"), (30, "HD-2026-000002")):
        told = await scene.expect(f"c{n}", "đã được chuyển thành hồ sơ")
        assert f"\nMã theo dõi: {code}\n" in told
    got = answers()
    assert got == {user: expected[user] for user in got}
    assert sum(got.values()) == 28 + 5 + 3
    assert "Trả lời (Nguyễn Văn Thành): Trả lời câu 4: đã giao đơn vị xử lý." in "\n".join(scene.driver.texts_to("c21"))


async def _minutes(scene: Scene) -> None:
    app = web.Application()
    DialogueRoutes(scene.db, AppContext(clock=scene.clock, tz=VN, org=OrgCache())).install(app)
    async with TestClient(TestServer(app)) as client:
        page = await (await client.get("/dialogue/1")).text()
    assert f"Đối thoại số 1: {TITLE}" in page
    assert "Lãnh đạo dự: Nguyễn Văn Thành, Vũ Đình Lộc" in page
    assert "Đèn chiếu sáng ngõ 12 hỏng ba tháng chưa thay &lt;b&gt;gấp&lt;/b&gt;" in page
    assert "<strong>Trả lời (Nguyễn Văn Thành):</strong> Trả lời câu 4: đã giao đơn vị xử lý." in page
    assert "<strong>Trả lời (Nguyễn Văn Thành):</strong> Trả lời câu 14: đã giao đơn vị xử lý.\nLịch cụ thể" in page
    assert page.count("<strong>Trả lời (") == 28
    assert page.count("Đã chuyển thành hồ sơ HD-2026-") == 2
    assert page.index("Đèn chiếu sáng ngõ 12") < page.index("Bao giờ sửa xong") < page.index(LATE[1])


# Telegram and Zalo pace each chat at about a message a second (the office's ~40 steps): slow, so each of them
# runs on one database (the engine-level test runs the whole session on both); the web chat on both.
@pytest.mark.parametrize(("db_url", "channel"), [
    pytest.param("postgres", "telegram", marks=pytest.mark.slow), pytest.param("sqlite", "zalo", marks=pytest.mark.slow),
    ("sqlite", "web"), ("postgres", "web")], indirect=["db_url"])
async def test_a_dialogue_session_end_to_end_on_every_channel(db_url: str, channel: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # The office here types faster than anyone can (20 steps in a few seconds): the web chat's per-visitor
    # flood limit, tested in tests/web/test_abuse_limits.py, is given room so that it is not what is tested.
    monkeypatch.setattr("bot.web.chat.EdgeLimits", lambda: EdgeLimits(EdgeRules(frames_per_visitor=100,
                                                                              frames_per_address=100)))
    async with ON[channel](db_url, USERS) as scene:
        phone, d = Phone(scene, channel), scene.driver
        world = World(scene.db, scene.clock)
        async with world.services() as s:
            code = (await s.officials.invite(seat="UBND_SECRETARIAT")).code
        d.says("office", code)
        await scene.expect("office", "Đã liên kết tài khoản: Bùi Thị Lan")
        ready = asyncio.Event()

        async def citizens() -> None:
            await asyncio.gather(*(_onboard(scene, f"c{n}") for n in range(1, 36)))
            async with world.services() as s:  # following the ward, as set up; /follow itself by one of them
                for identity in (await s.session.execute(select(ChannelIdentity).where(
                        ChannelIdentity.channel == channel, ChannelIdentity.official_id.is_(None),
                        ChannelIdentity.citizen_id.is_not(None)))).scalars():
                    assert identity.citizen_id is not None
                    await s.following.follow(identity.id, identity.citizen_id, "SAODO", [], scene.clock.now())
            await _follow(phone, "c1")
            ready.set()

        await asyncio.gather(_schedule(phone, ready), citizens())
        await asyncio.gather(*(scene.expect(f"c{n}", "Mời bạn tham dự buổi đối thoại với lãnh đạo.")
                               for n in range(1, 36)))
        await _questions(phone)
        await _rank_and_assign(phone)
        async with scene.db.unit_of_work(readonly=True) as uow:
            q4 = await uow.session.get(DialogueQuestion, 4)
            assert q4 is not None and q4.attachment_id is not None
            kept = await uow.session.get(Attachment, q4.attachment_id)
            assert kept is not None and kept.kind == "photo"

        scene.clock.set(datetime(2026, 2, 13, 19, 30, tzinfo=VN) + timedelta(hours=2))  # the session was held
        await _answer_and_close(phone)
        scene.wake()
        await _delivered_once(scene)
        async with scene.db.unit_of_work(readonly=True) as uow:
            cases = list((await uow.session.execute(select(Case).order_by(Case.id))).scalars())
        assert [(c.code, c.kind, c.text) for c in cases] == [
            ("HD-2026-000001", "question", LATE[0]), ("HD-2026-000002", "question", LATE[1])]
        await _minutes(scene)
