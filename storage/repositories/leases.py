"""Leases: one worker at a time holds a named resource, across processes; a dead worker's lease expires."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Lease
from storage.repositories.dialect import insert_for


async def acquire(session: AsyncSession, name: str, owner: str, now: datetime, ttl: timedelta) -> bool:
    """Take `name` for `owner` unless another live owner holds it."""
    stmt = insert_for(session, Lease).values(name=name, owner=owner, expires_at=now + ttl)
    stmt = stmt.on_conflict_do_update(
        index_elements=["name"],
        set_={"owner": owner, "expires_at": now + ttl},
        where=(Lease.expires_at < now) | (Lease.owner == owner),
    )
    result = await session.execute(stmt)
    return bool(result.rowcount)


async def renew(session: AsyncSession, name: str, owner: str, now: datetime, ttl: timedelta) -> bool:
    result = await session.execute(
        update(Lease).where(Lease.name == name, Lease.owner == owner).values(expires_at=now + ttl)
    )
    return bool(result.rowcount)


async def release(session: AsyncSession, name: str, owner: str) -> None:
    await session.execute(delete(Lease).where(Lease.name == name, Lease.owner == owner))
