"""Engine factory: SQLite (WAL, foreign keys, BEGIN IMMEDIATE for writes) or PostgreSQL via asyncpg."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage.sqlite_driver import connector

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Outage drills: while the file this variable names exists, every statement fails as a lost disk or server would.
FAULT_FILE_VARIABLE = "TIEPDAN_DB_FAULT_FILE"
# PostgreSQL gives up on a statement that runs, or waits for a lock, longer than this: one stuck query or a
# forgotten lock cannot hold a connection (and a chat) for ever. Values are PostgreSQL's own settings.
PG_STATEMENT_TIMEOUT = "30s"
PG_LOCK_TIMEOUT = "10s"
PG_IDLE_IN_TRANSACTION_TIMEOUT = "60s"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, pool_size: int = 5, echo: bool = False) -> AsyncEngine:
    engine = _create_engine(url, pool_size=pool_size, echo=echo)
    fault_file = os.environ.get(FAULT_FILE_VARIABLE)
    if fault_file:
        _inject_outages(engine, Path(fault_file))
    return engine


def _inject_outages(engine: AsyncEngine, switch: Path) -> None:
    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _fail(*_args: Any) -> None:
        if switch.exists():
            raise sqlite3.OperationalError("disk I/O error (outage drill)")


def _create_engine(url: str, *, pool_size: int, echo: bool) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo)
    # `?schema=NAME` keeps the tables in one schema of a shared database (hosting, tests).
    schema = parsed.query.get("schema")
    server_settings = {
        "statement_timeout": PG_STATEMENT_TIMEOUT, "lock_timeout": PG_LOCK_TIMEOUT,
        "idle_in_transaction_session_timeout": PG_IDLE_IN_TRANSACTION_TIMEOUT,
    }
    if schema:
        parsed = parsed.difference_update_query(["schema"])
        server_settings["search_path"] = str(schema)
    # No pre-ping: a connection lost in an outage fails its statement, the pool drops it, and the workers'
    # supervision tries again; pinging before every transaction would cost a round trip on each.
    # hide_parameters: an error's message names the statement, never its values (names, phones, texts).
    return create_async_engine(
        parsed, pool_size=pool_size, max_overflow=pool_size, echo=echo,
        connect_args={"server_settings": server_settings}, hide_parameters=True,
    )


def _sqlite_engine(url: str, *, echo: bool) -> AsyncEngine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url, echo=echo, async_creator=connector(database or ":memory:", SQLITE_BUSY_TIMEOUT_MS / 1000),
        hide_parameters=True)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction starts (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred read-then-write upgrade fails at once with SQLITE_BUSY; writers take the lock up front.
        mode = "DEFERRED" if conn.get_execution_options().get("readonly") else "IMMEDIATE"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine
