"""Looking a case up by tracking code and PIN, without any messenger (the /track page).

Guessing is made hopeless: every wrong PIN is recorded, and a code (or an address) with too many recent
failures is locked for a while before its PIN is even checked. An unknown code costs the same PIN hash as a
known one and gives the same answer as a wrong PIN, so the page does not reveal which codes exist. The citizen
sees only what is meant for them: the public history and the answer, never an official's notes. A rating goes
through the officials' case action (bot.services.case_actions), exactly like a rating given in the chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.cases import CaseStatus
from bot.services.authz import Refused
from bot.services.case_actions import CaseActions, Verdict
from bot.services.context import AppContext
from bot.services.org_view import OrgSnapshot
from bot.services.pins import check_pin, hash_pin
from storage.models import Case, PinAttempt
from storage.repositories import cases as case_rows

FAILURES_PER_CODE = 5
FAILURES_PER_ADDRESS = 20
LOCK_WINDOW = timedelta(minutes=15)
MAX_CODE = 32
MAX_COMMENT = 1000
VERDICTS = ("satisfied", "unsatisfied")
ANSWER_ACTIONS = ("answered", "answer")  # the officials' answer event (and the lifecycle's name for it)
# Hashed once: an unknown code is checked against it, so it takes as long as a known one.
_DECOY_HASH = hash_pin("000000")


class TrackingLocked(Exception):
    """Too many wrong PINs for this code or from this address lately; try again later."""


@dataclass(frozen=True, slots=True)
class TrackedEvent:
    at: datetime
    action: str
    note: str | None


@dataclass(frozen=True, slots=True)
class TrackedCase:
    code: str
    kind: str
    status: str
    category: str | None
    unit: str
    text: str
    created_at: datetime
    due_at: datetime | None
    history: list[TrackedEvent]
    answer: str | None
    answered_at: datetime | None
    rating: str | None

    @property
    def can_rate(self) -> bool:
        return self.status == CaseStatus.RESOLVED.value and self.rating is None


def normal_code(code: str) -> str:
    return code.strip().upper()[:MAX_CODE]


class Tracking:
    def __init__(self, session: AsyncSession, app: AppContext, org: OrgSnapshot) -> None:
        self.session, self.app, self.org = session, app, org

    async def look_up(self, code: str, pin: str, address: str, language: str) -> TrackedCase | None:
        """The case if the PIN is right; None if not (recorded); raises TrackingLocked when locked."""
        code, now = normal_code(code), self.app.clock.now()
        if await self._locked(code, address[:64], now):
            raise TrackingLocked(code)
        case = await case_rows.by_code(self.session, code) if code else None
        if not check_pin(pin[:32], case.pin_hash if case is not None else _DECOY_HASH) or case is None:
            self.session.add(PinAttempt(code=code, address=address[:64], at=now))
            await self.session.flush()
            return None
        return await self._view(case, language)

    async def tries_left(self, code: str, address: str) -> int:
        """Wrong PINs this code (or address) may still take before the look-up locks."""
        since = self.app.clock.now() - LOCK_WINDOW
        by_code = select(func.count(PinAttempt.id)).where(PinAttempt.code == normal_code(code), PinAttempt.at > since)
        by_address = select(func.count(PinAttempt.id)).where(PinAttempt.address == address[:64],
                                                             PinAttempt.at > since)
        return min(FAILURES_PER_CODE - (await self.session.execute(by_code)).scalar_one(),
                   FAILURES_PER_ADDRESS - (await self.session.execute(by_address)).scalar_one())

    async def view(self, code: str, language: str) -> TrackedCase | None:
        """A case whose PIN was proven moments ago (the page's signed token says so)."""
        case = await case_rows.by_code(self.session, normal_code(code))
        return await self._view(case, language) if case is not None else None

    async def _locked(self, code: str, address: str, now: datetime) -> bool:
        since = now - LOCK_WINDOW
        by_code = select(func.count(PinAttempt.id)).where(PinAttempt.code == code, PinAttempt.at > since)
        by_address = select(func.count(PinAttempt.id)).where(PinAttempt.address == address, PinAttempt.at > since)
        return (
            (await self.session.execute(by_code)).scalar_one() >= FAILURES_PER_CODE
            or (await self.session.execute(by_address)).scalar_one() >= FAILURES_PER_ADDRESS
        )

    async def _view(self, case: Case, language: str) -> TrackedCase:
        events = await case_rows.history(self.session, case.id, public_only=True)
        answers = [e for e in events if e.action in ANSWER_ACTIONS and e.note]
        category = self.org.categories_by_id.get(case.category_id or -1)
        unit = self.org.units_by_id.get(case.unit_id)
        return TrackedCase(
            code=case.code, kind=case.kind, status=case.status,
            category=category.name(language) if category else None, unit=unit.name(language) if unit else "",
            text=case.text, created_at=case.created_at, due_at=case.due_at,
            history=[TrackedEvent(e.at, e.action, None if e.action in ANSWER_ACTIONS else e.note)
                     for e in events],
            answer=answers[-1].note if answers else None, answered_at=answers[-1].at if answers else None,
            rating=case.rating,
        )

    async def rate(self, code: str, verdict: str, comment: str, actions: CaseActions) -> Verdict | None:
        """The citizen's verdict on the answer, through the same case action the chat uses; None if refused.

        Knowing the PIN proves the visitor is the case's citizen, so the action runs as the case's own
        account (walk-in and phone cases have none, which the action accepts the same way).
        """
        if verdict not in VERDICTS:
            return None
        case = await case_rows.by_code(self.session, normal_code(code))
        if case is None:
            return None
        try:
            return await actions.rate(case.reply_identity_id, case.id, verdict == "satisfied",
                                      comment.strip()[:MAX_COMMENT] or None)
        except Refused:
            return None
