"""The groundwork every action on a case stands on: the case as it is now (locked), the actor checked against
it (bot.domain.authz), the lifecycle (bot.domain.cases), the history, the clock.

A refusal raises `Refused` before anything is written; the caller's transaction then commits nothing of it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.model import Choice
from bot.domain.action_keys import Verb, key
from bot.domain.authz import Act, CaseFacts, Refused, Seat, may
from bot.domain.cases import Action, next_status
from bot.domain.deadlines import due_at, extend_for_pause, pick_policy
from bot.services.context import AppContext
from bot.services.intake import Intake
from bot.services.notices import Notifier
from bot.services.officials import Officials
from bot.services.org_view import OrgSnapshot, UnitInfo
from bot.services.sweep import rearm
from storage.models import Case, CaseEvent, ChannelIdentity, Official
from storage.repositories.cases import CaseRepository
from storage.repositories.officials import OfficialRepository

MIN_TEXT = 5
MAX_TEXT = 4000
QUEUE_PAGE = 5
RATING_DAYS = 7
EXTENSION_DAYS = (5, 10, 15, 30)
REJECT_REASONS = ("outside_remit", "duplicate", "not_enough_info")
WORK_VERBS = (Verb.ASK, Verb.TRANSFER, Verb.EXTEND, Verb.ANSWER, Verb.REJECT)
ACT_OF = {
    Verb.ACCEPT: Act.ACCEPT, Verb.ASK: Act.ASK, Verb.TRANSFER: Act.TRANSFER, Verb.EXTEND: Act.EXTEND,
    Verb.ANSWER: Act.ANSWER, Verb.REJECT: Act.REJECT, Verb.VIEW: Act.VIEW,
    Verb.APPROVE_EXTENSION: Act.DECIDE_EXTENSION, Verb.DECLINE_EXTENSION: Act.DECIDE_EXTENSION,
    Verb.ASSIGN: Act.ASSIGN,
}
PENDING_EXTENSION = "extension_request"
ANSWER_PHOTOS = 5


class CaseWork:
    """The case, the actor and the history, as every action on a case needs them."""

    def __init__(self, session: AsyncSession, app: AppContext, org: OrgSnapshot, notifier: Notifier,
                 officials: Officials, intake: Intake) -> None:
        self.session, self.app, self.org = session, app, org
        self.case_rows, self.official_rows = CaseRepository(session), OfficialRepository(session)
        self.notifier, self.officials, self.intake = notifier, officials, intake

    # --- loading and checking ------------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self.app.clock.now()

    async def _locked(self, case_id: int, *, lock: bool = True) -> Case:
        """The case as it is now, locked against a concurrent action (another official's press)."""
        case = await self.case_rows.current(case_id, lock=lock)
        if case is None:
            raise Refused("officials.refused.no_case")
        return case

    @staticmethod
    def facts(case: Case) -> CaseFacts:
        return CaseFacts(case.unit_id, case.status, case.assignee_id, bool(case.extended),
                         PENDING_EXTENSION in (case.details or {}))

    async def _authorised(self, official_id: int | None, case_id: int, act: Act) -> tuple[Official, Case]:
        seat = await self.officials.seat(official_id)
        if seat is None or not seat.active:
            raise Refused("officials.refused.not_official")
        case = await self._locked(case_id, lock=act is not Act.VIEW)
        decision = may(seat, act, self.facts(case), self.officials.parents())
        if not decision:
            if decision.reason == "not_yours":
                await self._moved_away(case, seat)
            await self._refuse(decision.reason, case)
        official = await self.officials.get(seat.official_id)
        assert official is not None
        return official, case

    async def _moved_away(self, case: Case, seat: Seat) -> None:
        """A case this official's unit passed on (transferred, sent up): refused with where it is now, since
        they knew of it; a case they never had stays invisible."""
        unit = self.org.units_by_id.get(seat.unit_id)
        if unit is None:
            return
        passed = await self.session.execute(
            select(CaseEvent.id).where(CaseEvent.case_id == case.id, CaseEvent.action.in_(("transferred", "sent_up")),
                                       CaseEvent.data["from"].as_string() == unit.code).limit(1))
        if passed.first() is not None:
            now_at = self._unit(case.unit_id)
            raise Refused("officials.refused.moved", code=case.code, unit=now_at.name(self.app.default_language))

    async def _refuse(self, reason: str, case: Case) -> None:
        """Raise the refusal for `reason`, worded for this case."""
        status = case.status
        holder = await self.officials.get(case.assignee_id) if case.assignee_id else None
        name = holder.name if holder else ""
        match reason:
            case "taken":
                raise Refused("officials.refused.taken", code=case.code, name=name)
            case "held_by_other":
                raise Refused("officials.refused.held_by_other", code=case.code, name=name)
            case "take_first":
                raise Refused("officials.refused.take_first", code=case.code)
            case "wrong_state":
                raise Refused("officials.refused.wrong_state", code=case.code, status=status)
            case "extended":
                raise Refused("officials.refused.extended", code=case.code)
            case "extension_pending":
                raise Refused("officials.refused.extension_pending", code=case.code)
            case "heads_only":
                raise Refused("officials.refused.heads_only", code=case.code)
            case "no_request":
                raise Refused("officials.refused.no_request", code=case.code)
            case _:  # not_yours, not_official, no_grant: the case stays invisible
                raise Refused("officials.refused.no_case")

    def _move(self, case: Case, action: Action) -> tuple[str, str]:
        before = case.status
        case.status = next_status(before, action).value
        return before, case.status

    async def _event(self, case: Case, action: str, *, official: Official | None = None, citizen: bool = False,
                     moved: tuple[str | None, str] | None = None, note: str | None = None, public: bool = True,
                     data: dict[str, Any] | None = None) -> CaseEvent:
        actor_id: int | None
        if official is not None:
            kind, actor_id = "official", official.id
        elif citizen:
            kind, actor_id = "citizen", None if case.sealed else case.citizen_id
        else:
            kind, actor_id = "system", None
        return await self.case_rows.add_event(
            case, at=self.now, action=action, actor_kind=kind, actor_id=actor_id,
            from_status=moved[0] if moved else None, to_status=moved[1] if moved else None, note=note,
            public=public, data=data or {},
        )

    def _resume_clock(self, case: Case) -> None:
        """The citizen answered: push every running deadline on by the office time spent waiting."""
        if case.paused_at is None:
            return
        paused_from, now, calendar = case.paused_at, self.now, self.org.calendar
        if case.due_at is not None:
            case.due_at = extend_for_pause(case.due_at, paused_from, now, calendar)
        case.paused_at = None
        rearm(case, now)  # the deadline sweep plans its next reminder from the new due date

    def _new_period(self, case: Case) -> None:
        """A reopened case gets the law's time again, counted from now."""
        category = self.org.categories_by_id.get(case.category_id or -1)
        policy = pick_policy(self.org.policies, case.kind, category.code if category else None)
        if policy is None:
            return
        accept = due_at(self.now, policy.accept, self.org.calendar) if policy.accept else None
        resolve = due_at(self.now, policy.resolve, self.org.calendar)
        case.accept_due_at, case.accepted_at = accept, None
        case.due_at = case.original_due_at = resolve
        rearm(case, self.now)

    def _unit(self, unit_id: int) -> UnitInfo:
        return self.org.units_by_id[unit_id]

    def _parent(self, unit_id: int) -> UnitInfo | None:
        parent = self._unit(unit_id).parent_code
        return self.org.units.get(parent) if parent else None

    def _coordinator(self) -> UnitInfo | None:
        return self.org.units.get(str(self.org.settings.get("coordinator") or ""))

    async def _others_at_desk(self, case: Case, official_id: int) -> list[ChannelIdentity]:
        return [i for i in await self.notifier.receivers(case.unit_id) if i.official_id != official_id]

    async def available(self, seat: Seat, case: Case) -> tuple[Verb, ...]:
        parents, facts = self.officials.parents(), self.facts(case)
        verbs = (Verb.ACCEPT, *WORK_VERBS, Verb.APPROVE_EXTENSION, Verb.DECLINE_EXTENSION)
        return tuple(v for v in verbs if may(seat, ACT_OF[v], facts, parents))

    @staticmethod
    def _text(text: str, *, minimum: int = MIN_TEXT) -> str:
        clean = (text or "").strip()
        if len(clean) < minimum:
            raise Refused("officials.refused.too_short", minimum=minimum)
        if len(clean) > MAX_TEXT:
            raise Refused("officials.refused.too_long", limit=MAX_TEXT, length=len(clean))
        return clean


def sealed_contact(case: Case) -> str | None:
    """The contact a walk-in or phone citizen gave, for the officials; a denunciation's stays sealed."""
    return None if case.sealed else (case.details or {}).get("contact")


def case_choice(verb: Verb, case_id: int, label: str) -> Choice:
    return Choice(key(verb, case_id), label)


def unique_accounts(identities: list[ChannelIdentity]) -> list[ChannelIdentity]:
    seen: dict[int, ChannelIdentity] = {}
    for identity in identities:
        seen.setdefault(identity.id, identity)
    return list(seen.values())
