"""Who may do what to a case, written out: every action x every kind of account, on a fresh case each time.

An allowed action succeeds; every other one is refused and changes nothing - not the case, not its history,
not the outbox - even though the turn that tried it commits (as the engine's turns do).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import func, select

from bot.domain.action_keys import Verb
from bot.domain.authz import Refused
from bot.services import Services
from storage.models import Case, CaseEvent, OutboxItem
from tests.officials.world import Account, World

A, D = "allow", "deny"
ACTORS = ("own_officer", "own_head", "other_unit", "parent_head", "leader_above", "overseer", "admin", "citizen",
          "stranger")
# The case is P_SAODO's (a ward under UBND). own_officer holds it once it is taken.
MATRIX: dict[str, tuple[str, ...]] = {
    #                    own_off own_head other  parent_head leader overseer admin citizen stranger
    "view":              (A,     A,       D,     A,          A,     D,       D,    D,      D),
    "accept":            (A,     A,       D,     D,          D,     D,       D,    D,      D),
    "ask":               (A,     A,       D,     D,          D,     D,       D,    D,      D),
    "transfer":          (A,     A,       D,     D,          D,     D,       D,    D,      D),
    "extend":            (A,     A,       D,     D,          D,     D,       D,    D,      D),
    "answer":            (A,     A,       D,     D,          D,     D,       D,    D,      D),
    "reject":            (A,     A,       D,     D,          D,     D,       D,    D,      D),
    "approve_extension": (D,     A,       D,     D,          D,     D,       D,    D,      D),
}
# The refusal each denied account is told (nothing about the case leaks to those who may not see it).
REFUSAL = {
    "own_officer": "officials.refused.heads_only",
    "own_head": None,
    "other_unit": "officials.refused.no_case",
    "parent_head": "officials.refused.no_case",
    "leader_above": "officials.refused.no_case",
    "overseer": "officials.refused.no_case",
    "admin": "officials.refused.no_case",
    "citizen": "officials.refused.not_official",
    "stranger": "officials.refused.not_official",
}

Perform = Callable[[Services, int | None, int], Awaitable[object]]
PERFORM: dict[str, Perform] = {
    "view": lambda s, who, case: s.case_actions.check(who, case, Verb.VIEW),
    "accept": lambda s, who, case: s.case_actions.accept(who, case),
    "ask": lambda s, who, case: s.case_actions.ask(who, case, "Xin cho biết số nhà cụ thể?"),
    "transfer": lambda s, who, case: s.case_actions.transfer(who, case, "QLDT", "Thuộc lĩnh vực đô thị."),
    "extend": lambda s, who, case: s.case_actions.request_extension(who, case, 5, "Chờ kết quả khảo sát."),
    "answer": lambda s, who, case: s.case_actions.answer(who, case, "Đã khơi thông cống thoát nước."),
    "reject": lambda s, who, case: s.case_actions.reject(who, case, "outside_remit", "Tòa án nhân dân thành phố"),
    "approve_extension": lambda s, who, case: s.case_actions.decide_extension(who, case, True),
}


async def _accounts(world: World) -> dict[str, Account]:
    return {
        "own_officer": await world.official("SAODO_OFF1"),
        "own_head": await world.official("SAODO_HEAD"),
        "other_unit": await world.official("PHALAI_OFF1"),
        "parent_head": await world.new_official("UBND", "head", "Lê Văn Cấp"),
        "leader_above": await world.official("UBND_LEADER"),
        "overseer": await world.official("HDND_OVERSEER"),
        "admin": await world.official("UBND_ADMIN"),
        "citizen": await world.account("cit-1"),
        "stranger": await world.account("stranger-1"),
    }


async def _prepared(world: World, action: str, accounts: dict[str, Account]) -> int:
    """A fresh case in the state the action applies to: taken by own_officer where the action needs it."""
    case_id = await world.submit(accounts["citizen"])
    officer = accounts["own_officer"].official_id
    if action in ("ask", "extend", "answer", "approve_extension"):
        async with world.services() as s:
            await s.case_actions.accept(officer, case_id)
            if action == "approve_extension":
                await s.case_actions.request_extension(officer, case_id, 5, "Chờ kết quả khảo sát.")
    return case_id


async def _snapshot(world: World, case_id: int) -> tuple:
    async with world.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        case = await s.get(Case, case_id)
        assert case is not None
        events = (await s.execute(select(func.count(CaseEvent.id)).where(CaseEvent.case_id == case_id))).scalar_one()
        messages = (await s.execute(select(func.count(OutboxItem.id)))).scalar_one()
        return (case.status, case.unit_id, case.assignee_id, case.due_at, case.extended, case.transfer_count,
                dict(case.details), events, messages)


async def test_authorisation_matrix(database) -> None:
    world = World(database)
    accounts = await _accounts(world)
    seen: dict[str, list[str]] = {}
    refusals: dict[tuple[str, str], str] = {}
    for action in MATRIX:
        seen[action] = []
        for actor in ACTORS:
            case_id = await _prepared(world, action, accounts)
            before = await _snapshot(world, case_id)
            outcome = A
            async with world.services() as s:  # commits either way, as a turn does
                try:
                    await PERFORM[action](s, accounts[actor].official_id, case_id)
                except Refused as refused:
                    outcome = D
                    refusals[(action, actor)] = refused.key
            seen[action].append(outcome)
            if outcome == D:
                assert await _snapshot(world, case_id) == before, f"{action} by {actor} changed something"
            elif action != "view":
                assert await _snapshot(world, case_id) != before, f"{action} by {actor} did nothing"
    assert {a: tuple(v) for a, v in seen.items()} == MATRIX
    # Accounts that may not see the case hear that it does not exist for them; the others hear why.
    for (action, actor), key in refusals.items():
        if actor == "own_officer":
            assert (action, key) == ("approve_extension", REFUSAL["own_officer"])
        else:
            assert key == REFUSAL[actor], (action, actor)


@pytest.mark.parametrize(("setup", "action", "seat", "refusal"), [
    ("taken_by_other", "accept", "SAODO_OFF1", "officials.refused.taken"),
    ("taken_by_other", "answer", "SAODO_OFF1", "officials.refused.held_by_other"),
    ("taken_by_other", "transfer", "SAODO_OFF1", "officials.refused.held_by_other"),
    ("untaken", "answer", "SAODO_OFF1", "officials.refused.take_first"),
    ("untaken", "ask", "SAODO_HEAD", "officials.refused.take_first"),
    ("untaken", "approve_extension", "SAODO_HEAD", "officials.refused.no_request"),
    ("answered", "answer", "SAODO_OFF2", "officials.refused.wrong_state"),
    ("answered", "reject", "SAODO_OFF2", "officials.refused.wrong_state"),
    ("answered", "transfer", "SAODO_HEAD", "officials.refused.wrong_state"),
    ("waiting", "answer", "SAODO_OFF2", "officials.refused.wrong_state"),
])
async def test_stale_actions_are_refused_with_the_reason_and_change_nothing(database, setup, action, seat, refusal):
    """The case moved on since the card was sent (SAODO_OFF2 took it, answered it or asked the citizen)."""
    world = World(database)
    citizen = await world.account("cit-1")
    holder = await world.official("SAODO_OFF2")
    me = await world.official(seat) if seat != "SAODO_OFF2" else holder
    case_id = await world.submit(citizen)
    async with world.services() as s:
        if setup != "untaken":
            await s.case_actions.accept(holder.official_id, case_id)
        if setup == "answered":
            await s.case_actions.answer(holder.official_id, case_id, "Đã xử lý xong.")
        if setup == "waiting":
            await s.case_actions.ask(holder.official_id, case_id, "Xin gửi thêm ảnh?")
    before = await _snapshot(world, case_id)
    async with world.services() as s:
        with pytest.raises(Refused) as refused:
            await PERFORM[action](s, me.official_id, case_id)
    assert refused.value.key == refusal
    assert await _snapshot(world, case_id) == before


async def test_a_forged_case_number_is_refused(database) -> None:
    world = World(database)
    officer = await world.official("SAODO_OFF1")
    async with world.services() as s:
        with pytest.raises(Refused) as refused:
            await s.case_actions.accept(officer.official_id, 987654321)
    assert refused.value.key == "officials.refused.no_case"
