"""The sweep/digest benchmark's generated history (a million cases and their events), kept between runs.

Generating it takes a minute or two per database; the figures are measured after it, so a run may start from
a copy made by an earlier one. A copy is named by what made it - the generator's version, the newest
migration and the demo organisation's content - so a change to any of them makes it again, and copies made
by anything else are removed. SQLite: a file in var/bench/history/, copied for each run. PostgreSQL: a
database of its own (`tiepdan_bench_...`), the template of a database made for each run and dropped after;
the server keeps the three newest (it is shared by every checkout).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import shutil
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from benchmarks.common import DEMO_ORG, Databases, _load_org
from storage.db import create_engine
from storage.migrate import head_revision, upgrade
from tests.support.postgres_admin import admin

PG_PREFIX = "tiepdan_bench_"
PG_KEEP = 3  # template databases kept on the server, the newest

Generate = Callable[[str], Awaitable[int]]  # (database url) -> events written


@dataclass
class History:
    url: str
    events: int
    generated_s: float | None  # None: taken from a kept copy
    copied_s: float = 0.0

    @property
    def how(self) -> str:
        if self.generated_s is None:
            return f"a kept copy, taken in {self.copied_s:.0f} s"
        return f"generated in {self.generated_s:.0f} s"


def made_by(generator: int) -> str:
    """What makes a history: the generator's version, the newest migration, the demo organisation."""
    org = hashlib.sha256(DEMO_ORG.read_bytes()).hexdigest()[:8]
    return hashlib.sha256(f"{generator}:{head_revision()}:{org}".encode()).hexdigest()[:16]


@contextlib.asynccontextmanager
async def history(dbs: Databases, backend: str, *, generator: int, cases: int, generate: Generate,
                  keep: Path | None) -> AsyncIterator[History]:
    """A database holding the generated history of `cases` cases, for this run only (`keep`: where copies are
    kept; None: generate it afresh and keep nothing)."""
    maker = made_by(generator)
    if backend == "sqlite":
        yield await _sqlite(dbs, maker, cases, generate, keep)
        return
    if keep is None:
        url = await dbs.fresh(backend)
        started = time.perf_counter()
        yield History(url, await generate(url), time.perf_counter() - started)
        return
    async with _postgres(dbs.postgres_url, maker, cases, generate) as made:
        yield made


async def _sqlite(dbs: Databases, maker: str, cases: int, generate: Generate, keep: Path | None) -> History:
    url = await dbs.fresh("sqlite")
    path = Path(make_url(url).database or "")
    kept = keep / f"cases-{maker}-{cases}.db" if keep is not None else None
    if kept is not None and kept.exists():
        started = time.perf_counter()
        await asyncio.to_thread(shutil.copyfile, kept, path)
        return History(url, await _events(url), None, time.perf_counter() - started)
    started = time.perf_counter()
    events = await generate(url)
    made = History(url, events, time.perf_counter() - started)
    if kept is not None:
        await asyncio.to_thread(_keep_file, path, kept, maker)
    return made


def _keep_file(path: Path, kept: Path, maker: str) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    kept.parent.mkdir(parents=True, exist_ok=True)
    for old in kept.parent.glob("cases-*.db"):
        if not old.name.startswith(f"cases-{maker}-"):
            old.unlink()  # another generator, schema or organisation: never used again
    partial = kept.with_suffix(".partial")
    shutil.copyfile(path, partial)
    partial.rename(kept)


def _url_of(base: str, database: str) -> str:
    parsed = make_url(base).difference_update_query(["schema"]).set(database=database)
    return parsed.render_as_string(hide_password=False)


@contextlib.asynccontextmanager
async def _postgres(base: str, maker: str, cases: int, generate: Generate) -> AsyncIterator[History]:
    template = f"{PG_PREFIX}{maker}_{cases}"
    (rows,) = await admin(base, "SELECT datname, coalesce(shobj_description(oid, 'pg_database'), '0') "
                                f"FROM pg_database WHERE datname LIKE '{PG_PREFIX}%'")
    existing = {name: float(made) for name, made in rows if not name.endswith("_new")}
    generated_s: float | None = None
    if template not in existing:
        # The server is shared by every checkout: keep the newest others (another branch's migrations, say).
        stale = sorted(existing, key=existing.__getitem__, reverse=True)[PG_KEEP - 1:]
        await admin(base, *(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)' for old in stale))
        building = f"{template}_new"
        await admin(base, f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)', f'CREATE DATABASE "{building}"')
        started = time.perf_counter()
        try:
            url = _url_of(base, building)
            await asyncio.to_thread(upgrade, url)
            await _load_org(url)
            await generate(url)
            await admin(base, f'ALTER DATABASE "{building}" RENAME TO "{template}"',
                        f"COMMENT ON DATABASE \"{template}\" IS '{time.time():.0f}'")
        except BaseException:
            await admin(base, f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
            raise
        generated_s = time.perf_counter() - started
    run = f"tiepdanrun_{uuid.uuid4().hex[:12]}"
    started = time.perf_counter()
    try:
        await admin(base, f'CREATE DATABASE "{run}" TEMPLATE "{template}" STRATEGY FILE_COPY')
    except Exception:  # before PostgreSQL 15 there is one strategy
        await admin(base, f'CREATE DATABASE "{run}" TEMPLATE "{template}"')
    copied_s = time.perf_counter() - started
    url = _url_of(base, run)
    try:
        yield History(url, await _events(url), generated_s, copied_s)
    finally:
        await admin(base, f'DROP DATABASE IF EXISTS "{run}" WITH (FORCE)')


async def _events(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(text("SELECT count(*) FROM case_events"))).scalar_one())
    finally:
        await engine.dispose()
