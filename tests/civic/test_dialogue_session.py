"""A dialogue session end to end on the engine with a fake clock: scheduled by the leader's office, followers
invited, 30 questions in advance through /dialogue with 5 near-duplicates joined instead of repeated, supports,
the ranking checked literally, assignment, the day-before reminder, answers delivered once to every asker and
supporter, the public minutes page, and two unanswered questions turned into routed cases."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.services.dialogues import near_duplicate, remind_dialogues
from bot.web.dialogue import DialogueRoutes
from storage.models import Case, ChannelIdentity, OutboxItem
from tests.flows.chat_driver import VN, keys, make_bot, texts
from tests.officials.world import World

QUESTIONS = [
    "Bao giờ sửa xong đoạn đường Nguyễn Trãi bị lún?",
    "Rác thải ở chợ Sao Đỏ bao lâu mới được thu gom một lần?",
    "Trường mầm non phường có nhận trẻ dưới hai tuổi không?",
    "Đèn chiếu sáng ngõ 12 hỏng ba tháng chưa thay <b>gấp</b>",
    "Thủ tục cấp sổ đỏ cho đất thổ cư mất bao nhiêu ngày?",
    "Phường có kế hoạch nạo vét kênh tiêu nước trước mùa mưa không?",
    "Quán karaoke hát khuya gây ồn, ai xử lý?",
    "Xe tải chở vật liệu rơi vãi đất cát trên quốc lộ 18",
    "Hộ nghèo được hỗ trợ tiền điện như thế nào?",
    "Khi nào có nước sạch cho khu dân cư Mật Sơn?",
    "Vỉa hè trước trường tiểu học bị lấn chiếm bán hàng",
    "Cây xanh đổ chắn lối đi sau bão chưa dọn",
    "Xin giải thích quy hoạch mở rộng khu công nghiệp",
    "Người cao tuổi làm thẻ bảo hiểm y tế ở đâu?",
    "Cống thoát nước bốc mùi hôi cạnh nhà văn hóa",
    "Bãi đỗ xe tự phát dưới chân cầu có được phép?",
    "Trạm y tế phường mở cửa thứ Bảy không?",
    "Chó thả rông cắn người ở khu tập thể",
    "Đề nghị lắp camera an ninh ở ngã tư chợ",
    "Hướng dẫn đăng ký kinh doanh hộ cá thể",
    "Tiền đền bù giải phóng mặt bằng khi nào chi trả?",
    "Nhà văn hóa khu dân cư xuống cấp cần sửa chữa",
    "Điểm tiêm chủng cho trẻ em năm nay ở đâu?",
    "Khói đốt rơm rạ ngoài đồng gây ô nhiễm",
    "Lịch cắt điện định kỳ được thông báo ở đâu?",
    "Biển báo giao thông bị che khuất bởi cây",
    "Sân chơi thiếu nhi có thiết bị hỏng nguy hiểm",
    "Làm sao phản ánh việc xây nhà sai phép?",
]
LATE = [  # asked through the service for another area: ranked after their peers by area, never answered
    "Bến đò Phả Lại cần thêm áo phao cho khách",
    "Đường lên đền Côn Sơn cần thêm đèn chiếu sáng",
]
# Typed again by someone else, without accents or with small changes: joined instead of repeated.
NEAR = {
    0: "bao gio sua xong doan duong Nguyen Trai bi lun",
    1: "Rac thai o cho Sao Do bao lau moi duoc thu gom mot lan?",
    2: "Trường mầm non phường có nhận trẻ dưới 2 tuổi không",
    4: "thu tuc cap so do cho dat tho cu mat bao nhieu ngay",
    9: "Khi nào có nước sạch cho khu Mật Sơn?",
}


def test_near_duplicates_are_found_without_accents() -> None:
    for index, typed in NEAR.items():
        assert near_duplicate(typed, QUESTIONS[index]), typed
    distinct = QUESTIONS + LATE
    assert not any(near_duplicate(a, b) for i, a in enumerate(distinct) for b in distinct[i + 1:])


async def _ask(chat, text: str) -> list[str]:
    await chat.says("/dialogue")
    await chat.presses("session:1")
    await chat.presses("ask")
    return texts(await chat.says(text))


async def test_a_dialogue_session_from_invitation_to_minutes(database) -> None:
    bot = make_bot(database)
    world = World(database, bot.clock)
    office = await world.official("UBND_SECRETARIAT", chat="off-sec", channel="loop")
    leader = await world.official("UBND_LEADER", chat="off-leader", channel="loop")
    people = [bot.chat(7000 + i) for i in range(1, 31)]
    for person in people:
        await person.consents()
    async with world.services() as s:
        ids = dict((await s.session.execute(select(ChannelIdentity.chat_id, ChannelIdentity.id))).all())
        cits = dict((await s.session.execute(select(ChannelIdentity.chat_id, ChannelIdentity.citizen_id))).all())
        for person in people:
            chat = str(person.chat_id)
            await s.following.follow(ids[chat], cits[chat], "SAODO", [], bot.clock.now())

    starts = (bot.clock.now().astimezone(VN) + timedelta(days=5)).replace(hour=8, minute=0)
    async with world.services() as s:
        session = await s.dialogues.schedule(
            office.official_id, title="Đối thoại về hạ tầng đô thị phường Sao Đỏ", starts_at=starts,
            area="SAODO", topic=None, place="Hội trường UBND phường Sao Đỏ", link="https://meet.example/saodo",
            attendees=("UBND_LEADER", "QLDT_HEAD"))
    assert session.id == 1
    invitations = await world.outbox()
    invited = [r for r in invitations if (r.dedup_key or "").startswith("dlg-inv:1:")]
    assert len(invited) == 30 and {r.purpose for r in invited} == {"announcement"}
    assert invited[0].payload["text"].startswith(
        "Mời bạn tham dự buổi đối thoại với lãnh đạo.\n"
        "Đối thoại số 1: Đối thoại về hạ tầng đô thị phường Sao Đỏ\nĐơn vị tổ chức: UBND thành phố Chí Linh\n")
    assert "Lãnh đạo dự: Nguyễn Văn Thành, " in invited[0].payload["text"]
    assert "Địa điểm: Hội trường UBND phường Sao Đỏ - https://meet.example/saodo" in invited[0].payload["text"]

    # 28 questions through the chat, one citizen each.
    for person, question in zip(people, QUESTIONS, strict=False):
        replies = await _ask(person, question)
        assert replies[0].startswith("Đã nhận câu hỏi số "), replies
    # Five near-duplicates from five others: offered the existing question, they join it.
    joiners = people[28:30] + people[10:13]
    for person, (index, typed) in zip(joiners, NEAR.items(), strict=True):
        replies = await _ask(person, typed)
        assert replies == [f"Đã có câu hỏi gần giống:\n«{QUESTIONS[index]}»\nBạn muốn ủng hộ câu hỏi này hay vẫn "
                           "gửi câu hỏi của mình?"]
        assert texts(await person.presses("join"))[0] == "Đã ghi nhận ủng hộ của bạn. Bạn sẽ nhận được câu trả lời."
    # Supports from the list: question 4 (the street light) by three more; a second support does not count.
    for person in people[20:23]:
        await person.says("/dialogue")
        await person.presses("session:1")
        replies = await person.presses("support")
        # The most supported first: question 1 while 4 has fewer supports, the earlier on a tie, then 4.
        assert keys(replies[0])[0] == ("q:4" if person is people[22] else "q:1")
        assert texts(await person.presses("q:4"))[0].startswith("Đã ghi nhận ủng hộ")
    await people[20].says("/dialogue")
    await people[20].presses("session:1")
    await people[20].presses("support")
    assert texts(await people[20].presses("q:4"))[0] == "Bạn đã ủng hộ hoặc chính bạn đã gửi câu hỏi này."
    async with world.services() as s:
        for offset, question in enumerate(LATE):
            chat = str(people[offset].chat_id)
            asked = await s.dialogues.ask(1, citizen_id=cits[chat], identity_id=ids[chat], text=question,
                                          area="PHALAI")
            assert asked.question_id == 29 + offset

    async with world.services(commit=False) as s:
        ranked = [(q.id, q.supports, q.area_code) for q in await s.dialogues.ranked(1)]
    # 30 questions: supports first, then area code (PHALAI before SAODO), then the earlier question.
    assert len(ranked) == 30
    assert ranked[:8] == [(4, 3, "SAODO"), (1, 1, "SAODO"), (2, 1, "SAODO"), (3, 1, "SAODO"), (5, 1, "SAODO"),
                          (10, 1, "SAODO"), (29, 0, "PHALAI"), (30, 0, "PHALAI")]
    assert [q for q, _, _ in ranked[8:]] == [6, 7, 8, 9, *range(11, 29)]

    # The office assigns the chosen questions; the day before, attendees and those askers are reminded.
    async with world.services() as s:
        for question, unit in ((4, "QLDT"), (1, "QLDT"), (2, "P_SAODO")):
            await s.dialogues.assign(office.official_id, question, unit)
    listed = texts(await bot.chat(office.chat).says("/questions"))  # type: ignore[arg-type]
    assert listed[0].split("\n")[5:9] == [
        "1. [#4] 3 ủng hộ · Sao Đỏ · Đèn chiếu sáng ngõ 12 hỏng ba tháng chưa thay <b>gấp</b> → Phòng Quản lý đô thị",
        "2. [#1] 1 ủng hộ · Sao Đỏ · Bao giờ sửa xong đoạn đường Nguyễn Trãi bị lún? → Phòng Quản lý đô thị",
        "3. [#2] 1 ủng hộ · Sao Đỏ · Rác thải ở chợ Sao Đỏ bao lâu mới được thu gom một lần? → UBND phường Sao Đỏ",
        "4. [#3] 1 ủng hộ · Sao Đỏ · Trường mầm non phường có nhận trẻ dưới hai tuổi không? → chưa giao"]
    bot.clock.set(starts - timedelta(hours=23))
    assert await remind_dialogues(database, bot.clock, VN) == 1
    assert await remind_dialogues(database, bot.clock, VN) == 0
    reminders = [r for r in await world.outbox() if (r.dedup_key or "").startswith("dlg-rem:1:")]
    assert sorted(r.chat_id for r in reminders) == sorted([leader.chat, "7001", "7002", "7004"])

    # The session: 28 answered (the two of Phả Lại are not), each to its asker and supporters, once.
    bot.clock.set(starts + timedelta(hours=3))
    async with world.services() as s:
        told = {q: await s.dialogues.answer(office.official_id, q, f"Trả lời câu {q}: đã giao đơn vị xử lý.")
                for q in range(1, 29)}
        assert await s.dialogues.answer(office.official_id, 4, "Trả lời câu 4: đã giao đơn vị xử lý.") == 0
    assert told[4] == 4 and told[1] == 2 and told[10] == 2 and told[6] == 1
    answers = Counter(r.chat_id for r in await world.outbox() if (r.dedup_key or "").startswith("dlg-ans:"))
    assert answers["7021"] == 2  # their own question 21, and their support of question 4
    assert sum(answers.values()) == 28 + 5 + 3

    async with world.services() as s:
        codes = await s.dialogues.close(office.official_id, 1)
    assert codes == ["HD-2026-000001", "HD-2026-000002"]
    async with database.unit_of_work(readonly=True) as uow:
        cases = list((await uow.session.execute(select(Case).order_by(Case.id))).scalars())
        told_case = list((await uow.session.execute(select(OutboxItem).where(
            OutboxItem.dedup_key.like("dlg-case:%")).order_by(OutboxItem.id))).scalars())
    async with world.services(commit=False) as s:
        units = [s.org.units_by_id[c.unit_id].code for c in cases]
    assert [(c.kind, c.text) for c in cases] == [("question", LATE[0]), ("question", LATE[1])]
    assert units == ["P_PHALAI", "P_PHALAI"]
    assert [r.chat_id for r in told_case] == ["7001", "7002"]
    assert told_case[0].payload["text"].startswith(
        "Câu hỏi của bạn tại buổi đối thoại số 1 chưa được trả lời trực tiếp nên đã được chuyển thành hồ sơ để "
        "giải quyết.\nMã theo dõi: HD-2026-000001\n")

    # The minutes, without a messenger: every question, the answer and who gave it, the cases; all escaped.
    app = web.Application()
    DialogueRoutes(database, bot.app).install(app)
    async with TestClient(TestServer(app)) as client:
        page = await (await client.get("/dialogue/1")).text()
        missing = await client.get("/dialogue/99")
    assert missing.status == 404
    assert "Đối thoại số 1: Đối thoại về hạ tầng đô thị phường Sao Đỏ" in page
    assert "Đèn chiếu sáng ngõ 12 hỏng ba tháng chưa thay &lt;b&gt;gấp&lt;/b&gt;" in page
    assert "<b>gấp" not in page
    assert "<strong>Trả lời (Bùi Thị Lan):</strong> Trả lời câu 4: đã giao đơn vị xử lý." in page
    assert "3 người ủng hộ" in page
    assert page.count("Đã chuyển thành hồ sơ HD-2026-") == 2
    assert page.index("Đèn chiếu sáng ngõ 12") < page.index("Bao giờ sửa xong")
