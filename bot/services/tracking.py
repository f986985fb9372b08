"""Looking a case up by tracking code and PIN, without any messenger (the /track page).

Guessing is made hopeless without letting a stranger lock a citizen out: each try is counted against its code
BEFORE the PIN is checked, under the code's row lock (one `pin_guards` row per code), and past a few free
tries the code waits longer and longer between checks (bot.domain.guessing); a right PIN resets it. An address
with too many recent wrong PINs waits too. The signed link of the receipt (bot.services.track_links) opens the
case without any of this. The PIN hash is checked in a thread, off the event loop. An unknown code costs the
same PIN hash as a known one and gives the same answer as a wrong PIN, so the page does not reveal which
codes exist. The citizen
sees only what is meant for them: the public history and the answer, never an official's notes. A rating goes
through the officials' case action (bot.services.case_actions), exactly like a rating given in the chat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.authz import Refused
from bot.domain.cases import CaseStatus, PublicEvent
from bot.domain.guessing import FREE_TRIES, last_free_try, wait_after
from bot.services.case_actions import CaseActions, Verdict
from bot.services.context import AppContext
from bot.services.org_view import OrgSnapshot
from bot.services.pins import check_pin_off_loop, hash_pin
from storage.models import Case, PinAttempt, PinGuard
from storage.repositories.cases import CaseRepository
from storage.repositories.dialect import insert_for, is_postgres
from storage.uow import Database

FAILURES_PER_ADDRESS = 30  # wrong PINs from one address (IPv6: one /64) within ADDRESS_WINDOW
ADDRESS_WINDOW = timedelta(minutes=15)
CODE_SHAPE = re.compile(r"^[A-Z]{2,4}-\d{4}-\d{4,8}$")
MAX_CODE = 32
MAX_COMMENT = 1000
VERDICTS = ("satisfied", "unsatisfied")
ANSWER_ACTIONS = ("answered", "answer")  # the officials' answer event (and the lifecycle's name for it)
# Hashed once: an unknown code is checked against it, so it takes as long as a known one.
_DECOY_HASH = hash_pin("000000")


class TrackingLocked(Exception):
    """Too many wrong PINs for this code or from this address lately; try again at `until`."""

    def __init__(self, code: str, until: datetime | None = None) -> None:
        super().__init__(code)
        self.until = until


@dataclass(frozen=True, slots=True)
class LookUp:
    """What a code + PIN gave: the case, or nothing (with a warning when the next wrong PIN starts a wait)."""

    case: TrackedCase | None
    last_free_try: bool = False


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
    history: list[PublicEvent]
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
        self.case_rows = CaseRepository(session)

    async def reserve_try(self, code: str, address: str) -> tuple[str | None, int]:
        """Count one PIN check against `code` before it happens: the stored hash to check against (None for
        an unknown code) and the wrong PINs before this one. Raises TrackingLocked while the code (or the
        address) must wait. Atomic per code: PostgreSQL locks the code's row, SQLite's write transaction
        (BEGIN IMMEDIATE) is already one at a time, so concurrent guesses never exceed the allowance."""
        now = self.app.clock.now()
        since = now - ADDRESS_WINDOW
        by_address = select(func.count(PinAttempt.id)).where(PinAttempt.address == address[:64],
                                                             PinAttempt.at > since)
        if (await self.session.execute(by_address)).scalar_one() >= FAILURES_PER_ADDRESS:
            raise TrackingLocked(code, None)
        if not CODE_SHAPE.match(code):
            return None, 0
        await self.session.execute(
            insert_for(self.session, PinGuard).values(code=code, failures=0, next_try_at=now, updated_at=now)
            .on_conflict_do_nothing(index_elements=["code"])
        )
        stmt = select(PinGuard).where(PinGuard.code == code).execution_options(populate_existing=True)
        if is_postgres(self.session):
            stmt = stmt.with_for_update()
        guard = (await self.session.execute(stmt)).scalar_one()
        if guard.failures >= FREE_TRIES and guard.next_try_at > now:
            raise TrackingLocked(code, guard.next_try_at)
        before = guard.failures
        guard.failures += 1
        guard.next_try_at, guard.updated_at = now + wait_after(guard.failures), now
        case = await self.case_rows.by_code(code)
        await self.session.flush()
        return (case.pin_hash if case is not None else None), before

    async def wrong_pin(self, code: str, address: str) -> None:
        self.session.add(PinAttempt(code=code, address=address[:64], at=self.app.clock.now()))
        await self.session.flush()

    async def right_pin(self, code: str) -> None:
        """The citizen proved the PIN: the code's count starts again."""
        now = self.app.clock.now()
        await self.session.execute(
            update(PinGuard).where(PinGuard.code == code).values(failures=0, next_try_at=now, updated_at=now)
        )

    async def view(self, code: str, language: str) -> TrackedCase | None:
        """A case whose PIN was proven moments ago (the page's signed token says so)."""
        case = await self.case_rows.by_code(normal_code(code))
        return await self._view(case, language) if case is not None else None

    async def _view(self, case: Case, language: str) -> TrackedCase:
        events = await self.case_rows.history(case.id, public_only=True)
        answers = [e for e in events if e.action in ANSWER_ACTIONS and e.note]
        category = self.org.categories_by_id.get(case.category_id or -1)
        unit = self.org.units_by_id.get(case.unit_id)
        return TrackedCase(
            code=case.code, kind=case.kind, status=case.status,
            category=category.name(language) if category else None, unit=unit.name(language) if unit else "",
            text=case.text, created_at=case.created_at, due_at=case.due_at,
            history=[PublicEvent(e.at, e.action, None if e.action in ANSWER_ACTIONS else e.note)
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
        case = await self.case_rows.by_code(normal_code(code))
        if case is None:
            return None
        try:
            return await actions.rate(case.reply_identity_id, case.id, verdict == "satisfied",
                                      comment.strip()[:MAX_COMMENT] or None)
        except Refused:
            return None


async def look_up(db: Database, app: AppContext, code: str, pin: str, address: str, language: str) -> LookUp:
    """The /track look-up in three steps: count the try (short transaction), check the PIN in a thread (no
    transaction, no lock held), then show the case or record the wrong PIN. Raises TrackingLocked."""
    code = normal_code(code)
    async with db.unit_of_work() as uow:
        org = await app.org.get(uow.session, _today(app))
        stored, before = await Tracking(uow.session, app, org).reserve_try(code, address)
        await uow.commit()
    right = await check_pin_off_loop(pin[:32], stored or _DECOY_HASH) and stored is not None
    async with db.unit_of_work() as uow:
        org = await app.org.get(uow.session, _today(app))
        tracking = Tracking(uow.session, app, org)
        if not right:
            await tracking.wrong_pin(code, address)
            await uow.commit()
            return LookUp(None, last_free_try=stored is not None and last_free_try(before + 1))
        await tracking.right_pin(code)
        await uow.commit()
        return LookUp(await tracking.view(code, language))


def _today(app: AppContext) -> date:
    return app.clock.now().astimezone(app.tz).date()
