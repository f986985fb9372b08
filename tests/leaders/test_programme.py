"""A programme of 6 items over 3 units, recorded by the office through the chat; prompts go to the units'
heads; the one item left overdue goes to its unit's head at once and up to the responsible leader after 3 days.

item  unit      milestone                        done
01    P_SAODO   31/03 Nạo vét 5 km mương          25/03
02    P_SAODO   30/06 Lát 2 km vỉa hè             -
03    P_PHALAI  31/03 Lắp 150 đèn                 30/03
04    P_PHALAI  30/04 Trồng 500 cây               -
05    QLDT      31/03 Cấp phép 20 công trình      never: overdue 01/04, escalated 04/04
06    QLDT      30/05 Lắp 40 biển báo             -
"""

from __future__ import annotations

from datetime import datetime

from storage.uow import Database
from tests.flows.chat_driver import VN
from tests.leaders.scene import scene, texts

ITEMS = [
    ("Nạo vét mương", "Nạo vét 5 km mương", "31/03/2026 Nạo vét 5 km mương", "P_SAODO"),
    ("Lát vỉa hè", "Lát 2 km vỉa hè", "30/06/2026 Lát 2 km vỉa hè", "P_SAODO"),
    ("Chiếu sáng", "Lắp 150 đèn", "31/03/2026 Lắp 150 đèn", "P_PHALAI"),
    ("Cây xanh", "Trồng 500 cây", "30/04/2026 Trồng 500 cây", "P_PHALAI"),
    ("Trật tự xây dựng", "Cấp phép 20 công trình", "31/03/2026 Cấp phép 20 công trình", "QLDT"),
    ("An toàn giao thông", "Lắp 40 biển báo", "30/05/2026 Lắp 40 biển báo", "QLDT"),
]
SEATS = ("VP_HEAD", "UBND_LEADER", "UBND_COMMITTEE", "SAODO_HEAD", "PHALAI_HEAD", "QLDT_HEAD")


async def test_a_programme_of_six_items_over_three_units(database: Database) -> None:
    s = await scene(database, datetime(2026, 2, 2, 9, 0, tzinfo=VN), *SEATS)
    office, leader = s.chat("VP_HEAD"), s.chat("UBND_LEADER")
    assert texts(await s.chat("SAODO_HEAD").says("/programme")) == [
        "Chức năng này không dành cho tài khoản của đồng chí."]

    await office.says("/programme")
    await office.says("Chỉnh trang đô thị 2026")
    for number, (title, result, milestone, unit) in enumerate(ITEMS, start=1):
        await office.says(title)
        await office.says("Làm sạch hơn" if number == 1 else result)
        await office.says(milestone)
        await office.presses("done")
        await office.says(unit)
        again = await office.says("x")  # not a choice: asked again, with the leaders offered again
        assert texts(again) == ["Xin chọn một mục trong danh sách: bấm nút, gõ số thứ tự (ví dụ 1) hoặc gõ tên mục."]
        assert [c.label for c in again[0].choices] == ["Nguyễn Văn Thành"]
        await office.presses(f"o{await _leader_id(s)}")
        said = texts(await office.says("Ngân sách thành phố"))
        if number == 1:  # the result names no figure: asked again, then checked again
            assert said == ["Chưa thể gửi: thiếu rõ hiệu quả (kết quả đo đếm được, có con số).",
                            "Kết quả cần đạt, đo đếm được (có con số)?"]
            said = texts(await office.says(result))
        assert said == [f"Đã ghi hạng mục {number}: {title}."]
        if number < len(ITEMS):
            await office.presses("add")
    assert texts(await office.presses("finish")) == [
        "Đã ghi chương trình CT-2026-001 \"Chỉnh trang đô thị 2026\" với 6 hạng mục; các đơn vị đã được thông báo."]
    assert (await s.texts_to("QLDT_HEAD")) == [
        "Đơn vị được giao hạng mục CT-2026-001-05 \"Trật tự xây dựng\" thuộc chương trình \"Chỉnh trang đô thị "
        "2026\". Xem: /task CT-2026-001-05",
        "Đơn vị được giao hạng mục CT-2026-001-06 \"An toàn giao thông\" thuộc chương trình \"Chỉnh trang đô "
        "thị 2026\". Xem: /task CT-2026-001-06"]
    listing = texts(await s.chat("SAODO_HEAD").says("/tasks"))[0]
    assert listing == ("Công việc (2):\nCT-2026-001-01 Nạo vét mương: đúng tiến độ, 0%\n"
                       "CT-2026-001-02 Lát vỉa hè: đúng tiến độ, 0%")

    since = await s.last_id()
    await s.tick(2026, 3)
    for head in ("SAODO_HEAD", "PHALAI_HEAD", "QLDT_HEAD"):
        prompts = [t for t in await s.texts_to(head, since) if t.startswith("Báo cáo tiến độ tháng 2026-03")]
        assert len(prompts) == 2, head
    assert [t for t in await s.texts_to("UBND_LEADER", since) if t.startswith("Báo cáo tiến độ")] == []

    s.at(2026, 3, 25)
    assert texts(await s.chat("SAODO_HEAD").says("/done CT-2026-001-01 1")) == [
        "Đã ghi hoàn thành mốc: Nạo vét 5 km mương."]
    assert texts(await s.chat("SAODO_HEAD").says("/done CT-2026-001-05 1")) == [
        "Không tìm thấy việc CT-2026-001-05."]
    s.at(2026, 3, 30)
    await s.chat("PHALAI_HEAD").says("/done CT-2026-001-03 1")

    since = await s.last_id()
    await s.tick(2026, 4)
    assert [t for t in await s.texts_to("QLDT_HEAD", since) if t.startswith("Quá hạn")] == [
        "Quá hạn: CT-2026-001-05, mốc \"Cấp phép 20 công trình\" (hạn 31/03/2026) chưa hoàn thành, chậm 1 ngày. "
        "Ghi hoàn thành: /done CT-2026-001-05 N; xin lùi hạn: /redate CT-2026-001-05"]
    summary = next(t for t in await s.texts_to("UBND_COMMITTEE", since) if t.startswith("Tổng hợp"))
    assert summary == (
        "Tổng hợp công việc đột phá tháng 2026-03 (tình hình đến 01/04/2026):\n"
        "Chưa có công việc đột phá nào được duyệt.\n"
        "Chương trình, đề án:\n"
        "- CT-2026-001 Chỉnh trang đô thị 2026: 6 hạng mục; đúng tiến độ 5, chậm 1, hoàn thành 0, "
        "không hoàn thành 0")
    await s.tick(2026, 4, 3)
    assert [t for t in await s.texts_to("UBND_LEADER", since) if t.startswith("Báo cáo lãnh đạo")] == []
    await s.tick(2026, 4, 4)
    await s.tick(2026, 4, 5)
    assert [t for t in await s.texts_to("UBND_LEADER", since) if t.startswith("Báo cáo lãnh đạo")] == [
        "Báo cáo lãnh đạo phụ trách: CT-2026-001-05 (QLDT), mốc \"Cấp phép 20 công trình\" (hạn 31/03/2026) "
        "chưa hoàn thành, chậm 4 ngày."]
    # The responsible leader sees the item and its overdue milestone.
    card = texts(await leader.says("/task CT-2026-001-05"))[0]
    assert card.endswith("Tiến độ: 0% (chậm tiến độ)\nCác mốc:\n1. 31/03/2026 - Cấp phép 20 công trình (quá hạn)")


async def _leader_id(s) -> int:
    from sqlalchemy import select

    from storage.models import Official

    async with s.db.unit_of_work(readonly=True) as uow:
        return (await uow.session.execute(select(Official.id).where(Official.seat == "UBND_LEADER"))).scalar_one()
