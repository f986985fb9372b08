"""A report's whole deadline life, sweep by sweep on a fake clock: reminders, escalation, acknowledgements.

The report is submitted on Friday 13/02/2026 at 16:00, just before the Tết days off (14/02-22/02/2026). The
demo policy for a report is 4 working hours to accept and 5 working days to resolve, so it must be accepted
by Monday 23/02 10:30 (1 h on Friday + 3 h on Monday) and answered by Friday 27/02 17:00. The sweep runs
every 15 minutes, day and night, from the submission until Monday 09/03.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update

from bot.clock import FakeClock
from bot.domain.calendar import WorkingCalendar
from bot.services.escalation import AckOutcome, Escalations
from bot.services.org_view import OrgCache
from bot.services.sweep import run_sweep
from storage.models import Case, CaseReminder, Escalation
from storage.uow import Database
from tests.deadlines.support import app_context, link, local, outbox, submit, vn

CASE = "hồ sơ PA-2026-000001 (Phản ánh, Ngập úng, thoát nước)"
DUE = "trước 17:00 thứ Sáu, 27/02/2026"
HEAD_REPORT = (f"Báo cáo quá hạn số 1: {CASE} của UBND phường Sao Đỏ đã quá hạn trả lời (hạn {DUE}). "
               "Người xử lý: Trần Thị Mai.")
PARENT_REPORT = (f"{CASE} của UBND phường Sao Đỏ đã quá hạn {{days}} ngày làm việc (hạn {DUE}). "
                 "Người xử lý: Trần Thị Mai. Lãnh đạo đơn vị: Nguyễn Văn Hùng.")
OFF1, OFF2, HEAD, LEADER = "1001", "1002", "1003", "1004"


async def test_reminders_escalations_and_acknowledgements_of_a_report_over_tet(database: Database) -> None:
    clock = FakeClock(vn(2026, 2, 13, 16, 0))
    officer = await link(database, "SAODO_OFF1", int(OFF1))
    await link(database, "SAODO_OFF2", int(OFF2))
    head = await link(database, "SAODO_HEAD", int(HEAD))
    leader = await link(database, "UBND_LEADER", int(LEADER))
    receipt = await submit(database, clock)
    assert receipt.code == "PA-2026-000001"
    assert local(receipt.due_at) == "Fri 27/02/2026 17:00"

    org = OrgCache()
    acknowledgements = []
    while clock.now() <= vn(2026, 3, 9, 9, 0):
        now = clock.now()
        if now == vn(2026, 2, 23, 11, 0):  # Trần Thị Mai takes the case, half an hour after the accept deadline
            await _set(database, assignee_id=officer, status="assigned", accepted_at=now)
        if now == vn(2026, 3, 2, 9, 0):  # the head of the ward: "Đã nắm"
            acknowledgements.append(await _acknowledge(database, clock, head))
        if now == vn(2026, 3, 5, 9, 0):  # the city's leader, the same
            acknowledgements.append(await _acknowledge(database, clock, leader))
        if now == vn(2026, 3, 6, 10, 0):  # the answer goes out
            await _set(database, status="resolved", resolved_at=now)
        await run_sweep(database, clock, org=org)
        clock.advance(minutes=15)

    assert acknowledgements == [AckOutcome.DONE, AckOutcome.DONE]
    sent = await outbox(database)
    assert [(s.written, s.chat, s.first_line) for s in sent] == [
        # Nobody took the case within 4 working hours: the whole desk of the ward hears of it.
        *[("Mon 23/02/2026 10:30", chat,
           f"Chưa tiếp nhận: {CASE} gửi UBND phường Sao Đỏ chưa có ai nhận xử lý dù đã quá hạn tiếp nhận "
           "(trước 10:30 thứ Hai, 23/02/2026). Đề nghị phân công ngay.") for chat in (HEAD, OFF1, OFF2)],
        # Half of the 2,310 working minutes between Fri 16:00 and Fri 27/02 17:00 have gone.
        ("Wed 25/02/2026 10:45", OFF1, f"Nhắc hạn: {CASE} đã dùng hết một nửa thời gian giải quyết. "
                                       f"Hạn trả lời: {DUE}. Người xử lý: Trần Thị Mai."),
        ("Thu 26/02/2026 07:30", OFF1, f"Nhắc hạn: {CASE} đến hạn vào ngày làm việc tới. "
                                       f"Hạn trả lời: {DUE}. Người xử lý: Trần Thị Mai."),
        ("Fri 27/02/2026 07:30", OFF1, "Nhắc hạn: hôm nay là hạn trả lời hồ sơ PA-2026-000001 (Phản ánh, Ngập "
                                       f"úng, thoát nước). Hạn trả lời: {DUE}. Người xử lý: Trần Thị Mai."),
        # Breach: the holder is told, the head of the ward is asked to acknowledge.
        ("Fri 27/02/2026 17:00", OFF1, f"Quá hạn: {CASE} đã quá hạn trả lời (hạn {DUE}). "
                                       "Lãnh đạo đơn vị đã được báo cáo. Người xử lý: Trần Thị Mai."),
        ("Fri 27/02/2026 17:00", HEAD, HEAD_REPORT),
        # Not acknowledged over the weekend: repeated at the opening of the next working day.
        ("Mon 02/03/2026 07:30", HEAD, f"Nhắc lại lần 1: {HEAD_REPORT}"),
        ("Mon 02/03/2026 08:00", HEAD, "Hồ sơ quá hạn của UBND phường Sao Đỏ và các đơn vị trực thuộc, "
                                       "ngày 02/03/2026: 1 hồ sơ."),
        # Acknowledged on Monday at 09:00: no repeat on Tuesday morning, only the daily overdue list.
        ("Tue 03/03/2026 08:00", HEAD, "Hồ sơ quá hạn của UBND phường Sao Đỏ và các đơn vị trực thuộc, "
                                       "ngày 03/03/2026: 1 hồ sơ."),
        # Two working days late (Monday and Tuesday): the leader of the unit above.
        ("Tue 03/03/2026 17:00", LEADER, f"Báo cáo quá hạn số 2: {PARENT_REPORT.format(days=2)}"),
        ("Wed 04/03/2026 07:30", LEADER, f"Nhắc lại lần 1: Báo cáo quá hạn số 2: {PARENT_REPORT.format(days=3)}"),
        ("Wed 04/03/2026 08:00", HEAD, "Hồ sơ quá hạn của UBND phường Sao Đỏ và các đơn vị trực thuộc, "
                                       "ngày 04/03/2026: 1 hồ sơ."),
        ("Thu 05/03/2026 07:30", LEADER, f"Nhắc lại lần 2: Báo cáo quá hạn số 2: {PARENT_REPORT.format(days=4)}"),
        ("Thu 05/03/2026 08:00", HEAD, "Hồ sơ quá hạn của UBND phường Sao Đỏ và các đơn vị trực thuộc, "
                                       "ngày 05/03/2026: 1 hồ sơ."),
        # The leader acknowledged on Thursday: no repeat on Friday. Answered on Friday at 10:00: no overdue
        # list on Monday 09/03.
        ("Fri 06/03/2026 08:00", HEAD, "Hồ sơ quá hạn của UBND phường Sao Đỏ và các đơn vị trực thuộc, "
                                       "ngày 06/03/2026: 1 hồ sơ."),
    ]
    # Every notice went out at once (inside quiet hours, on a working day), nothing was held.
    assert {(s.status, s.written == s.release) for s in sent} == {("pending", True)}
    calendar = await _calendar(database)
    assert all(calendar.is_working_day(_day(s.written)) and "07:30" <= s.written[-5:] < "20:00" for s in sent)
    # The reports carry their acknowledgement button; its key names the escalation, re-checked when pressed.
    assert {s.choices for s in sent if s.chat in (HEAD, LEADER) and "Báo cáo" in s.first_line} == {
        ("ack:1",), ("ack:2",)}

    async with database.unit_of_work(readonly=True) as uow:
        case = (await uow.session.execute(select(Case))).scalar_one()
        reminders = (await uow.session.execute(
            select(CaseReminder.kind, CaseReminder.due_at).order_by(CaseReminder.id))).all()
        ladder = (await uow.session.execute(
            select(Escalation.level, Escalation.official_id, Escalation.repeats, Escalation.acknowledged_at,
                   Escalation.next_repeat_at).order_by(Escalation.id))).all()
    assert case.next_action_at is None  # resolved: the sweep will not look at it again
    assert [(kind, local(due)) for kind, due in reminders] == [
        ("accept_late", "Mon 23/02/2026 10:30"), ("half", "Fri 27/02/2026 17:00"),
        ("day_before", "Fri 27/02/2026 17:00"), ("due_day", "Fri 27/02/2026 17:00"),
        ("overdue", "Fri 27/02/2026 17:00"),
    ]
    assert [(level, official, repeats, local(at), after) for level, official, repeats, at, after in ladder] == [
        ("head", head, 1, "Mon 02/03/2026 09:00", None),
        ("parent", leader, 2, "Thu 05/03/2026 09:00", None),
    ]


async def test_a_sweep_that_ran_late_sends_where_the_case_stands_not_every_missed_reminder(
        database: Database) -> None:
    clock = FakeClock(vn(2026, 2, 13, 16, 0))
    officer = await link(database, "SAODO_OFF1", int(OFF1))
    await link(database, "SAODO_HEAD", int(HEAD))
    await submit(database, clock)
    await _set(database, assignee_id=officer, status="assigned", accepted_at=vn(2026, 2, 23, 9, 0))
    # The process was down from the submission until Friday 27/02 at 09:12: one sweep catches up.
    clock.set(vn(2026, 2, 27, 9, 12))
    report = await run_sweep(database, clock)
    assert (report.cases, report.reminders, report.escalations, report.messages) == (1, 1, 0, 1)
    assert [(s.written, s.chat, s.first_line) for s in await outbox(database)] == [
        ("Fri 27/02/2026 09:12", OFF1, "Nhắc hạn: hôm nay là hạn trả lời hồ sơ PA-2026-000001 (Phản ánh, Ngập "
                                       f"úng, thoát nước). Hạn trả lời: {DUE}. Người xử lý: Trần Thị Mai."),
    ]
    # Run again at the same moment: nothing is sent twice.
    again = await run_sweep(database, clock)
    assert (again.cases, again.messages) == (0, 0)
    clock.set(vn(2026, 2, 27, 17, 1))
    late = await run_sweep(database, clock)
    assert (late.reminders, late.escalations, late.messages) == (1, 1, 2)


async def test_an_extension_moves_the_reminders_and_stops_the_old_ladder(database: Database) -> None:
    clock = FakeClock(vn(2026, 2, 13, 16, 0))
    officer = await link(database, "SAODO_OFF1", int(OFF1))
    await link(database, "SAODO_HEAD", int(HEAD))
    await submit(database, clock)
    await _set(database, assignee_id=officer, status="assigned", accepted_at=vn(2026, 2, 23, 9, 0))
    clock.set(vn(2026, 2, 27, 17, 0))
    await run_sweep(database, clock)  # overdue: the head is asked to acknowledge report 1
    # An extension of 3 working days is approved (the officials' service moves due_at, keeps original_due_at).
    await _set(database, due_at=vn(2026, 3, 4, 17, 0), extended=True, next_action_at=clock.now())
    clock.set(vn(2026, 3, 2, 7, 30))
    await run_sweep(database, clock)
    clock.set(vn(2026, 3, 4, 7, 30))
    await run_sweep(database, clock)
    new_due = "trước 17:00 thứ Tư, 04/03/2026"
    assert [(s.written, s.chat, s.first_line) for s in await outbox(database)] == [
        ("Fri 27/02/2026 17:00", OFF1, f"Quá hạn: {CASE} đã quá hạn trả lời (hạn {DUE}). "
                                       "Lãnh đạo đơn vị đã được báo cáo. Người xử lý: Trần Thị Mai."),
        ("Fri 27/02/2026 17:00", HEAD, HEAD_REPORT),
        # No repeat of report 1 on Monday: the deadline is now Wednesday 04/03. By Monday 07:30 half of the new
        # time has gone (since Thursday 26/02 16:30); Tuesday's day-before reminder is skipped by this test, so
        # the sweep of Wednesday 07:30 sends only the due-day reminder, not the one it missed.
        ("Mon 02/03/2026 07:30", OFF1, f"Nhắc hạn: {CASE} đã dùng hết một nửa thời gian giải quyết. "
                                       f"Hạn trả lời: {new_due}. Người xử lý: Trần Thị Mai."),
        ("Wed 04/03/2026 07:30", OFF1, "Nhắc hạn: hôm nay là hạn trả lời hồ sơ PA-2026-000001 (Phản ánh, Ngập "
                                       f"úng, thoát nước). Hạn trả lời: {new_due}. Người xử lý: Trần Thị Mai."),
    ]


async def _set(db: Database, **values: object) -> None:
    async with db.unit_of_work() as uow:
        await uow.session.execute(update(Case).values(**values))
        await uow.commit()


async def _acknowledge(db: Database, clock: FakeClock, official_id: int) -> AckOutcome:
    async with db.unit_of_work() as uow:
        result = await Escalations(uow.session, app_context(clock)).acknowledge(official_id, None)
        await uow.commit()
    return result.outcome


async def _calendar(db: Database) -> WorkingCalendar:
    async with db.unit_of_work(readonly=True) as uow:
        return (await OrgCache().get(uow.session, vn(2026, 3, 1).date())).calendar


def _day(written: str) -> date:
    return datetime.strptime(written, "%a %d/%m/%Y %H:%M").date()
