"""A head assigns a case to a named officer from a short list, from the "not accepted" notice itself: every
reminder carries the action it asks for."""

from __future__ import annotations

from datetime import datetime

from bot.clock import FakeClock
from bot.services.sweep import run_sweep
from tests.flows.chat_driver import CHANNEL, make_bot
from tests.officials.world import MONDAY_9, VN, World


async def test_the_head_assigns_from_the_not_accepted_notice(database) -> None:
    world = World(database)
    citizen = await world.account("cit-1")
    await world.official("SAODO_HEAD", chat="7401", channel=CHANNEL)
    mai, tu = await world.official("SAODO_OFF1"), await world.official("SAODO_OFF2")
    case_id = await world.submit(citizen)
    # Nobody took it within the 4 working hours (by 15:00): the whole desk is told, each with their actions.
    await run_sweep(database, FakeClock(datetime(2026, 3, 2, 15, 30, tzinfo=VN)))
    head_notice = (await world.outbox("7401"))[-1].payload
    assert head_notice["text"].startswith("Chưa tiếp nhận: hồ sơ PA-2026-000001")
    assert head_notice["choices"] == [[f"acc:{case_id}", "Nhận xử lý"], [f"asg:{case_id}", "Giao cho cán bộ"],
                                      [f"cv:{case_id}", "Xem hồ sơ và quá trình"]]
    assert [k for k, _ in (await world.outbox(mai.chat))[-1].payload["choices"]] == [f"acc:{case_id}", f"cv:{case_id}"]

    bot = make_bot(database, MONDAY_9.replace(hour=9))
    head = bot.chat(7401)
    listed = await head.presses(f"asg:{case_id}")
    assert listed[0].text == "Giao hồ sơ PA-2026-000001 cho cán bộ nào?"
    assert [c.label for c in listed[0].choices] == ["Phạm Văn Tú", "Trần Thị Mai"]
    done = await head.presses(f"o{tu.official_id}")
    assert done[0].text == "Đã giao hồ sơ PA-2026-000001 cho Phạm Văn Tú."
    told = (await world.outbox(tu.chat))[-1].payload
    assert told["text"] == ("Đồng chí Nguyễn Văn Hùng giao đồng chí xử lý hồ sơ PA-2026-000001. Hạn giải quyết: "
                            "trước 17:00 thứ Hai, 09/03/2026.")
    assert [k for k, _ in told["choices"]] == [f"ans:{case_id}", f"ask:{case_id}", f"ext:{case_id}", f"cv:{case_id}"]
    assert (await world.texts_to(mai.chat))[-1] == "Hồ sơ PA-2026-000001 đã được Phạm Văn Tú nhận xử lý."
    case = await world.case(case_id)
    assert (case.status, case.assignee_id) == ("assigned", tu.official_id)
