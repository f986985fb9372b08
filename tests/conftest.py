"""Shared fixtures: every database test runs on SQLite and on a real PostgreSQL.

A database with the schema migrated and the demo organisation loaded is prepared once per session and per
backend; each test then gets a copy (SQLite: a file copy) or a clean slate (PostgreSQL: its own schema is
reused and the per-test tables are emptied).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services.org.load import load_file
from storage.db import create_engine
from storage.migrate import upgrade
from tests.support.postgres_admin import run_admin

ROOT = Path(__file__).resolve().parent.parent
DEMO_ORG = ROOT / "org" / "demo.yaml"
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
# The organisation's tables stay loaded between tests; every other table is emptied before each test.
ORG_TABLES = {
    "units", "areas", "categories", "routing_rules", "deadline_policies", "calendar_days", "org_settings",
    "officials", "alembic_version",
}


# Functional tests run the platforms' sending clock this many times faster (bot/faults.py): a journey of thirty
# messages to one chat would otherwise wait on Telegram's one a second. Tests of the pace itself are marked
# `real_pace`; the bad-day drills set their own clock (tests/support/soak.py).
PLATFORM_CLOCK = "20"


@pytest.fixture(autouse=True)
def platform_clock(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("real_pace") is None:
        monkeypatch.setenv("TIEPDAN_DRILL_TIME_SCALE", PLATFORM_CLOCK)


def per_test_tables() -> list[str]:
    from storage.models import Base

    return [t.name for t in Base.metadata.sorted_tables if t.name not in ORG_TABLES]
BACKENDS = ("sqlite", "postgres")


def _postgres_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def _prepare(url: str) -> None:
    upgrade(url)

    async def load() -> None:
        engine = create_engine(url)
        try:
            await load_file(engine, DEMO_ORG)
        finally:
            await engine.dispose()

    asyncio.run(load())


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    _prepare(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    if not _postgres_up():
        if os.environ.get("TEST_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL is required (TEST_REQUIRE_POSTGRES) but 127.0.0.1:5432 is unreachable")
        pytest.skip("PostgreSQL is not running")
    schema = f"t_{uuid.uuid4().hex[:10]}"
    _admin(f"CREATE SCHEMA {schema}")
    url = f"{POSTGRES_URL}?schema={schema}"
    _prepare(url)
    yield url
    _admin(f"DROP SCHEMA {schema} CASCADE")


class _Admin:
    """One engine per database URL for the whole session, on an event loop of its own in a thread: each test
    has its own loop, and an asyncpg connection belongs to the loop that opened it."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="test-admin", daemon=True)
        self._thread.start()
        self._engines: dict[str, AsyncEngine] = {}

    def run(self, url: str, *statements: str) -> None:
        engine = self._engines.get(url)
        if engine is None:
            engine = self._engines[url] = create_engine(url, pool_size=1)
        asyncio.run_coroutine_threadsafe(run_admin(engine, *statements), self._loop).result()

    def close(self) -> None:
        async def dispose() -> None:
            for engine in self._engines.values():
                await engine.dispose()

        asyncio.run_coroutine_threadsafe(dispose(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()


_ADMIN: _Admin | None = None


def _admin_in(url: str, *statements: str) -> None:
    global _ADMIN
    if _ADMIN is None:
        _ADMIN = _Admin()
    _ADMIN.run(url, *statements)


def _admin(sql: str) -> None:
    _admin_in(POSTGRES_URL, sql)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _ADMIN is not None:
        _ADMIN.close()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A ready database (schema + demo organisation) with no cases, conversations or messages."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "tiepdan.db"
        shutil.copy(template, path)
        return f"sqlite+aiosqlite:///{path}"
    url = request.getfixturevalue("postgres_schema")
    _admin_in(url, f"TRUNCATE {', '.join(per_test_tables())} RESTART IDENTITY CASCADE",
              "DELETE FROM officials WHERE seat IS NULL")
    return url


@pytest.fixture
def backend(db_url: str) -> str:
    return "sqlite" if db_url.startswith("sqlite") else "postgres"


@pytest.fixture
async def database(db_url: str) -> AsyncIterator:
    from storage.uow import Database

    db = Database(db_url)
    yield db
    await db.dispose()
