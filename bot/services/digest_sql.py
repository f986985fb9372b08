"""The digest's facts, read from the case events of a period (bot.domain.digest says what each figure means).

Two reads per period: the events that count (arrivals, answers, ratings, reopenings, transfers; an indexed
range on `case_events.at`) and the state of the cases that may have been open at the period's end (the last
state an event recorded before that moment). The counting itself is pure (bot.domain.digest.tally).
An event written before events recorded their `state` falls back on the case's own columns.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.cases import OPEN_STATUSES, CaseStatus
from bot.domain.digest import (
    ARRIVALS,
    RATINGS,
    REOPENED,
    Figures,
    Happening,
    Late,
    Period,
    Standing,
    as_of,
    late_cases,
    tally,
)
from bot.services.org_view import OrgSnapshot
from storage.models import Case, CaseEvent, Category
from storage.repositories.cases import CaseRepository
from storage.repositories.officials import OfficialRepository

OPEN = tuple(s.value for s in OPEN_STATUSES)
WAITING = CaseStatus.WAITING_CITIZEN.value
COUNTED = (*ARRIVALS, "answered", *RATINGS, REOPENED)


@dataclass(frozen=True, slots=True)
class Ranked:
    id: int | None
    count: int


@dataclass(frozen=True, slots=True)
class OverdueCase:
    code: str
    unit_id: int
    due_at: datetime
    days_late: int
    assignee: str | None


@dataclass(frozen=True, slots=True)
class Arrival:
    case_id: int
    unit_id: int
    category_id: int | None
    area_id: int | None


@dataclass(frozen=True, slots=True)
class PeriodFacts:
    """Everything a digest says about one period, for every unit; `of(units)` narrows it to a subtree."""

    by_unit: dict[int, Figures]
    late: list[Late]
    arrivals: list[Arrival]
    as_of: datetime

    def of(self, units: list[int]) -> Figures:
        total = Figures()
        for unit_id in units:
            total = total + self.by_unit.get(unit_id, Figures())
        return total

    def top(self, units: list[int], attribute: str, limit: int = 3) -> list[Ranked]:
        """The most frequent categories or areas among the cases that arrived (each case once)."""
        wanted = set(units)
        cases = {a.case_id: getattr(a, attribute) for a in self.arrivals
                 if a.unit_id in wanted and getattr(a, attribute) is not None}
        counts = Counter(cases.values())
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
        return [Ranked(value, count) for value, count in ranked]


class DigestQueries:
    def __init__(self, session: AsyncSession, org: OrgSnapshot) -> None:
        self.session, self.org = session, org
        self.case_rows, self.official_rows = CaseRepository(session), OfficialRepository(session)
        self.calendar = org.calendar

    def working_days(self, a: datetime, b: datetime) -> int:
        """Working days from a's local day to b's (the calendar table's ordinal difference)."""
        return self.calendar.working_days_between(self.calendar.local(a).date(), self.calendar.local(b).date())

    def _unit_id(self, code: Any) -> int | None:
        unit = self.org.units.get(str(code)) if code else None
        return unit.id if unit else None

    async def facts(self, period: Period, now: datetime) -> PeriodFacts:
        happenings, arrivals = await self._happenings(period)
        moment = as_of(period, now)
        late = late_cases(await self._standings(moment), moment, self.working_days)
        by_unit = tally(happenings, late, self.working_days)
        new = {h.case_id: h.unit_id for h in happenings if h.action == "submitted" and h.unit_id is not None}
        for unit_id, (suggested, kept) in (await self._suggestions(new)).items():
            by_unit[unit_id] = by_unit.get(unit_id, Figures()) + Figures(suggested=suggested, suggestion_kept=kept)
        return PeriodFacts(by_unit, late, arrivals, moment)

    async def _suggestions(self, new: dict[int, int]) -> dict[int, tuple[int, int]]:
        """Per unit that received them: new cases with a category suggested by the matcher, and those the
        suggestion stood for (filed under it and never re-categorised by an official)."""
        if not new:
            return {}
        first = Case.details["suggestion"]["category"].as_string()
        changed = select(CaseEvent.id).where(CaseEvent.case_id == Case.id, CaseEvent.action == "recategorised")
        counts: dict[int, tuple[int, int]] = {}
        ids = list(new)
        for start in range(0, len(ids), 500):
            rows = await self.session.execute(
                select(Case.id, and_(Category.code == first, ~changed.exists()))
                .select_from(Case).outerjoin(Category, Category.id == Case.category_id)
                .where(Case.id.in_(ids[start:start + 500]), first.is_not(None)))
            for case_id, kept in rows.all():
                suggested, kept_so_far = counts.get(new[case_id], (0, 0))
                counts[new[case_id]] = (suggested + 1, kept_so_far + (1 if kept else 0))
        return counts

    async def _happenings(self, period: Period) -> tuple[list[Happening], list[Arrival]]:
        stmt = (
            select(CaseEvent.case_id, CaseEvent.action, CaseEvent.at, CaseEvent.to_status, CaseEvent.data,
                   Case.unit_id, Case.due_at, Case.extended, Case.created_at, Case.category_id, Case.area_id)
            .join(Case, Case.id == CaseEvent.case_id)
            .where(CaseEvent.at >= period.start, CaseEvent.at < period.end,
                   CaseEvent.action.in_(COUNTED))
            .order_by(CaseEvent.at, CaseEvent.id)
        )
        happenings, arrivals = [], []
        for row in (await self.session.execute(stmt)).all():
            case_id, action, at, to_status, data, unit_id, due, extended, created, category_id, area_id = row
            data = data or {}
            state = data.get("state") or {}
            unit = state.get("unit_id") or unit_id
            from_unit = None
            if action == "submitted":
                unit = state.get("unit_id") or self._unit_id(data.get("unit")) or unit_id
            elif action in ("transferred", "sent_up"):
                unit = self._unit_id(data.get("to")) or state.get("unit_id") or unit_id
                from_unit = self._unit_id(data.get("from"))
            held = datetime.fromisoformat(state["due"]) if state.get("due") else due
            since = datetime.fromisoformat(data["held_since"]) if data.get("held_since") else None
            happenings.append(Happening(
                case_id, action, at, unit, to_status, held, bool(state.get("extended", extended)), created,
                from_unit, since))
            if action in ARRIVALS:
                arrivals.append(Arrival(case_id, unit, category_id, area_id))
        return happenings, arrivals

    async def _standings(self, moment: datetime) -> list[Standing]:
        """The cases received before `moment` that were open then or have changed since, as they stood."""
        columns = (Case.id, Case.unit_id, Case.status, Case.due_at, Case.assignee_id, Case.resolved_at,
                   Case.closed_at)
        received = Case.created_at < moment
        # Two reads in one UNION, not one OR: inside an OR, PostgreSQL checks `IN (events since)` row by row
        # once that set outgrows work_mem (a million cases never finish); alone, it is one hash join.
        by_columns = select(*columns).where(
            received, or_(Case.status.in_(OPEN), Case.resolved_at >= moment, Case.closed_at >= moment))
        by_events = select(*columns).where(
            received, Case.id.in_(select(CaseEvent.case_id).where(CaseEvent.at >= moment)))
        candidates = list((await self.session.execute(union(by_columns, by_events))).all())
        if not candidates:
            return []
        ids = [c[0] for c in candidates]
        last: dict[int, dict[str, Any]] = {}
        for start in range(0, len(ids), 500):
            rows = await self.session.execute(
                select(CaseEvent.case_id, CaseEvent.data)
                .where(CaseEvent.case_id.in_(ids[start:start + 500]), CaseEvent.at < moment)
                .order_by(CaseEvent.at, CaseEvent.id))
            for case_id, data in rows.all():
                if (data or {}).get("state"):
                    last[case_id] = data["state"]
        standings = []
        for case_id, unit_id, status, due, assignee_id, resolved_at, closed_at in candidates:
            state = last.get(case_id)
            if state is None:  # no recorded state: the case's columns, as the digest read them before
                was_open = (status in OPEN or (resolved_at is not None and resolved_at >= moment)
                            or (closed_at is not None and closed_at >= moment))
                standings.append(Standing(case_id, unit_id, was_open, status == WAITING, due, assignee_id))
                continue
            held = datetime.fromisoformat(state["due"]) if state.get("due") else None
            standings.append(Standing(case_id, int(state["unit_id"]), state["status"] in OPEN,
                                      state["status"] == WAITING, held, state.get("assignee_id")))
        return standings

    async def most_overdue(self, facts: PeriodFacts, units: list[int], limit: int = 3) -> list[OverdueCase]:
        wanted = set(units)
        chosen = [c for c in facts.late if c.unit_id in wanted][:limit]
        if not chosen:
            return []
        codes = await self.case_rows.codes(c.case_id for c in chosen)
        names = await self.official_rows.names(c.assignee_id for c in chosen if c.assignee_id)
        return [OverdueCase(codes[c.case_id], c.unit_id, c.due, c.days, names.get(c.assignee_id or -1))
                for c in chosen]
