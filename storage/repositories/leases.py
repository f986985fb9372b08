"""Leases: one worker at a time holds a named resource, across processes.

A process's leases live as long as its heartbeat (`take`): a crashed process frees them as soon as its
heartbeat is seen stale. `acquire`/`renew` are the time-limited kind, for holders that do not heartbeat.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Lease, Worker
from storage.repositories.dialect import core_connection, insert_for, rowcount


async def acquire(session: AsyncSession, name: str, owner: str, now: datetime, ttl: timedelta) -> bool:
    """Take `name` for `owner` unless another live owner holds it."""
    stmt = insert_for(session, Lease).values(name=name, owner=owner, expires_at=now + ttl)
    stmt = stmt.on_conflict_do_update(
        index_elements=["name"],
        set_={"owner": owner, "expires_at": now + ttl},
        where=(Lease.expires_at < now) | (Lease.owner == owner),
    )
    result = await session.execute(stmt)
    return bool(rowcount(result))


async def renew(session: AsyncSession, name: str, owner: str, now: datetime, ttl: timedelta) -> bool:
    result = await session.execute(
        update(Lease).where(Lease.name == name, Lease.owner == owner).values(expires_at=now + ttl)
    )
    return bool(rowcount(result))


async def release(session: AsyncSession, name: str, owner: str) -> None:
    await (await core_connection(session)).execute(_RELEASE, {"b_name": name, "b_owner": owner})


# The hot path's statements are built once per dialect with bound parameters: building and hashing a statement
# costs about as much CPU as running it on SQLite.
_live = select(Worker.owner).where(Worker.heartbeat_at >= bindparam("b_alive_since"))
_TAKE: dict[str, Any] = {}
_leases = Lease.__table__
_RELEASE = delete(_leases).where(_leases.c.name == bindparam("b_name"), _leases.c.owner == bindparam("b_owner"))


def _take_statement(session: AsyncSession) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect not in _TAKE:
        stmt = insert_for(session, _leases).values(name=bindparam("b_name"), owner=bindparam("b_owner"),
                                                    expires_at=bindparam("b_now"))
        # Ours already, or held by another process whose heartbeat stopped (or that never had one).
        gone = (_leases.c.owner != bindparam("b_owner")) & _leases.c.owner.not_in(_live)
        _TAKE[dialect] = stmt.on_conflict_do_update(
            index_elements=["name"],
            set_={"owner": bindparam("b_owner"), "expires_at": bindparam("b_now")},
            where=(_leases.c.owner == bindparam("b_owner")) | gone,
        )
    return _TAKE[dialect]


async def take(session: AsyncSession, name: str, owner: str, now: datetime, alive_since: datetime) -> bool:
    """Hold `name` for the worker process `owner` unless another live process holds it.

    Meant to run inside the work transaction itself: the hold commits (or rolls back) with the work.
    """
    connection = await core_connection(session)  # Core: a statement with parameters, not an ORM bulk insert
    result = await connection.execute(_take_statement(session), {
        "b_name": name, "b_owner": owner, "b_now": now, "b_alive_since": alive_since})
    return bool(result.rowcount)


async def release_all(session: AsyncSession, owner: str) -> None:
    await session.execute(delete(Lease).where(Lease.owner == owner))
