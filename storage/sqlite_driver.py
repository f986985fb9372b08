"""aiosqlite with one thread hop per statement instead of four.

aiosqlite runs every call on its connection's own thread; SQLAlchemy's adapter makes four such calls per
statement (make a cursor, execute, fetch, close), and each hop costs a queue put, a wake-up of the event loop and
two GIL hand-overs - the largest part of a conversation step's CPU on SQLite. Here `cursor()` makes nothing on the
other thread, and `execute` runs the statement, reads its rows and closes the cursor in ONE call; the rows then
come from memory. Everything else (connecting, commit, rollback, the thread) is aiosqlite's own.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable, Generator, Iterable, Sequence
from functools import partial
from typing import Any

import aiosqlite

Outcome = tuple[Any, list[Any], int, int | None]


def _run(conn: sqlite3.Connection, sql: str, parameters: Any) -> Outcome:
    cursor = conn.cursor()
    try:
        cursor.execute(sql, () if parameters is None else parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _run_many(conn: sqlite3.Connection, sql: str, seq: Iterable[Any]) -> Outcome:
    cursor = conn.cursor()
    try:
        cursor.executemany(sql, seq)
        return cursor.description, [], cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor:
    arraysize = 1

    def __init__(self, connection: OneHopConnection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: deque[Any] = deque()

    def __await__(self) -> Generator[Any, None, OneHopCursor]:
        async def itself() -> OneHopCursor:
            return self

        return itself().__await__()

    async def __aenter__(self) -> OneHopCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._rows.clear()

    def _keep(self, outcome: Outcome) -> OneHopCursor:
        self.description, rows, self.rowcount, self.lastrowid = outcome
        self._rows = deque(rows)
        return self

    # aiosqlite leaves its `_execute` (run a function on the connection's thread) unannotated.
    async def execute(self, sql: str, parameters: Any = None) -> OneHopCursor:
        return self._keep(await self._connection._execute(  # type: ignore[no-untyped-call]
            _run, self._connection._conn, sql, parameters))

    async def executemany(self, sql: str, seq_of_parameters: Iterable[Any]) -> OneHopCursor:
        return self._keep(await self._connection._execute(  # type: ignore[no-untyped-call]
            _run_many, self._connection._conn, sql, list(seq_of_parameters)))

    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = size or self.arraysize
        return [self._rows.popleft() for _ in range(min(count, len(self._rows)))]

    async def fetchall(self) -> Sequence[Any]:
        rows, self._rows = list(self._rows), deque()
        return rows

    async def close(self) -> None:
        self._rows.clear()


class OneHopConnection(aiosqlite.Connection):
    def cursor(self) -> OneHopCursor:  # type: ignore[override]
        return OneHopCursor(self)


def connector(database: str, timeout: float) -> Callable[[], Awaitable[OneHopConnection]]:
    """An `async_creator` for SQLAlchemy: a OneHopConnection to `database`."""

    async def connect() -> OneHopConnection:
        connection = OneHopConnection(partial(sqlite3.connect, database, timeout=timeout), iter_chunk_size=64)
        connection._thread.daemon = True
        await connection  # starts the thread and connects; aiosqlite types the result as its base class
        return connection

    return connect
