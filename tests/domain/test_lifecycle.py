"""The case lifecycle as a table: every allowed move with its literal result, and refused moves raising."""

from __future__ import annotations

import re

import pytest

from bot.domain.cases import (
    TRANSITIONS,
    Action,
    CaseKind,
    CaseStatus,
    InvalidTransition,
    allowed_actions,
    next_status,
    tracking_code,
)

# (status, action, resulting status), written out by hand from the lifecycle the law and the design describe.
ALLOWED = [
    ("submitted", "accept", "assigned"),
    ("submitted", "transfer", "transferred"),
    ("submitted", "reject", "rejected"),
    ("assigned", "start", "in_progress"),
    ("assigned", "ask", "waiting"),
    ("assigned", "answer", "resolved"),
    ("assigned", "transfer", "transferred"),
    ("assigned", "reject", "rejected"),
    ("in_progress", "ask", "waiting"),
    ("in_progress", "answer", "resolved"),
    ("in_progress", "transfer", "transferred"),
    ("in_progress", "reject", "rejected"),
    ("waiting", "citizen_reply", "in_progress"),
    ("waiting", "reject", "rejected"),
    ("resolved", "satisfied", "closed"),
    ("resolved", "unsatisfied", "reopened"),
    ("resolved", "expire_rating", "closed"),
    ("transferred", "accept", "assigned"),
    ("transferred", "transfer", "transferred"),
    ("transferred", "reject", "rejected"),
    ("reopened", "accept", "assigned"),
    ("reopened", "transfer", "transferred"),
    ("reopened", "reject", "rejected"),
    ("rejected", "close", "closed"),
    ("assigned", "hand_back", "submitted"),  # the holder's access was revoked
    ("in_progress", "hand_back", "submitted"),
]

# A sample of moves the lifecycle must refuse, each a mistake an official or a bug could make.
REFUSED = [
    ("submitted", "answer"),  # nobody has taken the case yet
    ("submitted", "start"),
    ("submitted", "satisfied"),  # the citizen cannot rate what was never answered
    ("assigned", "accept"),  # already held
    ("waiting", "answer"),  # the official asked a question; the citizen must reply first
    ("waiting", "transfer"),
    ("resolved", "accept"),
    ("resolved", "ask"),
    ("resolved", "reject"),  # an answered case is rated, not rejected
    ("closed", "accept"),  # closed is the end
    ("closed", "unsatisfied"),
    ("closed", "reject"),
    ("closed", "close"),
    ("rejected", "accept"),
    ("rejected", "reject"),
    ("reopened", "answer"),  # a reopened case must be taken again before it is answered
    ("transferred", "answer"),
    ("in_progress", "citizen_reply"),
]


@pytest.mark.parametrize(("status", "action", "result"), ALLOWED)
def test_allowed_transition(status: str, action: str, result: str) -> None:
    assert next_status(status, action) == result
    assert next_status(CaseStatus(status), Action(action)) is CaseStatus(result)


def test_the_table_is_the_whole_lifecycle() -> None:
    """A move added to the code but not to the table above (or the other way round) fails here."""
    actual = sorted((s.value, a.value, r.value) for (s, a), r in TRANSITIONS.items())
    assert actual == sorted(ALLOWED)


@pytest.mark.parametrize(("status", "action"), REFUSED)
def test_refused_transition_raises(status: str, action: str) -> None:
    with pytest.raises(InvalidTransition) as info:
        next_status(status, action)
    assert str(info.value) == f"cannot {action} a case that is {status}"
    assert (info.value.status, info.value.action) == (status, action)


def test_unknown_status_or_action_is_not_a_transition() -> None:
    with pytest.raises(ValueError):
        next_status("archived", "accept")
    with pytest.raises(ValueError):
        next_status("submitted", "approve")


def test_allowed_actions_per_status() -> None:
    assert allowed_actions("submitted") == {Action.ACCEPT, Action.TRANSFER, Action.REJECT}
    assert allowed_actions("waiting") == {Action.CITIZEN_REPLY, Action.REJECT}
    assert allowed_actions("resolved") == {Action.SATISFIED, Action.UNSATISFIED, Action.EXPIRE_RATING}
    assert allowed_actions("rejected") == {Action.CLOSE}
    assert allowed_actions("closed") == frozenset()


@pytest.mark.parametrize(
    ("kind", "year", "number", "code"),
    [
        ("question", 2026, 1, "HD-2026-000001"),
        ("report", 2026, 123, "PA-2026-000123"),
        ("petition", 2026, 45_678, "KG-2026-045678"),
        ("complaint", 2027, 999_999, "KN-2027-999999"),
        ("denunciation", 2026, 7, "TC-2026-000007"),
        ("suggestion", 2025, 10, "GY-2025-000010"),
    ],
)
def test_tracking_code(kind: str, year: int, number: int, code: str) -> None:
    assert tracking_code(kind, year, number) == code
    assert tracking_code(CaseKind(kind), year, number) == code


def test_tracking_code_shape_for_every_kind() -> None:
    shape = re.compile(r"^(HD|PA|KG|KN|TC|GY)-\d{4}-\d{6}$")
    codes = {tracking_code(kind, 2026, 42) for kind in CaseKind}
    assert len(codes) == len(CaseKind)  # one prefix per kind, so the code tells the kind
    assert all(shape.match(code) for code in codes)


def test_tracking_code_rejects_an_unknown_kind() -> None:
    with pytest.raises(ValueError):
        tracking_code("praise", 2026, 1)
