"""Case rows, their history and the tracking-code counters."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Case, CaseEvent, CodeSequence, Official
from storage.repositories.dialect import insert_for, is_postgres


async def next_number(session: AsyncSession, sequence: str) -> int:
    """The next number of a counter; safe under concurrent writers (row lock / BEGIN IMMEDIATE)."""
    await session.execute(
        insert_for(session, CodeSequence).values(name=sequence, value=0).on_conflict_do_nothing(
            index_elements=["name"]
        )
    )
    result = await session.execute(
        update(CodeSequence).where(CodeSequence.name == sequence).values(value=CodeSequence.value + 1)
        .returning(CodeSequence.value)
    )
    return int(result.scalar_one())


class CaseRepository:
    """The cases over one session (`uow.cases`); it never commits, the unit of work does."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_code(self, code: str) -> Case | None:
        return (await self.session.execute(
            select(Case).where(Case.code == code.strip().upper()))).scalar_one_or_none()

    async def get(self, case_id: int) -> Case | None:
        return await self.session.get(Case, case_id)

    async def current(self, case_id: int, *, lock: bool) -> Case | None:
        """The case as the database has it now (not as this session last saw it); `lock`: held against a
        concurrent change until the transaction ends."""
        stmt = select(Case).where(Case.id == case_id).execution_options(populate_existing=True)
        if lock:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def due(self, now: datetime, limit: int) -> list[Case]:
        """The cases whose next action is due by `now`, soonest first (one indexed query on next_action_at).
        On PostgreSQL they stay locked to this transaction, and another sweep's are skipped, not waited for."""
        stmt = select(Case).where(Case.next_action_at <= now).order_by(Case.next_action_at).limit(limit)
        if is_postgres(self.session):
            stmt = stmt.with_for_update(skip_locked=True)
        return list((await self.session.execute(stmt)).scalars())

    async def without_next_action(self, open_statuses: Sequence[str]) -> list[Case]:
        """Open cases with a due date but no next action (an invariant broken)."""
        return list((await self.session.execute(
            select(Case).where(Case.next_action_at.is_(None), Case.status.in_(open_statuses),
                               Case.due_at.is_not(None))
        )).scalars())

    async def held_by_inactive(self, open_statuses: Sequence[str]) -> list[Case]:
        """Open cases held by an official whose access has ended."""
        return list((await self.session.execute(
            select(Case).join(Official, Official.id == Case.assignee_id)
            .where(Case.status.in_(open_statuses), Official.active.is_(False))
        )).scalars())

    async def count_in_units(self, unit_ids: Sequence[int], statuses: Sequence[str]) -> int:
        return int((await self.session.execute(
            select(func.count(Case.id)).where(Case.unit_id.in_(unit_ids), Case.status.in_(statuses)))).scalar_one())

    async def in_units(self, unit_ids: Sequence[int], statuses: Sequence[str], offset: int, limit: int) -> list[Case]:
        """A page of the units' cases in these statuses, the soonest due first (undated last)."""
        stmt = (select(Case).where(Case.unit_id.in_(unit_ids), Case.status.in_(statuses))
                .order_by(Case.due_at.is_(None), Case.due_at, Case.id).offset(offset).limit(limit))
        return list((await self.session.execute(stmt)).scalars())

    async def held_by(self, official_id: int, statuses: Sequence[str]) -> list[Case]:
        """The official's cases in these statuses, locked for the transaction."""
        stmt = (select(Case).where(Case.assignee_id == official_id, Case.status.in_(statuses))
                .order_by(Case.id).with_for_update())
        return list((await self.session.execute(stmt)).scalars())

    async def waiting_on(self, identity_id: int, status: str) -> list[tuple[int, str]]:
        """(id, code) of the cases in `status` that answer to this account, the longest waiting first."""
        stmt = (select(Case.id, Case.code)
                .where(Case.reply_identity_id == identity_id, Case.status == status)
                .order_by(Case.paused_at, Case.id))
        return [(i, c) for i, c in (await self.session.execute(stmt)).all()]

    async def codes(self, case_ids: Iterable[int]) -> dict[int, str]:
        return dict((await self.session.execute(
            select(Case.id, Case.code).where(Case.id.in_(list(case_ids))))).all())

    async def for_citizen(self, citizen_id: int, offset: int, limit: int) -> tuple[list[Case], int]:
        total = (await self.session.execute(
            select(func.count(Case.id)).where(Case.citizen_id == citizen_id))).scalar_one()
        stmt = (
            select(Case).where(Case.citizen_id == citizen_id)
            .order_by(Case.created_at.desc(), Case.id.desc()).offset(offset).limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars()), int(total)

    async def all_of_citizen(self, citizen_id: int) -> list[Case]:
        """Every case of the citizen, oldest first."""
        stmt = select(Case).where(Case.citizen_id == citizen_id).order_by(Case.created_at, Case.id)
        return list((await self.session.execute(stmt)).scalars())

    async def add_event(
        self, case: Case, *, at: datetime, action: str, actor_kind: str, actor_id: int | None,
        from_status: str | None = None, to_status: str | None = None, note: str | None = None,
        public: bool = True, data: dict[str, Any] | None = None,
    ) -> CaseEvent:
        event = CaseEvent(
            case_id=case.id, at=at, action=action, actor_kind=actor_kind, actor_id=actor_id,
            from_status=from_status, to_status=to_status, note=note, public=public,
            data={**(data or {}), "state": case_state(case)},
        )
        self.session.add(event)
        await self.session.flush()
        return event

    async def history(self, case_id: int, *, public_only: bool) -> list[CaseEvent]:
        stmt = select(CaseEvent).where(CaseEvent.case_id == case_id)
        if public_only:
            stmt = stmt.where(CaseEvent.public.is_(True))
        return list((await self.session.execute(stmt.order_by(CaseEvent.at, CaseEvent.id))).scalars())


def case_state(case: Case) -> dict[str, Any]:
    """The case right after an event, kept in the event: the digest reads "the unit that answered" and "the
    due date that held" from it, so a later transfer, reopen or extension never rewrites a past period."""
    return {
        "unit_id": case.unit_id, "status": case.status, "assignee_id": case.assignee_id,
        "due": case.due_at.isoformat() if case.due_at else None, "extended": bool(case.extended),
    }
