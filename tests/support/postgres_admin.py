"""Administrative statements on PostgreSQL (schemas, databases, emptying tables) for the tests' fixtures and the
benchmarks: each statement commits on its own, as CREATE DATABASE and DROP DATABASE require.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine


async def run_admin(engine: AsyncEngine, *statements: str) -> list[Any]:
    """The statements in order, each committed: for a SELECT its rows, for anything else its result."""
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        return [(await conn.execute(text(sql))).all() if sql.startswith("SELECT") else await conn.execute(text(sql))
                for sql in statements]


async def admin(url: str, *statements: str) -> list[Any]:
    """`run_admin` on an engine of its own, disposed of afterwards."""
    engine = create_engine(url, pool_size=1)
    try:
        return await run_admin(engine, *statements)
    finally:
        await engine.dispose()
