"""Leases: one worker at a time holds a named resource, across processes.

A process's leases live as long as its heartbeat (`take`): a crashed process frees them as soon as its
heartbeat is seen stale. `acquire`/`renew` are the time-limited kind, for holders that do not heartbeat.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Lease, Worker
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


def _holder_gone(owner: str, alive_since: datetime) -> Any:
    """The lease's holder is another process whose heartbeat stopped (or that never had one)."""
    live = select(Worker.owner).where(Worker.heartbeat_at >= alive_since)
    return (Lease.owner != owner) & Lease.owner.not_in(live)


async def take(session: AsyncSession, name: str, owner: str, now: datetime, alive_since: datetime) -> bool:
    """Hold `name` for the worker process `owner` unless another live process holds it.

    Meant to run inside the work transaction itself: the hold commits (or rolls back) with the work.
    """
    stmt = insert_for(session, Lease).values(name=name, owner=owner, expires_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=["name"],
        set_={"owner": owner, "expires_at": now},
        where=(Lease.owner == owner) | _holder_gone(owner, alive_since),
    )
    result = await session.execute(stmt)
    return bool(result.rowcount)


async def held_by(session: AsyncSession, owner: str, prefix: str) -> set[str]:
    result = await session.execute(select(Lease.name).where(Lease.owner == owner, Lease.name.startswith(prefix)))
    return set(result.scalars())


async def release_all(session: AsyncSession, owner: str) -> None:
    await session.execute(delete(Lease).where(Lease.owner == owner))
