"""Kinds of case and the case lifecycle as an explicit state machine. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class CaseKind(StrEnum):
    QUESTION = "question"  # câu hỏi
    REPORT = "report"  # phản ánh
    PETITION = "petition"  # kiến nghị
    COMPLAINT = "complaint"  # khiếu nại
    DENUNCIATION = "denunciation"  # tố cáo
    SUGGESTION = "suggestion"  # góp ý


# Tracking-code prefixes from the Vietnamese names, so officials recognise a case's kind at a glance.
CODE_PREFIX: dict[CaseKind, str] = {
    CaseKind.QUESTION: "HD",  # hỏi đáp
    CaseKind.REPORT: "PA",  # phản ánh
    CaseKind.PETITION: "KG",  # kiến nghị
    CaseKind.COMPLAINT: "KN",  # khiếu nại
    CaseKind.DENUNCIATION: "TC",  # tố cáo
    CaseKind.SUGGESTION: "GY",  # góp ý
}


class CaseStatus(StrEnum):
    SUBMITTED = "submitted"  # received and routed to a unit; nobody has taken it yet
    ASSIGNED = "assigned"  # a named official holds it
    IN_PROGRESS = "in_progress"
    WAITING_CITIZEN = "waiting"  # the official asked the citizen; the clock is paused
    RESOLVED = "resolved"  # answered; waiting for the citizen's verdict
    CLOSED = "closed"
    TRANSFERRED = "transferred"  # handed to another unit, not yet taken there
    REOPENED = "reopened"  # the citizen was not satisfied
    REJECTED = "rejected"  # refused with a reason the citizen was told


class Action(StrEnum):
    ACCEPT = "accept"
    START = "start"
    ASK = "ask"
    CITIZEN_REPLY = "citizen_reply"
    TRANSFER = "transfer"
    ANSWER = "answer"
    REJECT = "reject"
    SATISFIED = "satisfied"
    UNSATISFIED = "unsatisfied"
    EXPIRE_RATING = "expire_rating"
    CLOSE = "close"
    HAND_BACK = "hand_back"  # the holder lost their access: the case goes back to its unit, to be taken again


S = CaseStatus
OPEN_STATUSES = frozenset({S.SUBMITTED, S.ASSIGNED, S.IN_PROGRESS, S.WAITING_CITIZEN, S.TRANSFERRED, S.REOPENED})

TRANSITIONS: dict[tuple[CaseStatus, Action], CaseStatus] = {
    (S.SUBMITTED, Action.ACCEPT): S.ASSIGNED,
    (S.TRANSFERRED, Action.ACCEPT): S.ASSIGNED,
    (S.REOPENED, Action.ACCEPT): S.ASSIGNED,
    (S.ASSIGNED, Action.START): S.IN_PROGRESS,
    (S.ASSIGNED, Action.ASK): S.WAITING_CITIZEN,
    (S.IN_PROGRESS, Action.ASK): S.WAITING_CITIZEN,
    (S.WAITING_CITIZEN, Action.CITIZEN_REPLY): S.IN_PROGRESS,
    (S.ASSIGNED, Action.ANSWER): S.RESOLVED,
    (S.IN_PROGRESS, Action.ANSWER): S.RESOLVED,
    (S.RESOLVED, Action.SATISFIED): S.CLOSED,
    (S.RESOLVED, Action.EXPIRE_RATING): S.CLOSED,
    (S.RESOLVED, Action.UNSATISFIED): S.REOPENED,
    (S.REJECTED, Action.CLOSE): S.CLOSED,
    (S.ASSIGNED, Action.HAND_BACK): S.SUBMITTED,
    (S.IN_PROGRESS, Action.HAND_BACK): S.SUBMITTED,
}
for _status in (S.SUBMITTED, S.ASSIGNED, S.IN_PROGRESS, S.REOPENED, S.TRANSFERRED):
    TRANSITIONS[(_status, Action.TRANSFER)] = S.TRANSFERRED
for _status in OPEN_STATUSES:
    TRANSITIONS[(_status, Action.REJECT)] = S.REJECTED


class InvalidTransition(ValueError):
    def __init__(self, status: CaseStatus, action: Action) -> None:
        super().__init__(f"cannot {action.value} a case that is {status.value}")
        self.status, self.action = status, action


def next_status(status: CaseStatus | str, action: Action | str) -> CaseStatus:
    """The status after `action`; raises InvalidTransition when the lifecycle does not allow it."""
    status, action = CaseStatus(status), Action(action)
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise InvalidTransition(status, action) from None


def allowed_actions(status: CaseStatus | str) -> frozenset[Action]:
    status = CaseStatus(status)
    return frozenset(a for (s, a) in TRANSITIONS if s is status)


def tracking_code(kind: CaseKind | str, year: int, number: int) -> str:
    return f"{CODE_PREFIX[CaseKind(kind)]}-{year}-{number:06d}"


MIN_DESCRIPTION = 5  # characters: "ok" is not a description
MAX_DESCRIPTION = 4000


@dataclass(frozen=True, slots=True)
class PublicEvent:
    """One line of a case's history as the citizen (and the public, for a published case) may see it."""

    at: datetime
    action: str
    note: str | None
