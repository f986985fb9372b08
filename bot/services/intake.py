"""Receiving a case: route it, set its deadlines, give it a tracking code, tell the unit - in one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.cases import CaseKind, CaseStatus, tracking_code
from bot.domain.deadlines import due_at, pick_policy
from bot.services.context import AppContext
from bot.services.notices import Notifier
from bot.services.org_view import OrgSnapshot, UnitInfo
from bot.services.pins import hash_pin, new_pin
from storage.models import Case
from storage.repositories.cases import CaseRepository, next_number


@dataclass(frozen=True, slots=True)
class Draft:
    kind: CaseKind
    text: str
    category: str | None
    area: str | None
    language: str = "vi"
    lat: float | None = None
    lon: float | None = None
    source: str = "chat"
    details: dict[str, Any] | None = None
    accused_unit: str | None = None  # denunciations: the unit the tip is about
    unit: str | None = None  # the unit it goes to, routing aside (a reply to that unit's announcement)


@dataclass(frozen=True, slots=True)
class Receipt:
    case_id: int
    code: str
    pin: str
    unit: UnitInfo
    due_at: datetime


class Intake:
    def __init__(self, session: AsyncSession, app: AppContext, org: OrgSnapshot, notifier: Notifier) -> None:
        self.session, self.app, self.org, self.notifier = session, app, org, notifier
        self.case_rows = CaseRepository(session)

    def unit_for(self, draft: Draft, now: datetime) -> UnitInfo:
        if draft.kind is CaseKind.DENUNCIATION:
            # Never the unit concerned: the inspection unit above it.
            accused = draft.accused_unit or self.org.route(draft.category, draft.area, self._day(now)).code
            return self.org.inspection_for(accused)
        if draft.unit is not None and draft.unit in self.org.units:
            return self.org.units[draft.unit]
        return self.org.route(draft.category, draft.area, self._day(now))

    async def submit(self, draft: Draft, *, citizen_id: int | None, identity_id: int | None,
                     on_created: Callable[[int], Awaitable[None]] | None = None) -> Receipt:
        """Create the case; `on_created(case_id)` runs before the unit is told, so what it attaches to the
        case (the citizen's photos and voice notes) is on the card the officers receive."""
        now = self.app.clock.now()
        unit = self.unit_for(draft, now)
        policy = pick_policy(self.org.policies, draft.kind.value, draft.category)
        if policy is None:  # the organisation file's check gives every kind a kind-wide policy
            raise LookupError(f"no deadline policy for case kind {draft.kind.value!r}")
        calendar = self.org.calendar
        accept_due = due_at(now, policy.accept, calendar) if policy.accept else None
        resolve_due = due_at(now, policy.resolve, calendar)
        year = now.astimezone(self.app.tz).year
        prefix = tracking_code(draft.kind, year, 0).rsplit("-", 1)[0]
        number = await next_number(self.session, prefix)
        pin = new_pin()
        pin_hash = await asyncio.to_thread(hash_pin, pin)  # 60,000 rounds: off the event loop
        category = self.org.categories.get(draft.category or "")
        area = self.org.areas.get(draft.area or "")
        case = Case(
            code=tracking_code(draft.kind, year, number), kind=draft.kind.value, status=CaseStatus.SUBMITTED.value,
            category_id=category.id if category else None, area_id=area.id if area else None, unit_id=unit.id,
            citizen_id=citizen_id, reply_identity_id=identity_id, source=draft.source, text=draft.text,
            lat=draft.lat, lon=draft.lon, sealed=draft.kind is CaseKind.DENUNCIATION, language=draft.language,
            pin_hash=pin_hash, details=draft.details or {}, created_at=now, accept_due_at=accept_due,
            due_at=resolve_due, original_due_at=resolve_due, next_action_at=accept_due or resolve_due,
        )
        self.session.add(case)
        await self.session.flush()
        await self.case_rows.add_event(
            case, at=now, action="submitted", actor_kind="citizen" if citizen_id else "official",
            actor_id=None if case.sealed else citizen_id, to_status=case.status,
            data={"unit": unit.code, "source": draft.source},
        )
        if on_created is not None:
            await on_created(case.id)
        await self.notifier.new_case(case, unit)
        return Receipt(case.id, case.code, pin, unit, resolve_due)

    def _day(self, now: datetime) -> Any:
        return now.astimezone(self.app.tz).date()
