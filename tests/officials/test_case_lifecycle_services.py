"""The case actions through the services, on both databases: the clock pauses while the citizen is asked,
extensions go through the head, verdicts reopen, send up or lead to a second-level complaint, and unrated
answers close after 7 days."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.domain.authz import Refused
from bot.domain.cases import CaseKind
from bot.services.verdicts import expire_ratings
from tests.officials.world import VN, World


async def test_ask_pauses_the_clock_and_the_reply_comes_back_on_the_case(database) -> None:
    world = World(database)
    citizen = await world.account("cit-1")
    officer = await world.official("SAODO_OFF1")
    case_id = await world.submit(citizen)
    due_before = (await world.case(case_id)).due_at
    assert due_before == datetime(2026, 3, 9, 17, 0, tzinfo=VN)  # five working days for a report

    async with world.services() as s:
        await s.case_actions.accept(officer.official_id, case_id)
        await s.case_actions.ask(officer.official_id, case_id, "Chỗ ngập cách ngã tư bao xa?")
    case = await world.case(case_id)
    assert (case.status, case.paused_at) == ("waiting", datetime(2026, 3, 2, 9, 0, tzinfo=VN))

    # The citizen answers on Tuesday at 10:00: one working day and one hour later.
    world.clock.set(datetime(2026, 3, 3, 10, 0, tzinfo=VN))
    async with world.services() as s:
        assert await s.case_actions.waiting_for(citizen.identity_id) == [(case_id, "PA-2026-000001")]
        assert await s.case_actions.citizen_reply(citizen.identity_id, case_id, "Khoảng 50 mét.") == "PA-2026-000001"
    case = await world.case(case_id)
    assert (case.status, case.paused_at) == ("in_progress", None)
    # 8 h 30 of office time waited (Monday 9:00-11:30 and 13:30-17:00, Tuesday 7:30-10:00) are given back:
    # the rest of Tuesday 10/03 (7 h 30) and one hour on Wednesday.
    assert case.due_at == datetime(2026, 3, 11, 8, 30, tzinfo=VN)

    question, = [r for r in await world.outbox("cit-1") if r.purpose == "question"]
    assert question.payload["text"] == (
        "Cán bộ xử lý hồ sơ PA-2026-000001 cần bạn cung cấp thêm thông tin:\nChỗ ngập cách ngã tư bao xa?\n\n"
        "Xin trả lời bằng cách nhắn tin ngay tại đây."
    )
    assert question.payload["choices"] == [[f"rpl:{case_id}", "Trả lời câu hỏi"]]
    relayed = (await world.texts_to(officer.chat))[-1]
    assert relayed == "Người dân đã trả lời câu hỏi về hồ sơ PA-2026-000001:\nKhoảng 50 mét."
    assert [a for a, _, _ in await world.events(case_id)] == ["submitted", "accepted", "asked", "citizen_replied"]

    async with world.services(commit=False) as s:
        with pytest.raises(Refused) as refused:
            await s.case_actions.citizen_reply(citizen.identity_id, case_id, "Lần nữa")
    assert refused.value.key == "officials.reply.not_waiting"


async def test_an_extension_needs_the_head_and_the_citizen_is_told_the_new_date(database) -> None:
    world = World(database)
    citizen = await world.account("cit-1")
    officer, head = await world.official("SAODO_OFF1"), await world.official("SAODO_HEAD")
    case_id = await world.submit(citizen)
    async with world.services() as s:
        await s.case_actions.accept(officer.official_id, case_id)
        pending = await s.case_actions.request_extension(officer.official_id, case_id, 10, "Cần khảo sát cống ngầm.")
    assert (pending.granted, pending.new_due) == (False, datetime(2026, 3, 23, 17, 0, tzinfo=VN))
    assert (await world.case(case_id)).due_at == datetime(2026, 3, 9, 17, 0, tzinfo=VN)
    request = (await world.outbox(head.chat))[-1]
    assert request.payload["text"] == (
        "Trần Thị Mai xin gia hạn hồ sơ PA-2026-000001 thêm 10 ngày làm việc (đến trước 17:00 thứ Hai, 23/03/2026). "
        "Lý do: Cần khảo sát cống ngầm."
    )
    assert [k for k, _ in request.payload["choices"]] == [f"exa:{case_id}", f"exd:{case_id}"]

    async with world.services(commit=False) as s:  # the officer cannot approve their own request
        with pytest.raises(Refused) as refused:
            await s.case_actions.decide_extension(officer.official_id, case_id, True)
    assert refused.value.key == "officials.refused.heads_only"

    async with world.services() as s:
        granted = await s.case_actions.decide_extension(head.official_id, case_id, True)
    assert granted.granted is True
    case = await world.case(case_id)
    assert (case.due_at, case.original_due_at, case.extended) == (
        datetime(2026, 3, 23, 17, 0, tzinfo=VN), datetime(2026, 3, 9, 17, 0, tzinfo=VN), True)
    told = [r.payload["text"] for r in await world.outbox("cit-1") if r.purpose == "notice"]
    assert told == ["Thời hạn giải quyết hồ sơ PA-2026-000001 được gia hạn đến trước 17:00 thứ Hai, 23/03/2026. "
                    "Lý do: Cần khảo sát cống ngầm."]
    assert (await world.texts_to(officer.chat))[-1] == (
        "Thủ trưởng đã đồng ý gia hạn hồ sơ PA-2026-000001. Hạn mới: trước 17:00 thứ Hai, 23/03/2026.")

    async with world.services(commit=False) as s:  # once per case
        with pytest.raises(Refused) as refused:
            await s.case_actions.request_extension(officer.official_id, case_id, 5, "Thêm lần nữa")
    assert refused.value.key == "officials.refused.extended"


async def test_not_satisfied_reopens_once_then_goes_up_and_closes_when_satisfied(database) -> None:
    world = World(database)
    citizen = await world.account("cit-1")
    officer = await world.official("SAODO_OFF1")
    leader = await world.official("UBND_LEADER")
    case_id = await world.submit(citizen)

    async def answer(official_id: int) -> None:
        async with world.services() as s:
            await s.case_actions.accept(official_id, case_id)
            await s.case_actions.answer(official_id, case_id, "Đã nạo vét cống, nước đã rút.")

    await answer(officer.official_id)
    async with world.services() as s:
        first = await s.case_actions.rate(citizen.identity_id, case_id, False, "Vẫn còn ngập khi mưa to.")
    assert (first.outcome, first.unit.code if first.unit else None) == ("reopened", "P_SAODO")
    case = await world.case(case_id)
    assert (case.status, case.reopen_count, case.assignee_id, case.rating) == ("reopened", 1, None, None)

    await answer(officer.official_id)
    async with world.services() as s:
        second = await s.case_actions.rate(citizen.identity_id, case_id, False, None)
    assert (second.outcome, second.unit.code if second.unit else None) == ("sent_up", "UBND")
    case = await world.case(case_id)
    assert (case.status, case.reopen_count, case.unit_id) == ("reopened", 2, second.unit.id if second.unit else 0)
    # The unit above has no head: its leader gets the card, with why.
    card = (await world.outbox(leader.chat))[-1]
    assert card.payload["text"].startswith(
        "Người dân chưa hài lòng lần thứ 2 với câu trả lời của UBND phường Sao Đỏ; hồ sơ chuyển lên để lãnh đạo "
        "chỉ đạo giải quyết. Ý kiến: -\n\nHồ sơ PA-2026-000001 (Phản ánh)")

    await answer(leader.official_id)
    async with world.services() as s:
        third = await s.case_actions.rate(citizen.identity_id, case_id, True)
    assert third.outcome == "closed"
    case = await world.case(case_id)
    assert (case.status, case.rating) == ("closed", "satisfied")
    assert [(a, k) for a, k, _ in await world.events(case_id)] == [
        ("submitted", "citizen"), ("accepted", "official"), ("answered", "official"),
        ("rated_unsatisfied", "citizen"), ("reopened", "system"),
        ("accepted", "official"), ("answered", "official"),
        ("rated_unsatisfied", "citizen"), ("sent_up", "system"),
        ("accepted", "official"), ("answered", "official"), ("rated_satisfied", "citizen"),
    ]


async def test_a_complaint_is_not_reopened_the_second_level_goes_to_the_next_authority(database) -> None:
    world = World(database)
    citizen = await world.account("cit-1")
    officer = await world.official("SAODO_OFF1")
    city = await world.official("UBND_LEADER")
    case_id = await world.submit(citizen, kind=CaseKind.COMPLAINT, category="thu_tuc",
                                 text="Khiếu nại việc phường từ chối xác nhận hồ sơ của tôi.")
    async with world.services() as s:
        await s.case_actions.accept(officer.official_id, case_id)
        await s.case_actions.answer(officer.official_id, case_id, "Quyết định giải quyết khiếu nại lần đầu số 12.")
        verdict = await s.case_actions.rate(citizen.identity_id, case_id, False, "Không đồng ý.")
    assert (verdict.outcome, verdict.unit.code if verdict.unit else None) == ("second_level", "UBND")
    case = await world.case(case_id)
    assert (case.status, case.rating, case.reopen_count) == ("resolved", "unsatisfied", 0)

    async with world.services() as s:
        receipt = await s.case_actions.second_level(citizen.identity_id, case_id,
                                                    "Tôi đề nghị UBND thành phố xem xét lại quyết định số 12.")
    assert (receipt.code, receipt.unit.code) == ("KN-2026-000002", "UBND")
    second = await world.case(receipt.case_id)
    assert (second.kind, second.status, second.details) == ("complaint", "submitted",
                                                            {"first_level": "KN-2026-000001", "level": 2})
    assert (await world.case(case_id)).details == {"second_level": "KN-2026-000002"}
    assert (await world.texts_to(city.chat))[-1].startswith(
        "Khiếu nại lần hai đối với kết quả giải quyết hồ sơ KN-2026-000001 của UBND phường Sao Đỏ.")
    async with world.services(commit=False) as s:
        with pytest.raises(Refused) as refused:  # one second-level complaint per answer
            await s.case_actions.second_level(citizen.identity_id, case_id, "Một lần nữa, xin xem lại.")
    assert refused.value.key == "officials.second_level.not_open"


async def test_answers_without_a_verdict_close_after_seven_days(database) -> None:
    world = World(database)
    citizen = await world.account("cit-1")
    officer = await world.official("SAODO_OFF1")
    first, second = await world.submit(citizen), await world.submit(citizen)
    async with world.services() as s:
        for case_id in (first, second):
            await s.case_actions.accept(officer.official_id, case_id)
        await s.case_actions.answer(officer.official_id, first, "Đã xử lý xong, cảm ơn bạn.")
    world.clock.advance(days=1)
    async with world.services() as s:
        await s.case_actions.answer(officer.official_id, second, "Đã xử lý xong, cảm ơn bạn.")

    world.clock.advance(days=5, hours=23)
    assert await expire_ratings(database, world.clock) == 0  # 6 days 23 hours after the first answer
    world.clock.advance(hours=1)
    assert await expire_ratings(database, world.clock) == 1
    assert await expire_ratings(database, world.clock) == 0  # a second run finds nothing more
    assert ((await world.case(first)).status, (await world.case(second)).status) == ("closed", "resolved")
    assert [a for a, _, _ in await world.events(first)][-1] == "rating_expired"
    world.clock.advance(days=30)  # a job that was down for a month catches up
    assert await expire_ratings(database, world.clock) == 1
    assert (await world.case(second)).status == "closed"
