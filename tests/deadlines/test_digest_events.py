"""The digest is defined on events: a week of real actions through the services, figures counted by hand.

Ward Sao Đỏ (P_SAODO) receives five reports on Monday 02/03/2026 at 09:00 (W10); a report's due date is five
working days on: Monday 09/03 17:00.
1. answered Tue 03/03 10:00, rated not satisfied 11:00 (reopened: due again five working days on, Tue 10/03);
   answered again Thu 05/03 10:00, rated not satisfied 11:00: sent up to the city (UBND).
2. transferred at 10:00 to urban management (QLDT), which answers Wed 04/03 10:00; rated satisfied at 11:00.
3. the head grants 5 more working days on Mon 09/03 09:00 (due Mon 16/03); answered Tue 10/03 10:00.
4. never answered: overdue from Mon 09/03 17:00; on Mon 16/03 the head grants 10 more working days.
5. the officer asks the citizen a question on Tue 03/03; no answer comes: the case is paused, never overdue.

By the definitions (bot/domain/digest.py):
P_SAODO W10: new 5; answered 2 (case 1 twice; a reopen erases neither), both on time and early; working days to
  answer 1 + 3 = 4; 2 ratings, 0 satisfied; 1 reopened (the second dissatisfaction sends it up); 1 transfer.
QLDT W10: transferred in 1; answered 1, on time, early; 2 working days; rated 1, satisfied 1.
UBND W10: transferred in 1 (case 1 sent up).
P_SAODO W11: answered 1 (case 3) on time under an extension, early; 6 working days. Overdue at the end of W11:
  case 4 only, 4 working days late (Tue 10 - Fri 13/03), in the 3-5 band - before and after the extension
  granted in W12. Case 1, sent up on Thu 05/03 with a new due date five working days on (Thu 12/03), is
  1 working day late at the city at the end of W11. Read on Thu 12/03 at 12:00 (in progress), case 4 is 3 working days late "so far".
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.clock import FakeClock
from bot.domain.digest import Figures, iso_week
from bot.services.digest import Digests, send_due_digests
from bot.services.digest_sql import DigestQueries
from storage.models import JobClaim, OrgSetting
from tests.deadlines.support import link
from tests.officials.world import VN, World


def at(day: int, month: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=VN)


async def week_of_actions(world: World) -> list[int]:
    citizens = [await world.account(f"cit-{n}") for n in range(1, 6)]
    officer, head = await world.official("SAODO_OFF1"), await world.official("SAODO_HEAD")
    qldt = await world.official("QLDT_OFF1")
    cases = [await world.submit(c) for c in citizens]
    one, two, three, four, five = cases
    act = world.clock.set

    async with world.services() as s:
        for case_id in (one, three, four, five):
            await s.case_actions.accept(officer.official_id, case_id)
    act(at(2, 3, 10))
    async with world.services() as s:
        await s.case_actions.transfer(officer.official_id, two, "QLDT", "Công trình xây dựng, không phải ngập.")
    act(at(3, 3, 9))
    async with world.services() as s:
        await s.case_actions.ask(officer.official_id, five, "Xin gửi thêm ảnh chỗ ngập.")
    act(at(3, 3, 10))
    async with world.services() as s:
        await s.case_actions.answer(officer.official_id, one, "Đã khơi thông cống trước nhà số 12.")
    act(at(3, 3, 11))
    async with world.services() as s:
        assert (await s.case_actions.rate(citizens[0].identity_id, one, False)).outcome == "reopened"
    act(at(4, 3, 9))
    async with world.services() as s:
        await s.case_actions.accept(qldt.official_id, two)
        await s.case_actions.accept(officer.official_id, one)
    act(at(4, 3, 10))
    async with world.services() as s:
        await s.case_actions.answer(qldt.official_id, two, "Đã kiểm tra, công trình có giấy phép.")
    act(at(4, 3, 11))
    async with world.services() as s:
        assert (await s.case_actions.rate(citizens[1].identity_id, two, True)).outcome == "closed"
    act(at(5, 3, 10))
    async with world.services() as s:
        await s.case_actions.answer(officer.official_id, one, "Đã nạo vét toàn bộ tuyến cống.")
    act(at(5, 3, 11))
    async with world.services() as s:
        assert (await s.case_actions.rate(citizens[0].identity_id, one, False)).outcome == "sent_up"
    act(at(9, 3, 9))
    async with world.services() as s:
        await s.case_actions.request_extension(officer.official_id, three, 5, "Chờ kết quả khảo sát.")
        assert (await s.case_actions.decide_extension(head.official_id, three, True)).granted
    act(at(10, 3, 10))
    async with world.services() as s:
        await s.case_actions.answer(officer.official_id, three, "Đã sửa xong nắp cống.")
    return cases


async def figures(world: World, period, now: datetime) -> dict[str, Figures]:
    async with world.services(commit=False) as s:
        facts = await DigestQueries(s.session, s.org).facts(period, now)
        return {s.org.units_by_id[u].code: f for u, f in facts.by_unit.items()}


async def test_figures_come_from_the_events_of_the_period(database) -> None:
    world = World(database)
    cases = await week_of_actions(world)
    w10, w11 = iso_week(2026, 10, VN), iso_week(2026, 11, VN)

    assert await figures(world, w10, at(16, 3, 9)) == {
        "P_SAODO": Figures(received=5, received_new=5, resolved=2, on_time=2, early=2, resolve_days=4, rated=2,
                           satisfied=0, reopened=1, transfers=1),
        "QLDT": Figures(received=1, received_transferred=1, resolved=1, on_time=1, early=1, resolve_days=2,
                        rated=1, satisfied=1),
        "UBND": Figures(received=1, received_transferred=1),
    }
    w11_figures = {"P_SAODO": Figures(resolved=1, on_time=1, early=1, extended=1, resolve_days=6,
                                      overdue_bands=(0, 1, 0, 0)),
                   "UBND": Figures(overdue_bands=(1, 0, 0, 0))}
    assert await figures(world, w11, at(16, 3, 9)) == w11_figures

    # An extension granted in W12 for the case that was late at the end of W11 changes nothing in W11.
    head = await world.official("SAODO_HEAD", chat="head-2")
    world.clock.set(at(16, 3, 9, 30))
    async with world.services() as s:
        await s.case_actions.request_extension(head.official_id, cases[3], 10, "Chờ kinh phí sửa chữa.")
    assert (await world.case(cases[3])).due_at == at(23, 3, 17)
    assert await figures(world, w11, at(16, 3, 10)) == w11_figures
    # The paused case is nowhere overdue, though its due date passed while it waited.
    assert (await world.case(cases[4])).status == "waiting"


async def test_a_period_in_progress_counts_so_far_and_says_so(database) -> None:
    world = World(database)
    await week_of_actions(world)
    noon = at(12, 3, 12)
    async with world.services(commit=False) as s:
        message = await Digests(s.session, s.org).message(s.org.units["P_SAODO"].id, iso_week(2026, 11, VN), "vi",
                                                          noon)
    lines = message.text.split("\n")
    assert lines[2] == "Kỳ báo cáo chưa kết thúc: số liệu tính đến 12:00 12/03."
    assert "Đang quá hạn: 1 (0); quá 1-2 ngày làm việc: 0, 3-5 ngày: 1, 6-10 ngày: 0, trên 10 ngày: 0" in lines
    overdue = [line for line in lines if line.startswith("- PA-")]
    assert overdue == ["- PA-2026-000004 (P_SAODO): quá hạn 3 ngày làm việc, hạn trước 17:00 thứ Hai, 09/03/2026, "
                       "người xử lý: Trần Thị Mai"]


async def test_no_digest_for_a_week_before_the_system_started(database) -> None:
    """Started on Sunday 08/03: that Sunday brings no digest of W09 (the system did not exist); the first
    Monday brings exactly one, for W10."""
    leader = await link(database, "UBND_LEADER", 5001)
    async with database.unit_of_work() as uow:
        setting = await uow.session.get(OrgSetting, "first_loaded_at")
        kept = setting.value
        setting.value = {"value": at(8, 3, 10).astimezone(UTC).isoformat()}
        await uow.commit()
    try:
        assert await send_due_digests(database, FakeClock(at(8, 3, 10, 5))) == 0
        assert await send_due_digests(database, FakeClock(at(9, 3, 7, 31))) == 1
        assert await send_due_digests(database, FakeClock(at(9, 3, 9))) == 0
    finally:
        async with database.unit_of_work() as uow:
            (await uow.session.get(OrgSetting, "first_loaded_at")).value = kept
            await uow.commit()
    async with database.unit_of_work(readonly=True) as uow:
        claims = (await uow.session.execute(select(JobClaim.period))).scalars().all()
    assert claims == [f"2026-W10:{leader}"]
