"""The least capable channel: every choice of the leaders' flows answered by typing its number."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from storage.leaders import WorkProgress
from storage.models import Attachment
from storage.uow import Database
from tests.flows.chat_driver import VN
from tests.leaders.scene import scene, texts


async def test_a_task_registered_and_approved_by_typed_numbers_only(database: Database) -> None:
    s = await scene(database, datetime(2026, 1, 5, 9, 0, tzinfo=VN), "UBND_LEADER", "UBND_COMMITTEE")
    leader, committee = s.chat("UBND_LEADER"), s.chat("UBND_COMMITTEE")
    await leader.says("/newtask")
    for text in ("Nạo vét kênh Sao Đỏ", "Ngập úng mùa mưa", "Giảm 50% điểm ngập", "31/03/2026 Khảo sát xong"):
        await leader.says(text)
    assert texts(await leader.says("31/13/2026 Ngày sai"))[0].startswith("Chưa đọc được mốc.")
    await leader.says("1")  # 1. Xong các mốc
    await leader.says("p_saodo")
    review = await leader.says("Ngân sách thành phố")
    assert [c.label for c in review[0].choices][:2] == ["Gửi Thường trực duyệt", "Sửa tên"]
    assert texts(await leader.says("1")) == ["Đã gửi \"Nạo vét kênh Sao Đỏ\" để Thường trực duyệt. Xem: /tasks"]

    listing = await committee.says("/review")
    assert [c.label for c in listing[0].choices] == ["Đăng ký: Nạo vét kênh Sao Đỏ"]
    shown = await committee.says("1")
    assert shown[0].text.startswith("Tên: Nạo vét kênh Sao Đỏ\nVấn đề: Ngập úng mùa mưa\n")
    assert [c.label for c in shown[0].choices] == ["Duyệt", "Yêu cầu chỉnh sửa", "Trả lại"]
    assert texts(await committee.says("9")) == [
        "Xin chọn một mục trong danh sách: bấm nút, gõ số thứ tự (ví dụ 1) hoặc gõ tên mục."]
    assert texts(await committee.says("1")) == ["Đã duyệt: DP-2026-0001."]
    assert (await s.texts_to("UBND_LEADER"))[-1] == (
        "Thường trực đã duyệt công việc đột phá: DP-2026-0001. Ý kiến: không có")

    await leader.says("/close DP-2026-0001")
    await leader.says("2")  # 2. Không hoàn thành (nêu lý do)
    assert texts(await leader.says("Thiếu kinh phí")) == [
        "Đã gửi Thường trực lý do không hoàn thành DP-2026-0001. Việc vẫn mở cho đến khi được chấp nhận."]
    await committee.says("/review")
    await committee.says("1")
    await committee.says("2")  # 2. Không chấp nhận
    assert texts(await committee.says("Cần bố trí lại kinh phí, tiếp tục thực hiện")) == [
        "Đã không chấp nhận: DP-2026-0001."]
    assert texts(await leader.says("/task DP-2026-0001"))[0].startswith(
        "DP-2026-0001 Nạo vét kênh Sao Đỏ\nKết quả dự kiến: Giảm 50% điểm ngập\n")
    assert "(đúng tiến độ)" in texts(await leader.says("/task dp-2026-0001"))[0]
    # A progress report with a photo: kept as a pending attachment the media job fetches, like evidence.
    await leader.says("/progress DP-2026-0001")
    await leader.says("30")
    await leader.says("Đã nạo vét 3 km")
    assert texts(await leader.sends_photo("kenh-photo")) == ["Đã ghi tiến độ DP-2026-0001: 30%."]
    async with database.unit_of_work(readonly=True) as uow:
        report = (await uow.session.execute(select(WorkProgress))).scalar_one()
        photo = await uow.session.get(Attachment, report.attachment_id)
    assert (report.percent, report.note, photo.kind, photo.status, photo.platform_ref) == (
        30, "Đã nạo vét 3 km", "photo", "pending", "kenh-photo")
    assert photo.owner_key == f"work:{report.item_id}"

    # A task returned with a comment: the leader is told; it leaves the list and the count of five.
    await leader.says("/newtask")
    for text in ("Họp dân hằng tháng", "Ít đối thoại", "12 buổi đối thoại", "31/12/2026 Đủ 12 buổi"):
        await leader.says(text)
    await leader.says("1")
    await leader.says("VP")
    await leader.says("-")
    await leader.says("1")
    await committee.says("/review")
    await committee.says("1")
    await committee.says("3")  # 3. Trả lại
    assert texts(await committee.says("Đã có trong kế hoạch tiếp dân")) == ["Đã trả lại: Họp dân hằng tháng."]
    assert (await s.texts_to("UBND_LEADER"))[-1] == (
        "Thường trực trả lại \"Họp dân hằng tháng\": Đã có trong kế hoạch tiếp dân")
    assert texts(await leader.says("/tasks")) == ["Công việc (1):\nDP-2026-0001 Nạo vét kênh Sao Đỏ: đúng tiến độ, 30%"]

    helped = texts(await leader.says("/help"))
    assert helped[0].startswith("Công việc đột phá:\n/newtask - đăng ký (tối đa 5 việc một năm)\n")
    assert helped[1].startswith("Hướng dẫn cho cán bộ:")
    assert texts(await committee.says("/help"))[0].startswith("Thường trực:\n/review")

    # In English, once the leader chooses it.
    await leader.says("/lang")
    await leader.presses("en")
    assert texts(await leader.says("/tasks")) == ["Tasks (1):\nDP-2026-0001 Nạo vét kênh Sao Đỏ: on track, 30% done"]
    assert texts(await leader.says("/task DP-2026-0001"))[0].endswith(
        "Progress: 30% (on track)\nMilestones:\n1. by 31/03/2026: Khảo sát xong")
