"""Revoking an official never strands a case: their open cases go back to the unit (the card again to its
officers and head), the command lists them, the official is told their access ended, and a button they press
afterwards says so instead of opening the citizen welcome."""

from __future__ import annotations

from sqlalchemy import delete, update

from bot.clock import FakeClock
from bot.services.sweep import run_sweep
from storage.models import Case, ChannelIdentity, Official, OfficialInvite
from tests.flows.chat_driver import CHANNEL, make_bot
from tests.officials.world import MONDAY_9, World

HANDED_BACK = "Hồ sơ được giao lại cho đơn vị vì Trần Thị Mai không còn quyền truy cập. Đề nghị nhận xử lý."


async def test_revoking_hands_the_cases_back_and_the_unit_takes_them(database) -> None:
    world = World(database)
    citizen = await world.account("cit-1")
    mai = await world.official("SAODO_OFF1", chat="7101", channel=CHANNEL)
    tu, head = await world.official("SAODO_OFF2"), await world.official("SAODO_HEAD")
    held, waiting = await world.submit(citizen), await world.submit(citizen)
    async with world.services() as s:
        await s.case_actions.accept(mai.official_id, held)
        await s.case_actions.accept(mai.official_id, waiting)
        await s.case_actions.ask(mai.official_id, waiting, "Xin cho biết số nhà cụ thể.")

    async with world.services() as s:
        revoked = await s.case_actions.revoke_official("SAODO_OFF1")
    assert (revoked.accounts, revoked.handed_back) == (1, [("PA-2026-000001", "P_SAODO"), ("PA-2026-000002",
                                                                                          "P_SAODO")])
    first, second = await world.case(held), await world.case(waiting)
    assert (first.status, first.assignee_id, second.status, second.assignee_id) == (
        "submitted", None, "waiting", None)
    assert (await world.texts_to("7101"))[-1].startswith(
        "Quyền truy cập hệ thống tiếp nhận phản ánh của đồng chí Trần Thị Mai đã kết thúc.")
    for chat in (tu.chat, head.chat):
        cards = [t for t in await world.texts_to(chat) if t.startswith(HANDED_BACK)]
        assert len(cards) == 2

    # Another officer takes it (no "already taken by Mai"), and the sweep's notices no longer name Mai.
    async with world.services() as s:
        taken = await s.case_actions.accept(tu.official_id, held)
    assert taken.code == "PA-2026-000001"
    await run_sweep(database, FakeClock(MONDAY_9.replace(day=9, hour=10)))
    assert not [t for t in await world.texts_to("7101") if "PA-2026-000001" in t and "Nhắc" in t]

    # Mai's old button: told, not welcomed as a new citizen.
    bot = make_bot(database, MONDAY_9)
    replies = await bot.chat(7101).presses(f"acc:{held}")
    assert [r.text for r in replies] == [
        "Tài khoản này không còn quyền cán bộ nên không thực hiện được thao tác này. Nếu đây là nhầm lẫn, xin liên "
        "hệ quản trị viên để được cấp mã mời mới."]


async def test_the_sweep_puts_right_a_case_without_next_action_or_with_an_inactive_holder(database) -> None:
    world = World(database)
    citizen = await world.account("cit-1")
    hoa = await world.new_official("P_SAODO", "officer", "Đỗ Thị Hoa")
    stranded, forgotten = await world.submit(citizen), await world.submit(citizen)
    async with world.services() as s:
        await s.case_actions.accept(hoa.official_id, stranded)
    async with database.unit_of_work() as uow:  # as an older version, or a hand edit, could leave them
        await uow.session.execute(update(Official).where(Official.id == hoa.official_id).values(active=False))
        await uow.session.execute(update(Case).where(Case.id == forgotten).values(next_action_at=None))
        await uow.commit()
    report = await run_sweep(database, FakeClock(MONDAY_9.replace(hour=3)))
    assert report.repaired == 2
    first, second = await world.case(stranded), await world.case(forgotten)
    assert (first.status, first.assignee_id, second.next_action_at is not None) == ("submitted", None, True)
    assert (await world.events(stranded))[-1] == ("handed_back", "system", None)
    async with database.unit_of_work() as uow:  # officials are kept between tests: this one goes
        await uow.session.execute(delete(OfficialInvite).where(OfficialInvite.official_id == hoa.official_id))
        await uow.session.execute(update(Case).where(Case.assignee_id == hoa.official_id).values(assignee_id=None))
        await uow.session.execute(update(ChannelIdentity).where(ChannelIdentity.official_id == hoa.official_id)
                                  .values(official_id=None))
        await uow.session.execute(delete(Official).where(Official.id == hoa.official_id))
        await uow.commit()


async def test_a_waiting_case_handed_back_can_be_taken_once_the_citizen_answers(database) -> None:
    world = World(database)
    citizen = await world.account("cit-1")
    mai, tu = await world.official("SAODO_OFF1"), await world.official("SAODO_OFF2")
    case_id = await world.submit(citizen)
    async with world.services() as s:
        await s.case_actions.accept(mai.official_id, case_id)
        await s.case_actions.ask(mai.official_id, case_id, "Xin cho biết số nhà cụ thể.")
    async with world.services() as s:
        await s.case_actions.revoke_official("SAODO_OFF1")
        await s.case_actions.citizen_reply(citizen.identity_id, case_id, "Số nhà 12.")
    assert (await world.case(case_id)).status == "submitted"
    assert (await world.texts_to(tu.chat))[-1].startswith("Người dân đã trả lời câu hỏi về hồ sơ PA-2026-000001")
    async with world.services() as s:
        assert (await s.case_actions.accept(tu.official_id, case_id)).code == "PA-2026-000001"
