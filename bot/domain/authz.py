"""Who may do what to which case, in which state. Pure rules over small facts; no I/O.

Every action an official takes from a chat is checked here against the case as it is NOW (button data and
typed commands are untrusted), so a stale or forged action is refused before anything changes.

Roles (per unit):
- officer: works the unit's cases - takes them, and then asks, transfers, extends, answers, rejects;
- head: everything an officer does on any case of the unit, and approves extensions;
- leader: head of its own unit; reads every case of the units below;
- overseer: aggregates only (People's Council, Fatherland Front) - no case, no personal data;
- admin: manages officials (invites, revokes) - no case;
- committee: the standing committee - decides leaders' breakthrough tasks (bot/services/work.py) - no case.
- secretariat: a leader's office - announcements and dialogue sessions for its unit, no case.
A head or leader reads the cases of the units below their own; acting on them is the job of those units'
own people, until a case is sent up to them (it then belongs to their unit).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.cases import CaseStatus, InvalidTransition, next_status


class Refused(Exception):
    """An action that may not happen now; `key` names the message the actor is told (a catalog key)."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key, self.params = key, params


class Role(StrEnum):
    OFFICER = "officer"
    HEAD = "head"
    LEADER = "leader"
    OVERSEER = "overseer"
    ADMIN = "admin"
    COMMITTEE = "committee"  # the standing committee: approves leaders' breakthrough tasks
    SECRETARIAT = "secretariat"


class Act(StrEnum):
    VIEW = "view"
    ACCEPT = "accept"
    ASK = "ask"
    TRANSFER = "transfer"
    EXTEND = "extend"
    DECIDE_EXTENSION = "decide_extension"
    ANSWER = "answer"
    REJECT = "reject"
    REVEAL = "reveal"
    ASSIGN = "assign"  # the head gives the case to a named officer of the unit


ROLES = frozenset(r.value for r in Role)
DESK_ROLES = frozenset({Role.OFFICER, Role.HEAD})
CHIEF_ROLES = frozenset({Role.HEAD, Role.LEADER})
# Who may write to the followers of an area, and schedule a dialogue, in their unit's name.
ANNOUNCER_ROLES = frozenset({Role.HEAD, Role.LEADER, Role.SECRETARIAT})
UNTAKEN = frozenset({CaseStatus.SUBMITTED, CaseStatus.TRANSFERRED, CaseStatus.REOPENED})
WORKING = frozenset({CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS})
# The lifecycle action each act must be allowed to take (acts without one change no status).
LIFECYCLE = {Act.ACCEPT: "accept", Act.ASK: "ask", Act.TRANSFER: "transfer", Act.ANSWER: "answer",
             Act.REJECT: "reject"}


@dataclass(frozen=True, slots=True)
class Seat:
    """The official behind a chat account, as the rules need them."""

    official_id: int
    unit_id: int
    role: str
    view_identity: bool = False
    active: bool = True


@dataclass(frozen=True, slots=True)
class CaseFacts:
    unit_id: int
    status: str
    assignee_id: int | None
    extended: bool = False
    extension_pending: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str = ""  # why not: not_official | not_yours | take_first | taken | wrong_state | extended | ...

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)


def ancestors(unit_id: int, parents: Mapping[int, int | None]) -> list[int]:
    """The units above `unit_id`, nearest first (a loop in bad data stops the walk)."""
    chain: list[int] = []
    current = parents.get(unit_id)
    while current is not None and current not in chain and current != unit_id:
        chain.append(current)
        current = parents.get(current)
    return chain


def may(seat: Seat | None, act: Act, case: CaseFacts, parents: Mapping[int, int | None]) -> Decision:
    """Whether `seat` may do `act` to `case` now; the reason when not."""
    if seat is None or not seat.active:
        return Decision(False, "not_official")
    role = Role(seat.role) if seat.role in ROLES else None
    own_unit = seat.unit_id == case.unit_id
    desk = own_unit and role in DESK_ROLES
    chief = own_unit and role in CHIEF_ROLES  # answers for the unit's cases
    above = role in CHIEF_ROLES and seat.unit_id in ancestors(case.unit_id, parents)
    status = CaseStatus(case.status)

    if act is Act.VIEW:
        return ALLOW if desk or chief or above else Decision(False, "not_yours")
    if act is Act.REVEAL:
        if not seat.view_identity:
            return Decision(False, "no_grant")
        return ALLOW if desk or chief or above else Decision(False, "not_yours")
    if not (desk or chief):
        return Decision(False, "not_yours")

    if act is Act.ASSIGN:
        if not chief:
            return Decision(False, "heads_only")
        return ALLOW if status in UNTAKEN | WORKING else Decision(False, "wrong_state")
    if act is Act.DECIDE_EXTENSION:
        if not chief:
            return Decision(False, "heads_only")
        return ALLOW if case.extension_pending and status in WORKING else Decision(False, "no_request")
    if act is Act.ACCEPT:
        if status not in UNTAKEN:
            held = case.assignee_id is not None and status in WORKING | {CaseStatus.WAITING_CITIZEN}
            return Decision(False, "taken" if held else "wrong_state")
        return _lifecycle(act, status)
    holder = chief or case.assignee_id == seat.official_id
    if act in (Act.TRANSFER, Act.REJECT):
        # The unit may pass on or decline a case nobody has taken; once taken, its holder or the head does.
        if status in UNTAKEN or holder:
            return _lifecycle(act, status)
        return Decision(False, "held_by_other")
    # ask, extend, answer: the case must be taken, by this official (or the head may act on it).
    if status in UNTAKEN:
        return Decision(False, "take_first")
    if not holder:
        return Decision(False, "held_by_other")
    if act is Act.EXTEND:
        if status not in WORKING and status is not CaseStatus.WAITING_CITIZEN:
            return Decision(False, "wrong_state")
        if case.extended:
            return Decision(False, "extended")
        return Decision(False, "extension_pending") if case.extension_pending else ALLOW
    return _lifecycle(act, status)


def _lifecycle(act: Act, status: CaseStatus) -> Decision:
    try:
        next_status(status, LIFECYCLE[act])
    except InvalidTransition:
        return Decision(False, "wrong_state")
    return ALLOW


def may_manage_officials(seat: Seat | None, unit_id: int, parents: Mapping[int, int | None]) -> bool:
    """Admins invite and revoke officials of their own unit and the units below it."""
    if seat is None or not seat.active or seat.role != Role.ADMIN:
        return False
    return unit_id == seat.unit_id or seat.unit_id in ancestors(unit_id, parents)


def may_record(seat: Seat | None) -> bool:
    """Officers and heads record cases for citizens who came in person or called."""
    return seat is not None and seat.active and seat.role in DESK_ROLES


def may_see_queue(seat: Seat | None) -> bool:
    return seat is not None and seat.active and seat.role in DESK_ROLES | CHIEF_ROLES
