"""A leader's year of breakthrough tasks, through the chat, with the fake clock.

Five tasks registered in January (the first attempt refused: its expected result names no figure; the fifth
sent back once for a change), approved by the standing committee (DP-2026-0001..0005). Milestones:

task  milestone 1 (due)          done        milestone 2 (due)        done        closed
0001  31/03 Khảo sát xong         20/03       30/09 Nạo vét xong        25/09       done 25/09
0002  30/04 Lắp 200 đèn           late; re-dated to 30/06 (asked 02/05), done 20/06
                                              31/10 Nghiệm thu          20/10       done 20/10
0003  30/06 Di dời 120 hộ kinh doanh  -         30/11 Khai trương           -          not done 10/10 (reason accepted)
0004  31/05 Triển khai            25/05       31/12 Đạt 80% hồ sơ       -           open
0005  31/07 Trồng 1000 cây        10/08 (late) 30/11 Nghiệm thu         -           open

Hand count at 01/09 (summary of 2026-08): on track 0001, 0002, 0004, 0005; late 0003 (its 30/06 milestone).
At 01/11 (2026-10): done 0001, 0002; not done 0003; on track 0004, 0005.
Year-end at 01/01/2027: 10 milestones, done on time 5 (0001 x2, 0002 x2 - one against its new date -, 0004 m1),
done late 1 (0005 m1), open 4; re-dated 1; progress reports 2.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from bot.domain.digest import iso_week
from bot.services.digest import Digests
from storage.leaders import Milestone, WorkItem
from storage.models import Official
from storage.uow import Database
from tests.flows.chat_driver import VN, Chat
from tests.leaders.scene import scene, texts

REASON = "Chưa bố trí được mặt bằng do quy hoạch chợ thay đổi"
TASKS = [
    ("Nạo vét kênh Sao Đỏ", "Ngập úng mùa mưa", "Giảm 50% điểm ngập", ["31/03/2026 Khảo sát xong",
                                                                    "30/09/2026 Nạo vét xong"], "P_SAODO"),
    ("Chiếu sáng đường phố", "Đường tối", "100% tuyến chính có đèn", ["30/04/2026 Lắp 200 đèn",
                                                                   "31/10/2026 Nghiệm thu"], "QLDT"),
    ("Chợ Sao Đỏ", "Lấn chiếm vỉa hè", "Di dời 120 hộ kinh doanh", ["30/06/2026 Di dời 120 hộ",
                                                                   "30/11/2026 Khai trương"], "P_SAODO"),
    ("Dịch vụ công trực tuyến", "Hồ sơ giấy", "80% hồ sơ nộp trực tuyến", ["31/05/2026 Triển khai",
                                                                           "31/12/2026 Đạt 80% hồ sơ"], "VP"),
    ("Cây xanh", "Thiếu bóng mát", "Trồng 1000 cây", ["31/07/2026 Trồng 1000 cây", "30/11/2026 Nghiệm thu"],
     "P_PHALAI"),
]


async def fill(chat: Chat, title: str, problem: str, result: str, milestones: list[str], unit: str) -> list[str]:
    """Every step of the registration up to the review (its text returned)."""
    await chat.says("/newtask")
    await chat.says(title)
    await chat.says(problem)
    await chat.says(result)
    for line in milestones:
        await chat.says(line)
    await chat.presses("done")
    await chat.says(unit)
    return texts(await chat.says("Ngân sách thành phố 2 tỷ đồng"))


async def approve_all(committee: Chat, verdicts: list[str]) -> list[str]:
    said = []
    for verdict in verdicts:
        listing = await committee.says("/review")
        first = listing[-1].choices[0].key
        await committee.presses(first)
        said += texts(await committee.presses(verdict))
    return said


async def test_a_leaders_year_of_breakthrough_tasks(database: Database) -> None:
    s = await scene(database, datetime(2026, 1, 5, 9, 0, tzinfo=VN), "UBND_LEADER", "UBND_COMMITTEE",
                    "HDND_OVERSEER")
    leader, committee = s.chat("UBND_LEADER"), s.chat("UBND_COMMITTEE")
    not_allowed = ["Chức năng này không dành cho tài khoản của đồng chí."]
    assert texts(await committee.says("/newtask")) == not_allowed  # only leaders register
    assert texts(await leader.says("/review")) == not_allowed  # only the committee decides

    # 1. A result without a figure cannot be sent: the bot says which "rõ" is missing.
    review = await fill(leader, TASKS[0][0], TASKS[0][1], "Làm tốt hơn công tác thoát nước", TASKS[0][3], "P_SAODO")
    assert review[-1].startswith("Công việc đột phá:\nTên: Nạo vét kênh Sao Đỏ\n")
    refused = texts(await leader.presses("send"))
    assert refused[0] == "Chưa thể gửi: thiếu rõ hiệu quả (kết quả đo đếm được, có con số)."
    await leader.presses("edit_result")
    await leader.says("Giảm 50% điểm ngập")
    assert texts(await leader.presses("send")) == [
        "Đã gửi \"Nạo vét kênh Sao Đỏ\" để Thường trực duyệt. Xem: /tasks"]
    # A skipped unit and no milestone: both named.
    await leader.says("/newtask")
    for text in ("Thử", "-", "Tăng 10%"):
        await leader.says(text)
    await leader.presses("done")
    await leader.says("-")
    await leader.says("-")
    assert texts(await leader.presses("send"))[0] == (
        "Chưa thể gửi: thiếu rõ người (đơn vị chủ trì), rõ tiến độ (mốc có ngày).")
    await leader.presses("cancel")

    for task in TASKS[1:]:
        await fill(leader, *task)
        assert texts(await leader.presses("send"))[0].startswith("Đã gửi")
    assert texts(await leader.says("/newtask")) == [
        "Mỗi lãnh đạo đăng ký tối đa 5 công việc đột phá một năm; năm 2026 đã đủ."]
    assert len([t for t in await s.texts_to("UBND_COMMITTEE") if "đăng ký công việc đột phá" in t]) == 5

    # 2. The committee approves four, asks for a change to the fifth; the leader fixes it; it is approved.
    said = await approve_all(committee, ["approve"] * 4)
    assert said == [f"Đã duyệt: DP-2026-000{n}." for n in range(1, 5)]
    await committee.says("/review")
    await committee.presses(f"d{await _decision_of(database, 'Cây xanh')}")
    await committee.presses("change")
    assert texts(await committee.says("Nêu rõ diện tích")) == ["Đã yêu cầu chỉnh sửa: Cây xanh."]
    told = await s.texts_to("UBND_LEADER")
    assert told[-1] == ("Thường trực yêu cầu chỉnh sửa \"Cây xanh\": Nêu rõ diện tích. Sửa và gửi lại: /tasks "
                        "rồi /fix N")
    item_id = await _item_of(database, "Cây xanh")
    listing = texts(await leader.says("/tasks"))[0]
    assert f"#{item_id} Cây xanh: cần chỉnh sửa (/fix), 0%" in listing
    await leader.says(f"/fix {item_id}")
    await leader.presses("edit_resources")
    await leader.says("Ngân sách 500 triệu đồng, 2 ha đất công")
    assert texts(await leader.presses("send"))[0].startswith("Đã gửi")
    assert await approve_all(committee, ["approve"]) == ["Đã duyệt: DP-2026-0005."]
    assert texts(await leader.says("/task DP-2026-0005"))[0] == (
        "DP-2026-0005 Cây xanh\nKết quả dự kiến: Trồng 1000 cây\nĐơn vị chủ trì: UBND phường Phả Lại\n"
        "Tiến độ: 0% (đúng tiến độ)\nCác mốc:\n1. 31/07/2026 - Trồng 1000 cây\n2. 30/11/2026 - Nghiệm thu")

    # The leader's weekly digest ends with their tasks and where each stands.
    s.at(2026, 1, 12, 8)
    async with database.unit_of_work() as uow:
        org = await s.bot.app.org.get(uow.session, date(2026, 1, 12))
        digests = Digests(uow.session, org)
        leader_id = (await uow.session.execute(
            select(Official.id).where(Official.seat == "UBND_LEADER"))).scalar_one()
        digest, _chart = await digests.for_reader(await digests.reader(leader_id), iso_week(2026, 2, VN), "vi",
                                                  s.bot.clock.now())
    assert digest.endswith(
        "\n\nCông việc đột phá của đồng chí (5):\n"
        "DP-2026-0001 Nạo vét kênh Sao Đỏ: đúng tiến độ, 0%\nDP-2026-0002 Chiếu sáng đường phố: đúng tiến độ, 0%\n"
        "DP-2026-0003 Chợ Sao Đỏ: đúng tiến độ, 0%\nDP-2026-0004 Dịch vụ công trực tuyến: đúng tiến độ, 0%\n"
        "DP-2026-0005 Cây xanh: đúng tiến độ, 0%")

    # 3. Monthly prompts: one per task on the 1st, once.
    since = await s.last_id()
    await s.tick(2026, 2)
    await s.tick(2026, 2, 1, 9)
    prompts = [t for t in await s.texts_to("UBND_LEADER", since) if t.startswith("Báo cáo tiến độ")]
    assert prompts[0] == "Báo cáo tiến độ tháng 2026-02: DP-2026-0001 Nạo vét kênh Sao Đỏ. Gõ /progress DP-2026-0001"
    assert len(prompts) == 5
    # Sunday 01/02 is outside the officials' window: the prompts wait for Monday 07:30.
    assert set(await s.release_times("UBND_LEADER", since)) == {datetime(2026, 2, 2, 7, 30, tzinfo=VN)}

    s.at(2026, 3, 20)
    await leader.says("/done DP-2026-0001 1")
    await leader.says("/progress DP-2026-0001")
    await leader.says("40")
    await leader.says("Đã khảo sát xong 12 km kênh")
    assert texts(await leader.presses("skip")) == ["Đã ghi tiến độ DP-2026-0001: 40%."]

    # 4. A milestone past its date: overdue on 01/05; re-dated once with the committee's approval.
    for month in (3, 4):
        await s.tick(2026, month)
    since = await s.last_id()
    await s.tick(2026, 5)
    told = await s.texts_to("UBND_LEADER", since)
    assert ("Quá hạn: DP-2026-0002, mốc \"Lắp 200 đèn\" (hạn 30/04/2026) chưa hoàn thành, chậm 1 ngày. "
            "Ghi hoàn thành: /done DP-2026-0002 N; xin lùi hạn: /redate DP-2026-0002") in told
    assert ("Báo cáo tiến độ tháng 2026-05: DP-2026-0002 Chiếu sáng đường phố. Gõ /progress DP-2026-0002\n"
            "Lưu ý: có mốc đã quá hạn mà chưa hoàn thành.") in told
    s.at(2026, 5, 2)
    await leader.says("/redate DP-2026-0002")
    await leader.presses("m1")
    await leader.says("30/06/2026")
    assert texts(await leader.says("Nhà thầu chậm giao đèn")) == [
        "Đã gửi Thường trực đề nghị lùi hạn mốc của DP-2026-0002."]
    assert await approve_all(committee, ["accept"]) == ["Đã chấp nhận: DP-2026-0002."]
    await leader.says("/redate DP-2026-0002")
    await leader.presses("m1")  # a second request for the same milestone is refused once it is complete
    await leader.says("31/07/2026")
    assert texts(await leader.says("Lý do khác")) == ["Mốc này đã xin lùi hạn một lần; chỉ được một lần."]

    s.at(2026, 5, 25)
    await leader.says("/done DP-2026-0004 1")
    await s.tick(2026, 6)
    s.at(2026, 6, 20)
    await leader.says("/done DP-2026-0002 1")
    for month in (7, 8):
        await s.tick(2026, month)
    s.at(2026, 8, 10)
    await leader.says("/done DP-2026-0005 1")
    await leader.says("/progress DP-2026-0005")
    await leader.says("60%")
    await leader.says("-")
    await leader.presses("skip")

    since = await s.last_id()
    await s.tick(2026, 9)
    assert _summary(await s.texts_to("UBND_COMMITTEE", since)) == (
        "Tổng hợp công việc đột phá tháng 2026-08 (tình hình đến 01/09/2026):\n"
        "- Nguyễn Văn Thành: 5 việc; đúng tiến độ 4, chậm 1, hoàn thành 0, không hoàn thành 0\n"
        "  · chậm: DP-2026-0003 Chợ Sao Đỏ")

    # 5. Done, and "not done" only with a reason the committee accepts (until then the task stays open).
    s.at(2026, 9, 25)
    await leader.says("/done DP-2026-0001 2")
    await leader.says("/close DP-2026-0001")
    assert texts(await leader.presses("done")) == ["Đã ghi DP-2026-0001 hoàn thành."]
    s.at(2026, 10, 10)
    await leader.says("/close DP-2026-0003")
    await leader.presses("not_done")
    assert texts(await leader.says("-")) == ["Cần nêu lý do."]
    await leader.says(REASON)
    assert (await _status(database, "Chợ Sao Đỏ")) == "approved"
    assert await approve_all(committee, ["accept"]) == ["Đã chấp nhận: DP-2026-0003."]
    assert (await _status(database, "Chợ Sao Đỏ")) == "not_done"
    s.at(2026, 10, 20)
    await leader.says("/done DP-2026-0002 2")
    await leader.says("/close DP-2026-0002")
    await leader.presses("done")
    await s.tick(2026, 10)

    since = await s.last_id()
    await s.tick(2026, 11)
    assert _summary(await s.texts_to("UBND_COMMITTEE", since)) == (
        "Tổng hợp công việc đột phá tháng 2026-10 (tình hình đến 01/11/2026):\n"
        "- Nguyễn Văn Thành: 5 việc; đúng tiến độ 2, chậm 0, hoàn thành 2, không hoàn thành 1\n"
        f"  · không hoàn thành: DP-2026-0003, lý do: {REASON}")

    await s.tick(2026, 12)
    since = await s.last_id()
    await s.tick(2027, 1)
    year_end = [t for t in await s.texts_to("UBND_COMMITTEE", since) if t.startswith("Tổng kết")]
    assert year_end == [
        "Tổng kết công việc đột phá năm 2026:\n"
        "- Nguyễn Văn Thành: đăng ký 5, được duyệt 5, hoàn thành 2, không hoàn thành 1, còn dở dang 2; "
        "mốc: 10, xong đúng hạn 5, xong muộn 1, chưa xong 4, lùi hạn 1; báo cáo tiến độ 2 lần\n"
        f"  · không hoàn thành: DP-2026-0003, lý do: {REASON}"]
    # The same year-end summary on demand; the committee's /summary with no month is the month just ended.
    assert texts(await committee.says("/summary 2026")) == year_end
    assert texts(await committee.says("/summary"))[0].startswith(
        "Tổng hợp công việc đột phá tháng 2026-12 (tình hình đến 01/01/2027):\n"
        "- Nguyễn Văn Thành: 5 việc; đúng tiến độ 0, chậm 2, hoàn thành 2, không hoàn thành 1\n")
    assert texts(await committee.says("/summary 2026-13")) == [
        "Cách dùng: /summary (tháng trước), /summary 2026-03 hoặc /summary 2026 (tổng kết năm)"]

    # The overseers see the tasks' standing too (as of the month's end), without names.
    view = texts(await s.chat("HDND_OVERSEER").says("/oversight 2026-10"))[0]
    assert "Công việc đột phá: 5; đúng tiến độ 2, chậm 0, hoàn thành 2, không hoàn thành 1" in view.split("\n")
    assert "Nguyễn Văn Thành" not in view and REASON not in view
    async with database.unit_of_work(readonly=True) as uow:
        redated = (await uow.session.execute(select(Milestone).where(Milestone.redated.is_(True)))).scalar_one()
    assert (redated.first_due.isoformat(), redated.due.isoformat()) == ("2026-04-30", "2026-06-30")


def _summary(texts_: list[str]) -> str:
    return next(t for t in texts_ if t.startswith("Tổng hợp công việc đột phá"))


async def _item_of(db: Database, title: str) -> int:
    async with db.unit_of_work(readonly=True) as uow:
        return (await uow.session.execute(select(WorkItem.id).where(WorkItem.title == title))).scalar_one()


async def _status(db: Database, title: str) -> str:
    async with db.unit_of_work(readonly=True) as uow:
        return (await uow.session.execute(select(WorkItem.status).where(WorkItem.title == title))).scalar_one()


async def _decision_of(db: Database, title: str) -> int:
    from storage.leaders import WorkDecision

    async with db.unit_of_work(readonly=True) as uow:
        return (await uow.session.execute(
            select(WorkDecision.id).join(WorkItem, WorkItem.id == WorkDecision.item_id)
            .where(WorkItem.title == title, WorkDecision.status == "pending"))).scalar_one()
