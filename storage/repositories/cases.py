"""Case rows, their history and the tracking-code counters."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Case, CaseEvent, CodeSequence
from storage.repositories.dialect import insert_for


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
        public: bool = True, data: dict | None = None,
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


def case_state(case: Case) -> dict:
    """The case right after an event, kept in the event: the digest reads "the unit that answered" and "the
    due date that held" from it, so a later transfer, reopen or extension never rewrites a past period."""
    return {
        "unit_id": case.unit_id, "status": case.status, "assignee_id": case.assignee_id,
        "due": case.due_at.isoformat() if case.due_at else None, "extended": bool(case.extended),
    }
