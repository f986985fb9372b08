"""A real week at the desk, two units, a fake clock: 30 cases through the real services and the real sweep.

Ward Sao Đỏ (P_SAODO: officers Trần Thị Mai and Phạm Văn Tú, head Nguyễn Văn Hùng) and the urban management
division (QLDT: officer Trịnh Văn Sơn, head Vũ Đình Lộc). Week 2026-W10, Mon 02/03 - Sun 08/03/2026. Every
case arrives on Monday 02/03 between 09:00 and 09:29 (one a minute); a report is due five working days on
(Mon 09/03 17:00), a question three (Thu 05/03 17:00). The sweep runs at 08:00, 12:00 and 16:00 of each day.

Sao Đỏ (flooding), Mai takes them at 09:40 unless said:
  #1-#15   answered Tue 03/03 10:00; #1-#10 rated satisfied at 11:00, #11-#15 not rated
  #16      answered Tue 10:00, NOT satisfied 11:00 (reopened: due again Tue 10/03), taken again at 14:00,
           answered Thu 05/03 10:00, rated satisfied 11:00 (a second rating)
  #17      an extension of 5 working days granted by the head Wed 04/03 09:30 (due Mon 16/03); still open
  #18      rejected Mon 10:00 as a duplicate of #1
  #19      Mai asks the citizen Tue 03/03 09:00; no answer: paused the rest of the week
  #20      a QUESTION Tú takes; past due Thu 05/03 17:00; Tú transfers it Fri 06/03 09:00 to QLDT, Sơn takes it
           at 09:30 and answers at 15:00 (late), rated satisfied at 16:00
  #21,#22  Tú takes them; Tú's access is revoked Wed 04/03 09:00: both go back to the unit; Mai takes them at
           10:00; #21 answered Thu 10:00, #22 still open (due Mon 09/03)
  #23,#24  nobody takes them by the accept deadline (Mon 02/03, four working hours: 15:00 for #23): the desk is
           told at 16:00 with Accept (and Assign for the head); the head assigns both to Mai at 16:30;
           answered Wed 04/03 10:00
QLDT (illegal construction), Sơn takes them at 09:40:
  #25-#30  answered Wed 04/03 14:00; #25-#27 rated satisfied, #28 NOT satisfied (reopened, due Wed 11/03, still
           open), #29-#30 not rated

Tracking codes: the question #20 is HD-2026-000001; reports are numbered in order without it, so #21-#24 are
PA-2026-000020..23 and #25-#30 PA-2026-000024..29.

The sweep's notices, by the reminder rules (bot/domain/reminders.py) - every one with the actions it asks for:
- Mon 16:00: #23 and #24 were not taken by their accept deadline (15:22, 15:23): the whole desk is told, the
  head with Accept, Assign, View, the officers with Accept, View;
- Wed 08:00: #20 (Tú's question, due Thu) is due the next working day: Tú, with Answer, Extend, View;
- Wed 12:00: after the revoke #20 is nobody's: half its time gone and not taken - Mai (the first officer) and
  the head are told, with Accept;
- Thu 08:00: #20 due today; Thu 12:00: #22 (Mai's since Wednesday) half its time gone;
- Fri 08:00: #20 is late: Mai is told, the head gets overdue report no. 1 (with its acknowledgement) and his
  daily list; #22 due the next working day;
- Fri 12:00: #20, transferred to QLDT at 09:00, is late there: Sơn (who took it) is reminded and the division's
  head gets report no. 2 - the new unit inherits the reminders and the escalation; #28 (reopened Wed, due Wed
  11/03) half its time gone.

The digest of W10, counted by hand from the definitions (README, "What the digest's figures mean"):
P_SAODO  received 24 (24 new); answered 20 (#1-#15, #16 twice, #21, #23, #24), all on time and early; working
         days to answer 15x1 + (1+3) + 3 + 2x2 = 26; ratings 12 (#1-#10, #16 twice), 11 satisfied; reopened 1;
         transfers 1 (#20), passed on late 1 (#20: due Thu 17:00, transferred Fri 09:00: 1 working day late,
         counted against the ward); overdue at the end 0 (#17 extended, #19 paused, #22 due on Monday).
QLDT     received 7 (6 new, 1 transferred in); answered 7, on time 6 (#20 was late), early 6; working days
         6x2 + 4 = 16; ratings 5 (#25-#28, #20), 4 satisfied; reopened 1; transfers 0; overdue 0.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.domain.cases import CaseKind
from bot.domain.digest import Figures, iso_week
from bot.services.digest_sql import DigestQueries
from bot.services.sweep import run_sweep
from storage.models import OutboxItem
from tests.officials.world import VN, World

SWEEPS = (8, 12, 16)

EXPECTED_NOTICES = [
    ('hung', 'Mon 02/03 16:00', (
        'Chưa tiếp nhận: hồ sơ PA-2026-000022 (Phản ánh, Ngập úng, thoát nước) gửi UBND phường Sao Đỏ chưa '
        'có ai nhận xử lý dù đã quá hạn tiếp nhận (trước 15:22 thứ Hai, 02/03/2026). Đề nghị phân công ngay.'
    ), ('acc', 'asg', 'cv')),
    ('hung', 'Mon 02/03 16:00', (
        'Chưa tiếp nhận: hồ sơ PA-2026-000023 (Phản ánh, Ngập úng, thoát nước) gửi UBND phường Sao Đỏ chưa '
        'có ai nhận xử lý dù đã quá hạn tiếp nhận (trước 15:23 thứ Hai, 02/03/2026). Đề nghị phân công ngay.'
    ), ('acc', 'asg', 'cv')),
    ('mai', 'Mon 02/03 16:00', (
        'Chưa tiếp nhận: hồ sơ PA-2026-000022 (Phản ánh, Ngập úng, thoát nước) gửi UBND phường Sao Đỏ chưa '
        'có ai nhận xử lý dù đã quá hạn tiếp nhận (trước 15:22 thứ Hai, 02/03/2026). Đề nghị phân công ngay.'
    ), ('acc', 'cv')),
    ('mai', 'Mon 02/03 16:00', (
        'Chưa tiếp nhận: hồ sơ PA-2026-000023 (Phản ánh, Ngập úng, thoát nước) gửi UBND phường Sao Đỏ chưa '
        'có ai nhận xử lý dù đã quá hạn tiếp nhận (trước 15:23 thứ Hai, 02/03/2026). Đề nghị phân công ngay.'
    ), ('acc', 'cv')),
    ('tu', 'Mon 02/03 16:00', (
        'Chưa tiếp nhận: hồ sơ PA-2026-000022 (Phản ánh, Ngập úng, thoát nước) gửi UBND phường Sao Đỏ chưa '
        'có ai nhận xử lý dù đã quá hạn tiếp nhận (trước 15:22 thứ Hai, 02/03/2026). Đề nghị phân công ngay.'
    ), ('acc', 'cv')),
    ('tu', 'Mon 02/03 16:00', (
        'Chưa tiếp nhận: hồ sơ PA-2026-000023 (Phản ánh, Ngập úng, thoát nước) gửi UBND phường Sao Đỏ chưa '
        'có ai nhận xử lý dù đã quá hạn tiếp nhận (trước 15:23 thứ Hai, 02/03/2026). Đề nghị phân công ngay.'
    ), ('acc', 'cv')),
    ('tu', 'Wed 04/03 08:00', (
        'Nhắc hạn: hồ sơ HD-2026-000001 (Câu hỏi, Ngập úng, thoát nước) đến hạn vào ngày làm việc tới. Hạn '
        'trả lời: trước 17:00 thứ Năm, 05/03/2026. Người xử lý: Phạm Văn Tú.'
    ), ('ans', 'ext', 'cv')),
    ('mai', 'Wed 04/03 12:00', (
        'Nhắc hạn: hồ sơ HD-2026-000001 (Câu hỏi, Ngập úng, thoát nước) đã dùng hết một nửa thời gian giải '
        'quyết. Hạn trả lời: trước 17:00 thứ Năm, 05/03/2026. Người xử lý: chưa có người nhận.'
    ), ('acc', 'cv')),
    ('mai', 'Wed 04/03 12:00', (
        'Chưa tiếp nhận: hồ sơ HD-2026-000001 (Câu hỏi, Ngập úng, thoát nước) gửi UBND phường Sao Đỏ chưa có '
        'ai nhận xử lý dù đã quá hạn tiếp nhận (trước 15:19 thứ Hai, 02/03/2026). Đề nghị phân công ngay.'
    ), ('acc', 'cv')),
    ('hung', 'Wed 04/03 12:00', (
        'Chưa tiếp nhận: hồ sơ HD-2026-000001 (Câu hỏi, Ngập úng, thoát nước) gửi UBND phường Sao Đỏ chưa có '
        'ai nhận xử lý dù đã quá hạn tiếp nhận (trước 15:19 thứ Hai, 02/03/2026). Đề nghị phân công ngay.'
    ), ('acc', 'asg', 'cv')),
    ('mai', 'Thu 05/03 08:00', (
        'Nhắc hạn: hôm nay là hạn trả lời hồ sơ HD-2026-000001 (Câu hỏi, Ngập úng, thoát nước). Hạn trả lời: '
        'trước 17:00 thứ Năm, 05/03/2026. Người xử lý: chưa có người nhận.'
    ), ('acc', 'cv')),
    ('mai', 'Thu 05/03 12:00', (
        'Nhắc hạn: hồ sơ PA-2026-000021 (Phản ánh, Ngập úng, thoát nước) đã dùng hết một nửa thời gian giải '
        'quyết. Hạn trả lời: trước 17:00 thứ Hai, 09/03/2026. Người xử lý: Trần Thị Mai.'
    ), ('ans', 'ext', 'cv')),
    ('mai', 'Fri 06/03 08:00', (
        'Quá hạn: hồ sơ HD-2026-000001 (Câu hỏi, Ngập úng, thoát nước) đã quá hạn trả lời (hạn trước 17:00 '
        'thứ Năm, 05/03/2026). Lãnh đạo đơn vị đã được báo cáo. Người xử lý: chưa có người nhận.'
    ), ('acc', 'cv')),
    ('mai', 'Fri 06/03 08:00', (
        'Nhắc hạn: hồ sơ PA-2026-000021 (Phản ánh, Ngập úng, thoát nước) đến hạn vào ngày làm việc tới. Hạn '
        'trả lời: trước 17:00 thứ Hai, 09/03/2026. Người xử lý: Trần Thị Mai.'
    ), ('ans', 'ext', 'cv')),
    ('hung', 'Fri 06/03 08:00', (
        'Báo cáo quá hạn số 1: hồ sơ HD-2026-000001 (Câu hỏi, Ngập úng, thoát nước) của UBND phường Sao Đỏ '
        'đã quá hạn trả lời (hạn trước 17:00 thứ Năm, 05/03/2026). Người xử lý: chưa có người nhận.'
    ), ('ack',)),
    ('hung', 'Fri 06/03 08:00', (
        'Hồ sơ quá hạn của UBND phường Sao Đỏ và các đơn vị trực thuộc, ngày 06/03/2026: 1 hồ sơ.'
    ), ()),
    ('son', 'Fri 06/03 12:00', (
        'Nhắc hạn: hồ sơ PA-2026-000027 (Phản ánh, Xây dựng trái phép) đã dùng hết một nửa thời gian giải '
        'quyết. Hạn trả lời: trước 17:00 thứ Tư, 11/03/2026. Người xử lý: Trịnh Văn Sơn.'
    ), ('ans', 'ext', 'cv')),
    ('son', 'Fri 06/03 12:00', (
        'Quá hạn: hồ sơ HD-2026-000001 (Câu hỏi, Ngập úng, thoát nước) đã quá hạn trả lời (hạn trước 17:00 '
        'thứ Năm, 05/03/2026). Lãnh đạo đơn vị đã được báo cáo. Người xử lý: Trịnh Văn Sơn.'
    ), ('ans', 'ext', 'cv')),
    ('loc', 'Fri 06/03 12:00', (
        'Báo cáo quá hạn số 2: hồ sơ HD-2026-000001 (Câu hỏi, Ngập úng, thoát nước) của Phòng Quản lý đô thị '
        'đã quá hạn trả lời (hạn trước 17:00 thứ Năm, 05/03/2026). Người xử lý: Trịnh Văn Sơn.'
    ), ('ack',)),
]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=VN)


class Week:
    def __init__(self, world: World) -> None:
        self.world = world
        self.swept_to = at(2, 0)

    async def until(self, moment: datetime) -> None:
        """Run every scheduled sweep up to `moment`, then set the clock there."""
        day = self.swept_to
        while day <= moment:
            for hour in SWEEPS:
                sweep_at = day.replace(hour=hour, minute=0)
                if self.swept_to < sweep_at <= moment:
                    self.world.clock.set(sweep_at)
                    await run_sweep(self.world.db, self.world.clock)
            day = day.replace(hour=0) + (at(3, 0) - at(2, 0))
        self.swept_to = moment
        self.world.clock.set(moment)


async def play(world: World) -> dict[str, object]:
    week = Week(world)
    mai, tu = await world.official("SAODO_OFF1", chat="mai"), await world.official("SAODO_OFF2", chat="tu")
    hung = await world.official("SAODO_HEAD", chat="hung")
    son, loc = await world.official("QLDT_OFF1", chat="son"), await world.official("QLDT_HEAD", chat="loc")
    citizens, cases = [], []
    for n in range(1, 31):
        await week.until(at(2, 9, n - 1))
        citizen = await world.account(f"cit-{n}")
        citizens.append(citizen)
        if n <= 24:
            kind = CaseKind.QUESTION if n == 20 else CaseKind.REPORT
            cases.append(await world.submit(citizen, kind=kind))
        else:
            cases.append(await world.submit(citizen, category="xay_dung",
                                            text="Công trình xây dựng không phép trên đường Nguyễn Trãi."))
    case = dict(zip(range(1, 31), cases, strict=True))
    rate = {n: citizens[n - 1].identity_id for n in range(1, 31)}

    await week.until(at(2, 9, 40))
    async with world.services() as s:
        for n in range(1, 20):
            await s.case_actions.accept(mai.official_id, case[n])
        for n in (20, 21, 22):
            await s.case_actions.accept(tu.official_id, case[n])
        for n in range(25, 31):
            await s.case_actions.accept(son.official_id, case[n])
    await week.until(at(2, 10))
    async with world.services() as s:
        await s.case_actions.reject(mai.official_id, case[18], "duplicate", "PA-2026-000001")
    await week.until(at(2, 16, 30))
    async with world.services() as s:
        for n in (23, 24):
            await s.case_actions.assign(hung.official_id, case[n], mai.official_id)

    await week.until(at(3, 9))
    async with world.services() as s:
        await s.case_actions.ask(mai.official_id, case[19], "Xin gửi ảnh chỗ ngập.")
    await week.until(at(3, 10))
    async with world.services() as s:
        for n in range(1, 17):
            await s.case_actions.answer(mai.official_id, case[n], "Đã khơi thông cống, nước đã rút.")
    await week.until(at(3, 11))
    async with world.services() as s:
        for n in range(1, 11):
            await s.case_actions.rate(rate[n], case[n], True)
        await s.case_actions.rate(rate[16], case[16], False, "Chiều nay lại ngập.")
    await week.until(at(3, 14))
    async with world.services() as s:
        await s.case_actions.accept(mai.official_id, case[16])

    await week.until(at(4, 9))
    async with world.services() as s:
        revoked = await s.case_actions.revoke_official("SAODO_OFF2")
        await s.case_actions.request_extension(mai.official_id, case[17], 5, "Chờ kết quả khảo sát cống ngầm.")
    await week.until(at(4, 9, 30))
    async with world.services() as s:
        await s.case_actions.decide_extension(hung.official_id, case[17], True)
    await week.until(at(4, 10))
    async with world.services() as s:
        for n in (21, 22):
            await s.case_actions.accept(mai.official_id, case[n])
        for n in (23, 24):
            await s.case_actions.answer(mai.official_id, case[n], "Đã xử lý xong.")
    await week.until(at(4, 14))
    async with world.services() as s:
        for n in range(25, 31):
            await s.case_actions.answer(son.official_id, case[n], "Đã kiểm tra, lập biên bản đình chỉ.")
    await week.until(at(4, 15))
    async with world.services() as s:
        for n in (25, 26, 27):
            await s.case_actions.rate(rate[n], case[n], True)
        await s.case_actions.rate(rate[28], case[28], False, "Công trình vẫn thi công.")
    await week.until(at(4, 15, 30))
    async with world.services() as s:
        await s.case_actions.accept(son.official_id, case[28])

    await week.until(at(5, 10))
    async with world.services() as s:
        await s.case_actions.answer(mai.official_id, case[16], "Đã nạo vét toàn tuyến.")
        await s.case_actions.answer(mai.official_id, case[21], "Đã xử lý xong.")
    await week.until(at(5, 11))
    async with world.services() as s:
        await s.case_actions.rate(rate[16], case[16], True)

    await week.until(at(6, 9))
    async with world.services() as s:  # Tú's case went back to the unit; the head passes it on
        await s.case_actions.transfer(hung.official_id, case[20], "QLDT", "Câu hỏi về giấy phép xây dựng.")
    await week.until(at(6, 9, 30))
    async with world.services() as s:
        await s.case_actions.accept(son.official_id, case[20])
    await week.until(at(6, 15))
    async with world.services() as s:
        await s.case_actions.answer(son.official_id, case[20], "Công trình đã được cấp phép.")
    await week.until(at(6, 16))
    async with world.services() as s:
        await s.case_actions.rate(rate[20], case[20], True)
    await week.until(at(9, 7))
    return {"revoked": revoked, "mai": mai, "tu": tu, "hung": hung, "son": son, "loc": loc, "case": case}


async def notices(world: World) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(recipient chat, local moment written, first line, button keys) of the sweep's notices."""
    async with world.db.unit_of_work(readonly=True) as uow:
        rows = (await uow.session.execute(
            select(OutboxItem).where(OutboxItem.purpose == "deadline").order_by(OutboxItem.id))).scalars().all()
    return [(r.chat_id, r.created_at.astimezone(VN).strftime("%a %d/%m %H:%M"), r.payload["text"].split("\n")[0],
             tuple(k.split(":")[0] for k, _ in r.payload.get("choices", []))) for r in rows]


async def test_a_real_week(database) -> None:
    world = World(database)
    played = await play(world)
    case = played["case"]
    assert played["revoked"].handed_back == [("HD-2026-000001", "P_SAODO"), ("PA-2026-000020", "P_SAODO"),
                                             ("PA-2026-000021", "P_SAODO")]
    assert await notices(world) == EXPECTED_NOTICES
    async with world.services(commit=False) as s:
        facts = await DigestQueries(s.session, s.org).facts(iso_week(2026, 10, VN), at(9, 7))
        figures = {s.org.units_by_id[u].code: f for u, f in facts.by_unit.items()}
    assert figures == {
        "P_SAODO": Figures(received=24, received_new=24, resolved=20, on_time=20, early=20, resolve_days=26,
                           rated=12, satisfied=11, reopened=1, transfers=1, passed_late=1, passed_late_days=1),
        "QLDT": Figures(received=7, received_new=6, received_transferred=1, resolved=7, on_time=6, early=6,
                        resolve_days=16, rated=5, satisfied=4, reopened=1),
    }
    assert (await world.case(case[19])).status == "waiting"
