"""What every benchmark shares: a fresh database per run, the child process, /proc readings, figures."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import shutil
import signal
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bot.services.org.load import load_file
from storage.db import create_engine
from storage.migrate import upgrade
from tests.support.postgres_admin import admin

ROOT = Path(__file__).resolve().parent.parent
DEMO_ORG = ROOT / "org" / "demo.yaml"
TOKEN = "123456:BENCH-token-abcdefghij"
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- figures ------------------------------------------------------------------------------------------------


@dataclass
class Figure:
    """One measured figure beside its target. `better` is "higher", "lower" or "equal"; no target: shown only."""

    bench: str
    backend: str
    name: str
    value: float | None
    unit: str = ""
    target: float | None = None
    better: str = "higher"
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        if self.value is None or math.isnan(self.value):
            return "missed"
        if self.better == "equal":
            ok = self.value == self.target
        else:
            ok = self.value >= self.target if self.better == "higher" else self.value <= self.target
        return "met" if ok else "missed"

    def as_json(self) -> dict[str, Any]:
        return {"bench": self.bench, "backend": self.backend, "name": self.name, "value": self.value,
                "unit": self.unit, "target": self.target, "better": self.better, "verdict": self.verdict,
                "note": self.note}


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), nearest rank; nan for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


# --- databases ----------------------------------------------------------------------------------------------


def postgres_up(url: str = POSTGRES_URL) -> bool:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    try:
        with socket.create_connection((parsed.host or "127.0.0.1", parsed.port or 5432), timeout=1):
            return True
    except OSError:
        return False


async def _load_org(url: str) -> None:
    engine = create_engine(url)
    try:
        await load_file(engine, DEMO_ORG)
    finally:
        await engine.dispose()


class Databases:
    """Fresh databases, migrated with the demo organisation loaded, as `tiepdan run` leaves a new one.

    SQLite: a copy of one prepared file. PostgreSQL: a schema of its own per database, dropped at the end.
    """

    def __init__(self, work: Path, postgres_url: str = POSTGRES_URL) -> None:
        self.work = work
        self.postgres_url = postgres_url
        self.schemas: list[str] = []
        self._template: Path | None = None
        self._count = 0

    async def fresh(self, backend: str) -> str:
        self._count += 1
        if backend == "sqlite":
            if self._template is None:
                self._template = self.work / "template.db"
                url = f"sqlite+aiosqlite:///{self._template}"
                await asyncio.to_thread(upgrade, url)
                await _load_org(url)
            path = self.work / f"bench-{self._count}.db"
            shutil.copyfile(self._template, path)
            return f"sqlite+aiosqlite:///{path}"
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        await admin(self.postgres_url, f"CREATE SCHEMA {schema}")
        self.schemas.append(schema)
        url = f"{self.postgres_url}?schema={schema}"
        await asyncio.to_thread(upgrade, url)
        await _load_org(url)
        return url

    async def drop_all(self) -> None:
        for schema in self.schemas:
            with contextlib.suppress(Exception):
                await admin(self.postgres_url, f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        self.schemas.clear()


@contextlib.contextmanager
def workdir(prefix: str = "tiepdan-bench-") -> Iterator[Path]:
    import tempfile

    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


async def count_rows(url: str, table: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())
    finally:
        await engine.dispose()


# --- the child process --------------------------------------------------------------------------------------


def proc_cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process so far (its threads included), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def proc_status_kb(pid: int, key: str) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith(f"{key}:")), None)


@dataclass
class Child:
    process: asyncio.subprocess.Process
    figures: dict[str, Any] = field(default_factory=dict)
    peak_rss_kb: int = 0

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu(self) -> float:
        return proc_cpu_seconds(self.pid) or 0.0

    def sample_rss(self) -> int:
        rss = max(proc_status_kb(self.pid, "VmHWM") or 0, proc_status_kb(self.pid, "VmRSS") or 0)
        self.peak_rss_kb = max(self.peak_rss_kb, rss)
        return rss


@contextlib.asynccontextmanager
async def bot_child(api_url: str, database_url: str, log: Path, *, serve: int = 0, pacing: str = "lifted",
                    profile: Path | None = None, ready_within: float = 60.0,
                    settings: dict[str, str] | None = None) -> AsyncIterator[Child]:
    """Start the application in its own process; yield once it takes work; stop it with SIGTERM.
    `settings`: more of the application's settings (another channel's server, say)."""
    args = [api_url, TOKEN, database_url, "--pacing", pacing]
    for name, value in (settings or {}).items():
        args += ["--setting", f"{name}={value}"]
    if serve:
        args += ["--serve", str(serve)]
    if profile is not None:
        args += ["--profile", str(profile)]
    with log.open("ab") as err:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "benchmarks.bot_child", *args, cwd=ROOT, stdout=asyncio.subprocess.PIPE,
            stderr=err, stdin=asyncio.subprocess.DEVNULL)
    child = Child(process)
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), ready_within)
        if line.strip() != b"ready":
            raise RuntimeError(f"the bot did not start (see {log})")
        yield child
    finally:
        child.sample_rss()
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        try:
            out, _ = await asyncio.wait_for(process.communicate(), 60)
        except TimeoutError:
            process.kill()
            out, _ = await process.communicate()
        lines = out.decode().strip().splitlines()
        with contextlib.suppress(ValueError, IndexError):
            child.figures = json.loads(lines[-1])
        child.peak_rss_kb = max(child.peak_rss_kb, int(child.figures.get("rss_peak_kb") or 0))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
