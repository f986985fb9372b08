"""Worker processes: each one's heartbeat, so that the others know at once when it is gone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Worker
from storage.repositories.dialect import insert_for


async def beat(session: AsyncSession, *, owner: str, mode: str, host: str, pid: int, now: datetime) -> None:
    stmt = insert_for(session, Worker).values(owner=owner, mode=mode, host=host, pid=pid, started_at=now,
                                              heartbeat_at=now)
    await session.execute(stmt.on_conflict_do_update(index_elements=["owner"], set_={"heartbeat_at": now}))


async def live_count(session: AsyncSession, alive_since: datetime) -> int:
    return int((await session.execute(
        select(func.count()).select_from(Worker).where(Worker.heartbeat_at >= alive_since))).scalar_one())


async def forget(session: AsyncSession, owner: str) -> None:
    await session.execute(delete(Worker).where(Worker.owner == owner))


async def listing(session: AsyncSession) -> list[Worker]:
    return list((await session.execute(select(Worker).order_by(Worker.started_at))).scalars())
