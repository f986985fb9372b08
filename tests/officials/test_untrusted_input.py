"""Button data and typed commands are untrusted: forged, stale, malformed and oversized ones are refused with a
clear answer, through the real engine and a local Bot API server, and nothing about the case changes."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.domain.action_keys import Verb, key, parse
from bot.domain.cases import CaseKind
from storage.models import Case, CaseEvent
from tests.officials.drivers import TelegramDriver
from tests.officials.world import MONDAY_9, World
from tests.support.harness import fake_telegram, running_bot

USERS = {"mai": 8001, "dung": 8002, "citizen": 8003, "stranger": 8004}
NO_CASE = "Không tìm thấy hồ sơ này trong các hồ sơ bạn được xử lý. Không có gì thay đổi."
DEAD_BUTTON = "Nút đó không còn dùng được."


def test_only_the_exact_key_grammar_is_read() -> None:
    assert parse("acc:123") == parse(key(Verb.ACCEPT, 123))
    assert parse("acc:123").case_id == 123  # type: ignore[union-attr]
    for raw in ("", "acc", "acc:", "acc:abc", "acc:-1", "acc:0", "acc:01", "ACC:1", "acc:1 ", " acc:1", "xyz:1",
                "acc:1:2", "acc:" + "9" * 13, "a" * 64, "rs:12\n", "acc:１２"):
        assert parse(raw) is None, raw
    assert parse("rs:5", frozenset({Verb.ACCEPT})) is None  # a citizen's key is not an official's


async def test_forged_stale_malformed_and_oversized_actions_change_nothing(db_url: str) -> None:
    clock = FakeClock(MONDAY_9)
    async with fake_telegram() as tg, running_bot(db_url, tg, clock=clock) as bot:
        d = TelegramDriver(tg, USERS)
        world = World(bot.db, clock)
        for user, seat in (("mai", "SAODO_OFF1"), ("dung", "PHALAI_OFF1")):
            async with world.services() as s:
                code = (await s.officials.invite(seat=seat)).code
            d.says(user, code)
            await d.next(user, 2)
        citizen = await world.account("8003")
        stranger = await world.account("8004")
        async with world.services() as s:
            for account in (citizen, stranger):
                await s.identities.grant_consent(account.citizen_id or 0, s.org.notice_version, clock.now())
        case_id = await world.submit(citizen, kind=CaseKind.REPORT)
        bot.sender.wake()
        await d.one("mai")  # the card
        before = await _state(world, case_id)

        # An official: a case that does not exist, a case of another unit, malformed and oversized data.
        d.presses_raw("mai", "acc:987654321")
        assert await d.one("mai") == NO_CASE
        d.presses_raw("dung", key(Verb.ACCEPT, case_id))  # Phả Lại's officer forging Sao Đỏ's case
        assert await d.one("dung") == NO_CASE
        d.presses_raw("dung", key(Verb.VIEW, case_id))
        assert await d.one("dung") == NO_CASE
        for raw in ("acc:abc", "acc:" + "1" * 40, "x" * 64, "rs:1", "ack"):
            d.presses_raw("mai", raw)
            assert (await d.next("mai", 2))[0] == DEAD_BUTTON  # then the desk menu again
        # Commands: oversized, malformed, unknown, another unit's case.
        d.says("mai", "/case " + "PA-2026-000001" * 400)
        assert await d.one("mai") == "Gõ /case kèm mã hồ sơ, ví dụ: /case PA-2026-000123"
        d.says("mai", "/case PA-2026-000001 DROP TABLE cases")
        assert await d.one("mai") == "Gõ /case kèm mã hồ sơ, ví dụ: /case PA-2026-000123"
        d.says("mai", "/case KN-2099-999999")
        assert await d.one("mai") == "Không tìm thấy hồ sơ KN-2099-999999 trong các hồ sơ bạn được xem."
        d.says("dung", "/case PA-2026-000001")
        assert await d.one("dung") == "Không tìm thấy hồ sơ PA-2026-000001 trong các hồ sơ bạn được xem."
        d.says("mai", "/accept PA-2026-000001")
        assert (await d.next("mai", 2))[0] == "Không có lệnh /accept. Gõ /help để xem các lệnh."

        # Citizens: an official's key from a citizen's chat, and a verdict on a case that is not answered or
        # not theirs.
        d.presses_raw("citizen", key(Verb.SATISFIED, case_id))
        assert await d.one("citizen") == ("Hồ sơ PA-2026-000001 đã được đánh giá hoặc không còn chờ đánh giá.")
        d.presses_raw("stranger", key(Verb.UNSATISFIED, case_id))
        assert await d.one("stranger") == "Không tìm thấy hồ sơ này trong các hồ sơ của bạn. Không có gì thay đổi."
        d.presses_raw("stranger", key(Verb.REPLY, case_id))
        assert await d.one("stranger") == "Không có câu hỏi nào đang chờ bạn trả lời ở hồ sơ đó."
        d.presses_raw("citizen", key(Verb.ACCEPT, case_id))  # the citizen side does not know the key at all
        assert DEAD_BUTTON not in await d.one("citizen")

        assert await _state(world, case_id) == before

        # Stale: once the case is answered, its old card's buttons are refused with the reason.
        async with world.services() as s:
            await s.case_actions.accept((await s.officials.resolve("SAODO_OFF1")).id, case_id)  # type: ignore[union-attr]
            await s.case_actions.answer((await s.officials.resolve("SAODO_OFF1")).id, case_id,  # type: ignore[union-attr]
                                        "Đã xử lý xong, nước đã rút.")
        answered = await _state(world, case_id)
        for verb in (Verb.REJECT, Verb.TRANSFER, Verb.ACCEPT):  # buttons of the first card, still on screen
            d.presses_raw("mai", key(verb, case_id))
            assert await d.one("mai") == ('Hồ sơ PA-2026-000001 hiện ở tình trạng "Đã trả lời"; thao tác này không '
                                          "còn thực hiện được. Không có gì thay đổi.")
        assert await _state(world, case_id) == answered


async def _state(world: World, case_id: int) -> tuple:
    async with world.db.unit_of_work(readonly=True) as uow:
        case = await uow.session.get(Case, case_id)
        assert case is not None
        events = (await uow.session.execute(
            select(func.count(CaseEvent.id)).where(CaseEvent.case_id == case_id))).scalar_one()
        return (case.status, case.unit_id, case.assignee_id, case.rating, case.due_at, case.transfer_count, events)


async def test_a_refused_press_in_the_middle_of_an_answer_loses_nothing(db_url: str) -> None:
    clock = FakeClock(MONDAY_9)
    async with fake_telegram() as tg, running_bot(db_url, tg, clock=clock) as bot:
        d = TelegramDriver(tg, USERS)
        world = World(bot.db, clock)
        async with world.services() as s:
            code = (await s.officials.invite(seat="SAODO_OFF1")).code
        d.says("mai", code)
        await d.next("mai", 2)
        citizen = await world.account("8003")
        case_id = await world.submit(citizen)
        bot.sender.wake()
        await d.one("mai")
        d.chooses("mai", "Nhận xử lý")
        await d.one("mai")
        d.chooses("mai", "Trả lời và kết thúc")
        await d.one("mai")
        d.says("mai", "Đã khơi thông cống, nước đã rút hết.")
        assert (await d.one("mai")).endswith("Gửi câu trả lời này và kết thúc xử lý?")

        d.presses_raw("mai", "acc:987654321")  # a forged press while the answer waits to be sent
        assert await d.next("mai", 2) == [
            NO_CASE, "Bạn vẫn đang làm dở hồ sơ PA-2026-000001: tiếp tục ở câu hỏi trước, hoặc gõ /cancel để bỏ."]
        assert d.choices("mai") == ["Gửi trả lời", "Sửa lại", "Hủy"]
        d.says("mai", "/nope")
        assert (await d.next("mai", 2))[1].startswith("Bạn vẫn đang làm dở hồ sơ PA-2026-000001")
        d.says("mai", "1")  # Send, typed: the answer written before is still there
        assert await d.one("mai") == "Đã gửi trả lời hồ sơ PA-2026-000001. Người dân được mời đánh giá kết quả."
        assert (await world.case(case_id)).status == "resolved"
