"""`tiepdan sweep --at` is a what-if: it prints what the sweep would send at that moment (to whom, when, the
message and its buttons) and changes nothing; `--send` does it for real."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.services.sweep import run_sweep
from storage.models import Case, OutboxItem
from storage.uow import Database
from tests.deadlines.support import link, submit, vn
from tests.deadlines.test_digest_cli import tiepdan


async def _state(db: Database) -> tuple[int, object]:
    async with db.unit_of_work(readonly=True) as uow:
        rows = (await uow.session.execute(select(func.count(OutboxItem.id)))).scalar_one()
        due = (await uow.session.execute(select(Case.next_action_at))).scalar_one()
    return rows, due


async def test_what_if_prints_and_changes_nothing(db_url: str, database: Database) -> None:
    await link(database, "SAODO_OFF1", 1001)
    await submit(database, FakeClock(vn(2026, 3, 2, 9, 0)))
    before = await _state(database)

    report = await run_sweep(database, FakeClock(vn(2026, 3, 2, 15, 30)), what_if=True)
    assert (report.reminders, await _state(database)) == (1, before)
    assert [(r.chat_id, r.purpose, [k for k, _ in r.payload["choices"]]) for r in report.would_send] == [
        ("1001", "deadline", ["acc:1", "cv:1"])]

    code, out = await tiepdan(db_url, "sweep", "--at", "2026-03-02T15:30+07:00")
    lines = out.splitlines()
    assert code == 0, out
    assert lines[0] == "what if the clock read 15:30 02/03/2026: nothing was sent or changed (add --send to do it)"
    assert lines[1].startswith("- to Trần Thị Mai (telegram:1001) at 15:30 02/03: Chưa tiếp nhận: hồ sơ PA-2026-000001")
    assert lines[1].endswith(" [Nhận xử lý, Xem hồ sơ và quá trình]")  # the notice carries its actions
    assert await _state(database) == before

    code, out = await tiepdan(db_url, "sweep", "--at", "2026-03-02T15:30+07:00", "--send")
    assert code == 0 and out.startswith("cases=1 reminders=1")
    assert (await _state(database))[0] == before[0] + 1
