"""Case rows, their history and their tracking-code counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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


async def by_code(session: AsyncSession, code: str) -> Case | None:
    return (await session.execute(select(Case).where(Case.code == code.strip().upper()))).scalar_one_or_none()


async def for_citizen(session: AsyncSession, citizen_id: int, offset: int, limit: int) -> tuple[list[Case], int]:
    total = (await session.execute(select(func.count(Case.id)).where(Case.citizen_id == citizen_id))).scalar_one()
    stmt = (
        select(Case).where(Case.citizen_id == citizen_id)
        .order_by(Case.created_at.desc(), Case.id.desc()).offset(offset).limit(limit)
    )
    return list((await session.execute(stmt)).scalars()), int(total)


async def add_event(
    session: AsyncSession, case: Case, *, at: datetime, action: str, actor_kind: str, actor_id: int | None,
    from_status: str | None = None, to_status: str | None = None, note: str | None = None,
    public: bool = True, data: dict[str, Any] | None = None,
) -> CaseEvent:
    event = CaseEvent(
        case_id=case.id, at=at, action=action, actor_kind=actor_kind, actor_id=actor_id,
        from_status=from_status, to_status=to_status, note=note, public=public,
        data={**(data or {}), "state": case_state(case)},
    )
    session.add(event)
    await session.flush()
    return event


def case_state(case: Case) -> dict[str, Any]:
    """The case right after an event, kept in the event: the digest reads "the unit that answered" and "the
    due date that held" from it, so a later transfer, reopen or extension never rewrites a past period."""
    return {
        "unit_id": case.unit_id, "status": case.status, "assignee_id": case.assignee_id,
        "due": case.due_at.isoformat() if case.due_at else None, "extended": bool(case.extended),
    }


async def history(session: AsyncSession, case_id: int, *, public_only: bool) -> list[CaseEvent]:
    stmt = select(CaseEvent).where(CaseEvent.case_id == case_id)
    if public_only:
        stmt = stmt.where(CaseEvent.public.is_(True))
    return list((await session.execute(stmt.order_by(CaseEvent.at, CaseEvent.id))).scalars())
