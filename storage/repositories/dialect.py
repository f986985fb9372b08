"""The few statements whose spelling differs between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession


def insert_for(session: AsyncSession, table: Any) -> Any:
    """An INSERT that knows ON CONFLICT on either database."""
    name = session.get_bind().dialect.name
    return (postgresql.insert if name == "postgresql" else sqlite.insert)(table)


def is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def core_connection(session: AsyncSession) -> AsyncConnection:
    """The session's connection for a prepared Core statement, after the ORM's pending changes are written
    (as `session.execute` would do), so statements keep their order."""
    if session.new or session.dirty or session.deleted:
        await session.flush()
    return await session.connection()


def rowcount(result: Result[*tuple[Any, ...]]) -> int:
    """The rows an INSERT, UPDATE or DELETE run through `session.execute` touched: the session is typed to
    return a plain Result, though for these statements it is always the driver's CursorResult."""
    return cast(CursorResult[*tuple[Any, ...]], result).rowcount
