"""A case transferred after its due date keeps the citizen's clock, and the new unit inherits its reminders and
escalation; a case waiting for the citizen is listed as paused with how long, never as overdue."""

from __future__ import annotations

from datetime import datetime

from bot.domain.digest import Figures, iso_week
from bot.services.digest import Digests
from bot.services.digest_sql import DigestQueries
from bot.services.sweep import run_sweep
from tests.officials.world import VN, World


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=VN)


async def sweep_until(world: World, end: datetime) -> None:
    while world.clock.now() <= end:
        await run_sweep(world.db, world.clock)
        world.clock.advance(minutes=30)


async def test_transfer_after_breach_and_a_paused_case(database) -> None:
    world = World(database)
    citizen = await world.account("cit-1")
    mai, head = await world.official("SAODO_OFF1"), await world.official("SAODO_HEAD")
    qldt_officer, qldt_head = await world.official("QLDT_OFF1"), await world.official("QLDT_HEAD")
    late, paused = await world.submit(citizen), await world.submit(citizen)
    async with world.services() as s:
        await s.case_actions.accept(mai.official_id, late)
        await s.case_actions.accept(mai.official_id, paused)
    world.clock.set(at(3, 9))
    async with world.services() as s:
        await s.case_actions.ask(mai.official_id, paused, "Xin cho biết số nhà cụ thể.")
    await sweep_until(world, at(10, 9, 30))
    # Tuesday 10/03 08:00, the ward head's list: the late case, and the paused one apart, with its pause.
    assert (await world.texts_to(head.chat))[-1] == (
        "Hồ sơ quá hạn của UBND phường Sao Đỏ và các đơn vị trực thuộc, ngày 10/03/2026: 1 hồ sơ.\n"
        "- PA-2026-000001 (P_SAODO): quá hạn 1 ngày làm việc, hạn trước 17:00 thứ Hai, 09/03/2026, "
        "người xử lý: Trần Thị Mai\n"
        "Tạm dừng chờ người dân bổ sung thông tin (không tính là quá hạn): 1 hồ sơ.\n"
        "- PA-2026-000002 (P_SAODO): tạm dừng từ 03/03/2026, đã 5 ngày làm việc")
    assert not [t for t in await world.texts_to(head.chat) if "PA-2026-000002" in t and "quá hạn trả lời" in t]

    world.clock.set(at(10, 10))
    async with world.services() as s:
        await s.case_actions.transfer(mai.official_id, late, "QLDT", "Thuộc thẩm quyền quản lý đô thị.")
    head_before = len(await world.texts_to(head.chat))
    await sweep_until(world, at(11, 9, 0))
    assert (await world.case(late)).due_at == at(9, 17)  # the citizen's clock is kept
    card, reminder = await world.texts_to(qldt_officer.chat)
    assert card.split("\n")[:2] == [
        "Hồ sơ được chuyển đến từ UBND phường Sao Đỏ. Lý do: Thuộc thẩm quyền quản lý đô thị.",
        "⚠ Hồ sơ đã quá hạn trả lời người dân 1 ngày làm việc (hạn trước 17:00 thứ Hai, 09/03/2026); thời hạn "
        "không thay đổi khi chuyển đơn vị."]
    assert reminder == ("Quá hạn: hồ sơ PA-2026-000001 (Phản ánh, Ngập úng, thoát nước) đã quá hạn trả lời (hạn "
                        "trước 17:00 thứ Hai, 09/03/2026). Lãnh đạo đơn vị đã được báo cáo. Người xử lý: chưa có "
                        "người nhận.")
    assert [t.split("\n")[0] for t in (await world.texts_to(qldt_head.chat))[1:]] == [
        "Báo cáo quá hạn số 2: hồ sơ PA-2026-000001 (Phản ánh, Ngập úng, thoát nước) của Phòng Quản lý đô thị đã "
        "quá hạn trả lời (hạn trước 17:00 thứ Hai, 09/03/2026). Người xử lý: chưa có người nhận.",
        "Nhắc lại lần 1: Báo cáo quá hạn số 2: hồ sơ PA-2026-000001 (Phản ánh, Ngập úng, thoát nước) của Phòng "
        "Quản lý đô thị đã quá hạn trả lời (hạn trước 17:00 thứ Hai, 09/03/2026). Người xử lý: chưa có người nhận.",
        "Hồ sơ quá hạn của Phòng Quản lý đô thị và các đơn vị trực thuộc, ngày 11/03/2026: 1 hồ sơ."]
    # The ward's head hears no more of the case it passed on: only its own list, with the paused case.
    assert (await world.texts_to(head.chat))[head_before:] == [
        "Hồ sơ quá hạn của UBND phường Sao Đỏ và các đơn vị trực thuộc, ngày 11/03/2026: 0 hồ sơ.\n"
        "Tạm dừng chờ người dân bổ sung thông tin (không tính là quá hạn): 1 hồ sơ.\n"
        "- PA-2026-000002 (P_SAODO): tạm dừng từ 03/03/2026, đã 6 ngày làm việc"]

    # Urban management passes it on in turn, Thu 12/03 10:00 (a second transfer: to the city's coordinator).
    world.clock.set(at(12, 10))
    async with world.services() as s:
        moved = await s.case_actions.transfer(qldt_head.official_id, late, "TNMT", "Thuộc lĩnh vực môi trường.")
    assert moved.unit.code == "VP"  # the coordinator decides where a case transferred twice goes

    # The digest of W11 (09-15/03), read the Monday after. Each unit answers for the days the case was late
    # while it held it: the ward 1 (due Mon 09/03 17:00, passed on Tue 10/03), urban management 2 (from its
    # arrival Tue 10/03 to Thu 12/03 - not the ward's day again). At the week's end the case is at the
    # coordinator (VP), 4 working days late on the citizen's clock (Mon-Fri: the 3-5 band). The paused case
    # is nowhere overdue.
    world.clock.set(at(16, 9))
    async with world.services(commit=False) as s:
        facts = await DigestQueries(s.session, s.org).facts(iso_week(2026, 11, VN), world.clock.now())
        by_code = {s.org.units_by_id[u].code: f for u, f in facts.by_unit.items()}
        text = (await Digests(s.session, s.org).message(s.org.units["P_SAODO"].id, iso_week(2026, 11, VN), "vi",
                                                        world.clock.now())).text
    assert by_code == {
        "P_SAODO": Figures(transfers=1, passed_late=1, passed_late_days=1),
        "QLDT": Figures(received=1, received_transferred=1, transfers=1, passed_late=1, passed_late_days=2),
        "VP": Figures(received=1, received_transferred=1, overdue_bands=(0, 1, 0, 0)),
    }
    assert ("Chuyển sang đơn vị khác: 1 (0); trong đó 1 hồ sơ đã quá hạn khi chuyển đi, tổng 1 ngày làm việc quá "
            "hạn tính cho đơn vị") in text.split("\n")
