"""A dialogue session end to end on the engine with a fake clock, the office working from its chat: scheduled
(area, topic, title, date and time, place and link, attending leaders), followers invited, 30 questions in
advance through /dialogue (one with a photo) with 5 near-duplicates joined instead of repeated, supports, the
ranking checked literally in the office's chat, assignment, the day-before reminder, the answers recorded in
the chat and delivered once to every asker and supporter, the public minutes page, and the two questions
left unanswered turned into routed cases when the office closes the session."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.channels.model import MediaRef
from bot.domain.authz import Refused
from bot.services.dialogues import near_duplicate, remind_dialogues
from bot.web.dialogue import DialogueRoutes
from storage.models import Attachment, Case, ChannelIdentity, DialogueQuestion, OutboxItem
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
    await world.official("UBND_SECRETARIAT", chat="off-sec", channel="loop")
    leader = await world.official("UBND_LEADER", chat="off-leader", channel="loop")
    office = bot.chat("off-sec")  # type: ignore[arg-type]
    people = [bot.chat(7000 + i) for i in range(1, 31)]
    for person in people:
        await person.consents()
    async with world.services() as s:
        ids = dict((await s.session.execute(select(ChannelIdentity.chat_id, ChannelIdentity.id))).all())
        cits = dict((await s.session.execute(select(ChannelIdentity.chat_id, ChannelIdentity.citizen_id))).all())
        for person in people:
            chat = str(person.chat_id)
            await s.following.follow(ids[chat], cits[chat], "SAODO", [], bot.clock.now())

    # The office schedules the session from its chat.
    replies = await office.says("/dialogue")
    assert texts(replies) == ["Chưa có buổi đối thoại nào đang mở."] and keys(replies[0]) == ["new"]
    assert texts(await office.presses("new"))[0].startswith("Buổi đối thoại dành cho khu vực nào?")
    await office.presses("area:SAODO")
    await office.presses("all")
    assert texts(await office.says("Đối thoại về hạ tầng đô thị phường Sao Đỏ"))[0].startswith("Ngày giờ đối thoại?")
    assert texts(await office.says("hôm nào cũng được"))[0].startswith("Chưa đọc được ngày giờ.")
    assert texts(await office.says("12/02/2026 8:00")) == ["Thời gian này đã qua. Xin nhập một thời điểm sắp tới."]
    assert keys((await office.says("8h ngày 18/02/2026"))[0]) == ["in_person", "online", "both"]
    await office.presses("both")
    await office.says("Hội trường UBND phường Sao Đỏ")
    assert texts(await office.says("meet.example/saodo"))[0].startswith("Đường dẫn phải bắt đầu bằng https://")
    replies = await office.says("https://meet.example/saodo")
    assert keys(replies[0])[:2] == ["seat:UBND_LEADER", "seat:VP_HEAD"] and keys(replies[0])[-1] == "done"
    await office.presses("seat:UBND_LEADER")
    await office.says("vu dinh loc")  # a name typed without diacritics ticks that leader
    confirm = await office.presses("done")
    assert texts(confirm) == [
        "Xin kiểm tra lại:\nĐối thoại về hạ tầng đô thị phường Sao Đỏ\nKhu vực: Sao Đỏ\nChủ đề: Tất cả chủ đề\n"
        "Thời gian: 08:00 18/02/2026\nĐịa điểm: Hội trường UBND phường Sao Đỏ - https://meet.example/saodo\n"
        "Lãnh đạo dự: Nguyễn Văn Thành, Vũ Đình Lộc\nSẽ mời 30 người theo dõi."]
    replies = await office.presses("schedule")
    assert texts(replies)[0] == "Đã lên lịch buổi đối thoại số 1 và gửi lời mời tới 30 người theo dõi."
    assert keys(replies[-1]) == ["ranked", "assign", "answer", "close", "back"]
    starts = datetime(2026, 2, 18, 8, 0, tzinfo=VN)
    invitations = await world.outbox()
    invited = [r for r in invitations if (r.dedup_key or "").startswith("dlg-inv:1:")]
    assert len(invited) == 30 and {r.purpose for r in invited} == {"announcement"}
    assert invited[0].payload["text"].startswith(
        "Mời bạn tham dự buổi đối thoại với lãnh đạo.\n"
        "Đối thoại số 1: Đối thoại về hạ tầng đô thị phường Sao Đỏ\nĐơn vị tổ chức: UBND thành phố Chí Linh\n")
    assert "Lãnh đạo dự: Nguyễn Văn Thành, Vũ Đình Lộc" in invited[0].payload["text"]
    assert "Địa điểm: Hội trường UBND phường Sao Đỏ - https://meet.example/saodo" in invited[0].payload["text"]

    # 28 questions through the chat, one citizen each; the fourth sent as a photo with its words as caption.
    for number, (person, question) in enumerate(zip(people, QUESTIONS, strict=False), 1):
        if number == 4:
            await person.says("/dialogue")
            await person.presses("session:1")
            await person.presses("ask")
            replies = texts(await person.sends_photo("photo-ngo-12", caption=question))
        else:
            replies = await _ask(person, question)
        assert replies[0] == f"Đã nhận câu hỏi số {number}. Bạn sẽ nhận được câu trả lời sau buổi đối thoại.", replies
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
    async with world.services() as s:  # the first of these with a photo; the second tries to borrow it
        ferry = await s.dialogues.add_photo("loop", MediaRef("photo", "photo-ben-do", "image/jpeg", 40_000),
                                            ids["7001"])
        for offset, question in enumerate(LATE):
            chat = str(people[offset].chat_id)
            asked = await s.dialogues.ask(1, citizen_id=cits[chat], identity_id=ids[chat], text=question,
                                          area="PHALAI", attachment_id=ferry)
            assert asked.question_id == 29 + offset
        assert [(await s.dialogues.question(q)).attachment_id for q in (29, 30)] == [ferry, None]  # type: ignore[union-attr]

    # The ranking, in the office's chat: supports first, then area code (PHALAI before SAODO), then the earlier.
    await office.says("/dialogue")
    await office.presses("s:1")
    page = await office.presses("ranked")
    assert texts(page)[0].split("\n") == [
        "Câu hỏi buổi đối thoại số 1, xếp theo số người ủng hộ, địa bàn, chủ đề (trang 1/3):",
        "1. [#4] 3 ủng hộ · Sao Đỏ · Đèn chiếu sáng ngõ 12 hỏng ba tháng chưa thay <b>gấp</b> → chưa giao [có ảnh]",
        "2. [#1] 1 ủng hộ · Sao Đỏ · Bao giờ sửa xong đoạn đường Nguyễn Trãi bị lún? → chưa giao",
        "3. [#2] 1 ủng hộ · Sao Đỏ · Rác thải ở chợ Sao Đỏ bao lâu mới được thu gom một lần? → chưa giao",
        "4. [#3] 1 ủng hộ · Sao Đỏ · Trường mầm non phường có nhận trẻ dưới hai tuổi không? → chưa giao",
        "5. [#5] 1 ủng hộ · Sao Đỏ · Thủ tục cấp sổ đỏ cho đất thổ cư mất bao nhiêu ngày? → chưa giao",
        "6. [#10] 1 ủng hộ · Sao Đỏ · Khi nào có nước sạch cho khu dân cư Mật Sơn? → chưa giao",
        "7. [#29] 0 ủng hộ · Phả Lại · Bến đò Phả Lại cần thêm áo phao cho khách → chưa giao [có ảnh]",
        "8. [#30] 0 ủng hộ · Phả Lại · Đường lên đền Côn Sơn cần thêm đèn chiếu sáng → chưa giao",
        "9. [#6] 0 ủng hộ · Sao Đỏ · Phường có kế hoạch nạo vét kênh tiêu nước trước mùa mưa không? → chưa giao",
        "10. [#7] 0 ủng hộ · Sao Đỏ · Quán karaoke hát khuya gây ồn, ai xử lý? → chưa giao"]
    assert keys(page[0]) == ["next", "back"]
    ranked_ids = [int(line.split("[#")[1].split("]")[0]) for line in texts(page)[0].split("\n")[1:]]
    for _ in range(2):
        page = await office.presses("next")
        ranked_ids += [int(line.split("[#")[1].split("]")[0]) for line in texts(page)[0].split("\n")[1:]]
    assert ranked_ids == [4, 1, 2, 3, 5, 10, 29, 30, 6, 7, 8, 9, *range(11, 29)]
    async with database.unit_of_work(readonly=True) as uow:
        photo = (await uow.session.execute(select(Attachment).where(Attachment.platform_ref == "photo-ngo-12"))
                 ).scalar_one()
        q4 = await uow.session.get(DialogueQuestion, 4)
    assert q4 is not None and q4.attachment_id == photo.id and photo.kind == "photo"

    # The office assigns the chosen questions: a likely unit, or one found by typing its name.
    await office.presses("back")
    replies = await office.presses("assign")
    assert keys(replies[0])[:3] == ["q:4", "q:1", "q:2"]
    replies = await office.presses("q:4")
    assert texts(replies)[0].startswith("Giao câu hỏi #4 cho đơn vị nào?")
    assert keys(replies[0]) == ["u:P_SAODO", "u:UBND", "back"]
    assert texts(await office.says("quan ly do thi"))[0] == "Đã giao câu hỏi #4 cho Phòng Quản lý đô thị."
    await office.says("#1")  # the question's number, typed
    await office.says("Quản lý đô thị")
    await office.presses("q:2")
    await office.presses("u:P_SAODO")
    listed = texts(await office.says("/questions"))
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

    # Before the session nothing can be answered; after it the office records the answers in its chat: the
    # best-ranked question comes next each time; the two of Phả Lại are passed over.
    await office.says("/dialogue")
    await office.presses("s:1")
    replies = await office.presses("answer")
    assert texts(replies)[0].startswith("Buổi đối thoại chưa diễn ra")
    assert texts(await office.presses("close"))[0].startswith("Buổi đối thoại chưa diễn ra")
    bot.clock.set(starts + timedelta(hours=3))
    await office.says("/dialogue")
    await office.presses("s:1")
    replies = await office.presses("answer")
    assert keys(replies[0]) == ["seat:UBND_LEADER", "seat:QLDT_HEAD", "me"]
    prompt = texts(await office.presses("seat:UBND_LEADER"))[-1]
    assert prompt == ("Câu hỏi #4 (3 ủng hộ):\n«Đèn chiếu sáng ngõ 12 hỏng ba tháng chưa thay <b>gấp</b>»\n"
                      "Người trả lời: Nguyễn Văn Thành\nNhập câu trả lời (hoặc dán nhiều câu, mỗi câu một dòng "
                      "«#số: câu trả lời»):")
    told: dict[int, str] = {}
    while prompt.startswith("Câu hỏi #"):
        number = int(prompt.split("#")[1].split(" ")[0])
        if number in (29, 30):
            replies = await office.presses("pass")
        else:
            if number == 11:  # from here on, the head of urban management answers
                await office.presses("speaker")
                await office.presses("seat:QLDT_HEAD")
            replies = await office.says(f"Trả lời câu {number}: đã giao đơn vị xử lý.")
            told[number] = texts(replies)[0]
        prompt = texts(replies)[-1]
    assert texts(replies)[1] == ("Các câu còn lại đã được bỏ qua: khi kết thúc buổi đối thoại, chúng sẽ thành "
                                 "hồ sơ.")
    assert sorted(told) == list(range(1, 29))
    assert told[4] == "Đã ghi câu trả lời #4 và gửi tới 4 người đã hỏi, ủng hộ."
    assert told[1].endswith("gửi tới 2 người đã hỏi, ủng hộ.") and told[6].endswith("gửi tới 1 người đã hỏi, ủng hộ.")
    answers = Counter(r.chat_id for r in await world.outbox() if (r.dedup_key or "").startswith("dlg-ans:"))
    assert answers["7021"] == 2  # their own question 21, and their support of question 4
    assert sum(answers.values()) == 28 + 5 + 3

    replies = await office.presses("close")
    assert texts(replies) == ["Kết thúc buổi đối thoại số 1? 2 câu hỏi chưa có câu trả lời sẽ thành hồ sơ, chuyển tới "
                              "đơn vị giải quyết, và người hỏi được báo mã theo dõi."]
    assert texts(await office.presses("close")) == [
        "Đã kết thúc buổi đối thoại số 1. 2 câu hỏi chưa trả lời đã thành hồ sơ: HD-2026-000001, HD-2026-000002. "
        "Biên bản: /dialogue/1"]
    async with database.unit_of_work(readonly=True) as uow:
        cases = list((await uow.session.execute(select(Case).order_by(Case.id))).scalars())
        told_case = list((await uow.session.execute(select(OutboxItem).where(
            OutboxItem.dedup_key.like("dlg-case:%")).order_by(OutboxItem.id))).scalars())
    async with world.services(commit=False) as s:
        units = [s.org.units_by_id[c.unit_id].code for c in cases]
    assert [(c.kind, c.text) for c in cases] == [("question", LATE[0]), ("question", LATE[1])]
    async with database.unit_of_work(readonly=True) as uow:  # the question's photo is the case's evidence
        kept = await uow.session.get(Attachment, ferry)
    assert kept is not None and (kept.case_id, kept.owner_key) == (cases[0].id, None)
    assert units == ["P_PHALAI", "P_PHALAI"]
    assert [r.chat_id for r in told_case] == ["7001", "7002"]
    assert told_case[0].payload["text"].startswith(
        "Câu hỏi của bạn tại buổi đối thoại số 1 chưa được trả lời trực tiếp nên đã được chuyển thành hồ sơ để "
        "giải quyết.\nMã theo dõi: HD-2026-000001\n")
    assert texts(await office.says("/dialogue")) == ["Chưa có buổi đối thoại nào đang mở."]

    # The minutes, without a messenger: every question, the answer and who gave it, the cases; all escaped.
    app = web.Application()
    DialogueRoutes(database, bot.app).install(app)
    async with TestClient(TestServer(app)) as client:
        page_html = await (await client.get("/dialogue/1")).text()
        missing = await client.get("/dialogue/99")
    assert missing.status == 404
    assert "Đối thoại số 1: Đối thoại về hạ tầng đô thị phường Sao Đỏ" in page_html
    assert "Đèn chiếu sáng ngõ 12 hỏng ba tháng chưa thay &lt;b&gt;gấp&lt;/b&gt;" in page_html
    assert "<b>gấp" not in page_html
    assert "<strong>Trả lời (Nguyễn Văn Thành):</strong> Trả lời câu 4: đã giao đơn vị xử lý." in page_html
    assert "<strong>Trả lời (Vũ Đình Lộc):</strong> Trả lời câu 11: đã giao đơn vị xử lý." in page_html
    assert "3 người ủng hộ" in page_html
    assert page_html.count("Đã chuyển thành hồ sơ HD-2026-") == 2
    assert page_html.index("Đèn chiếu sáng ngõ 12") < page_html.index("Bao giờ sửa xong")


async def test_only_the_office_of_the_unit_or_above_runs_a_session(database) -> None:
    """A ward's head runs the ward's sessions, not the city's; an officer runs none; forged keys change nothing."""
    bot = make_bot(database)
    world = World(database, bot.clock)
    office = await world.official("UBND_SECRETARIAT", chat="off-sec", channel="loop")
    ward = await world.official("SAODO_HEAD", chat="off-ward", channel="loop")
    await world.official("SAODO_OFF1", chat="off-mai", channel="loop")
    starts = datetime(2026, 2, 18, 8, 0, tzinfo=VN)
    async with world.services() as s:
        city = await s.dialogues.schedule(office.official_id, title="Đối thoại toàn thành phố", starts_at=starts,
                                          area=None, topic=None, place="Hội trường UBND thành phố")
        own = await s.dialogues.schedule(ward.official_id, title="Đối thoại phường Sao Đỏ", starts_at=starts,
                                         area="SAODO", topic=None, place="Nhà văn hóa khu Tiền Định")
        asked = await s.dialogues.ask(city.id, citizen_id=ward.citizen_id or 0, identity_id=ward.identity_id,
                                      text="Câu hỏi về quy hoạch")
    assert asked.question_id is not None
    assert texts(await bot.chat("off-mai").says("/dialogue")) == [  # type: ignore[arg-type]
        "Chỉ lãnh đạo, trưởng đơn vị hoặc thư ký lãnh đạo mới tổ chức được buổi đối thoại."]
    head = bot.chat("off-ward")  # type: ignore[arg-type]
    replies = await head.says("/dialogue")
    assert keys(replies[0]) == ["new", f"s:{own.id}"]  # their own ward's session only
    forged = await head.presses(f"s:{city.id}")
    assert texts(forged)[0] == "Nút đó không còn dùng được."
    async with world.services() as s:
        with pytest.raises(Refused) as refused:
            await s.dialogues.assign(ward.official_id, asked.question_id, "P_SAODO")
        assert refused.value.key == "dialogue.unknown_session"
    bot.clock.set(starts + timedelta(hours=1))
    async with world.services() as s:
        with pytest.raises(Refused):
            await s.dialogues.close(ward.official_id, city.id)
        assert await s.dialogues.close(office.official_id, own.id) == []  # the city's office runs the ward's too
