"""Durable-insert floors: how many one-row write transactions SQLite commits a second, bare and through
our storage layer (SQLAlchemy async + aiosqlite, BEGIN IMMEDIATE, the inbox repository).

Both use the application's settings: WAL with synchronous=NORMAL, so a commit survives a crash of the process
(not a power cut) - the same durability the pipeline gets.
"""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

from storage.models import InboxItem
from storage.repositories import inbox
from storage.uow import Database

PAYLOAD = json.dumps({"update_id": 1, "message": {"chat": {"id": 1}, "text": "/help"}})


def sqlite_inserts_per_second(path: Path, rows: int) -> float:
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE inbox (id INTEGER PRIMARY KEY, platform_id TEXT UNIQUE, payload TEXT)")
        started = time.perf_counter()
        for i in range(rows):
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO inbox (platform_id, payload) VALUES (?, ?)", (str(i), PAYLOAD))
            db.execute("COMMIT")
        return rows / (time.perf_counter() - started)
    finally:
        db.close()


async def unit_of_work_inserts_per_second(path: Path, rows: int) -> float:
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(lambda sync: InboxItem.__table__.create(sync))
        payload = json.loads(PAYLOAD)
        now = datetime.now(UTC)
        started = time.perf_counter()
        for i in range(rows):
            async with db.unit_of_work() as uow:
                await inbox.store(uow.session, channel="telegram", platform_id=str(i), chat_key="1",
                                  payload=payload, now=now)
                await uow.commit()
        return rows / (time.perf_counter() - started)
    finally:
        await db.dispose()
