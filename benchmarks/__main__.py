"""`make bench`: throughput of the whole pipeline against python-telegram-bot alone, insert floors, and memory
while a backlog drains - all measured in one run on this machine, printed as one table.

Every update comes from its own chat and says /help, which the flows answer with exactly one message - as
the echo bot does - so both sides send one message per update. The pipeline runs with Telegram's sending
limits lifted (see pipeline_bot.py), so the figures are our cost, not the platform's allowance.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import shutil
import signal
import socket
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from benchmarks.backlog_api import BacklogApi
from benchmarks.floors import sqlite_inserts_per_second, unit_of_work_inserts_per_second
from bot.services.org.load import load_file
from storage.db import create_engine
from storage.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
DEMO_ORG = ROOT / "org" / "demo.yaml"
TOKEN = "123456:BENCH-token-abcdefghij"
QUARTERS = (25, 50, 75, 100)
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


@dataclass
class Row:
    name: str
    updates: int
    seconds: float  # first getUpdates -> last sendMessage (or, for floors, the insert loop)
    rss_start_kb: int | None = None  # the child's, once started and before the first update
    rss_peak_kb: int | None = None  # the child's high-water mark
    cpu_s: float | None = None  # CPU the child used while draining
    rss_drained_kb: dict[int, int] = field(default_factory=dict)  # percent of the backlog answered -> RSS
    rss_trimmed_kb: int | None = None  # all answered, still running, after gc and malloc_trim: the live part
    complete: bool = True

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds if self.seconds > 0 else math.nan

    @property
    def cpu_ms_per_update(self) -> str:
        return f"{1000 * self.cpu_s / self.updates:.1f}" if self.cpu_s is not None else ""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=1200, help="the backlog each system drains")
    parser.add_argument("--echo-concurrency", type=int, default=8,
                        help="python-telegram-bot's concurrent_updates for the floor (1 = one at a time)")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds allowed for one run")
    return parser.parse_args(argv)


# --- databases (prepared before the clock starts) ----------------------------------------------------------


def prepare(url: str) -> None:
    """Migrate and load the demo organisation, as `tiepdan run` does on a fresh database."""
    upgrade(url)

    async def load() -> None:
        engine = create_engine(url)
        try:
            await load_file(engine, DEMO_ORG)
        finally:
            await engine.dispose()

    asyncio.run(load())


def postgres_up(url: str) -> bool:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    try:
        with socket.create_connection((parsed.host or "127.0.0.1", parsed.port or 5432), timeout=1):
            return True
    except OSError:
        return False


def postgres_admin(sql: str, url: str) -> None:
    async def run() -> None:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(text(sql))
        finally:
            await engine.dispose()

    asyncio.run(run())


# --- runs -------------------------------------------------------------------------------------------------


def child_rss_kb(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), None)


async def measure(api: BacklogApi, name: str, module: str, args: list[str], updates: int, allowed: float,
                  log: Path) -> Row:
    """Load a backlog of `updates` (one chat each), start the child, wait for every reply, stop the child.
    Meanwhile sample the child's memory against how much of the backlog it has answered."""
    api.load(updates, updates, "/help")
    drained: dict[int, int] = {}

    async def sample(pid: int) -> None:
        while True:
            rss = child_rss_kb(pid)
            for percent in QUARTERS:
                if rss is not None and percent not in drained and api.sends * 100 >= percent * updates:
                    drained[percent] = rss
            await asyncio.sleep(0.05)

    with log.open("ab") as err:
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", module, *args, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=err,
            stdin=asyncio.subprocess.DEVNULL,
        )
        sampler = asyncio.create_task(sample(child.pid))
        complete = await api.sent_all(allowed)
        seconds = api.seconds
        await asyncio.sleep(0.1)  # one more sample at "all answered"
        sampler.cancel()
        child.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(child.communicate(), 60)
    lines = out.decode().strip().splitlines()
    figures = json.loads(lines[-1]) if lines else {}
    if not complete:
        print(f"  {name}: only {api.sends} of {updates} replies within {allowed:.0f} s (see {log})")
    # The kernel folds per-thread counters into the high-water mark lazily; a sample may be a little above it.
    peak = max([figures.get("rss_peak_kb") or 0, *drained.values()]) or None
    return Row(name, updates, seconds, figures.get("rss_start_kb"), peak, figures.get("cpu_s"), drained,
               figures.get("rss_trimmed_kb"), complete)


async def run_all(opts: argparse.Namespace, work: Path, databases: dict[str, str]) -> list[Row]:
    rows: list[Row] = []
    log = work / "children.log"
    api = await BacklogApi(TOKEN).start()
    try:
        print("  python-telegram-bot echo ...", flush=True)
        rows.append(await measure(
            api, "(a) python-telegram-bot echo", "benchmarks.echo_bot",
            [api.base_url, TOKEN, "--concurrency", str(opts.echo_concurrency)], opts.updates, opts.timeout, log))
        for label, url in databases.items():
            print(f"  pipeline on {label} ...", flush=True)
            rows.append(await measure(api, f"(b) pipeline, {label}", "benchmarks.pipeline_bot",
                                      [api.base_url, TOKEN, url], opts.updates, opts.timeout, log))
    finally:
        await api.stop()
    return rows


# --- the tables ---------------------------------------------------------------------------------------------


def mb(kb: int | None) -> str:
    return f"{kb / 1024:.1f}" if kb else "-"


def print_tables(rows: list[Row], floors: list[Row]) -> None:
    echo = next((r.per_second for r in rows if r.name.startswith("(a)")), math.nan)
    uow = next((f.per_second for f in floors if "unit of work" in f.name), math.nan)
    print()
    print(f"{'throughput':<44} {'n':>6} {'seconds':>8} {'per s':>8} {'vs (a)':>7} {'vs uow':>7} {'CPU ms/n':>9}")
    print("-" * 95)
    for r in rows:
        ratios = f"{r.per_second / echo:>7.3f} {r.per_second / uow:>7.3f}" if r.name.startswith("(b)") else " " * 15
        print(f"{r.name:<44} {r.updates:>6} {r.seconds:>8.2f} {r.per_second:>8.0f} {ratios} "
              f"{r.cpu_ms_per_update:>9}" + ("" if r.complete else "  INCOMPLETE"))
    for r in floors:
        print(f"{r.name:<44} {r.updates:>6} {r.seconds:>8.2f} {r.per_second:>8.0f}")
    print()
    heads = " ".join(f"{f'{q}%':>7}" for q in QUARTERS)
    print(f"{'(d) resident memory (MB) while draining':<44} {'start':>7} {heads} {'peak':>7} {'trimmed':>8}")
    print("-" * 95)
    for r in rows:
        cells = " ".join(f"{mb(r.rss_drained_kb.get(q)):>7}" for q in QUARTERS)
        print(f"{r.name:<44} {mb(r.rss_start_kb):>7} {cells} {mb(r.rss_peak_kb):>7} {mb(r.rss_trimmed_kb):>8}")
    print()
    for r in rows:
        half, done = r.rss_drained_kb.get(50), r.rss_drained_kb.get(100)
        if half and done:
            print(f"{r.name}: {(done - half) / 1024:+.1f} MB over the second half of the backlog "
                  f"({r.updates // 2} updates)")


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    print(f"Tiếp Dân benchmarks on {platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    print("Telegram's sending limits are lifted in the pipeline runs; each update is one chat's /help.")
    work = Path(tempfile.mkdtemp(prefix="tiepdan-bench-"))
    schema: str | None = None
    try:
        print("  durable insert floors ...", flush=True)
        floors = [
            Row("(c) sqlite3: INSERT + COMMIT, WAL", opts.updates, 0.0),
            Row("(c) our unit of work: inbox.store + commit", opts.updates, 0.0),
        ]
        floors[0].seconds = opts.updates / sqlite_inserts_per_second(work / "floor.db", opts.updates)
        floors[1].seconds = opts.updates / asyncio.run(
            unit_of_work_inserts_per_second(work / "floor-uow.db", opts.updates))

        print("  preparing databases (migrations + demo organisation) ...", flush=True)
        databases = {"SQLite WAL": f"sqlite+aiosqlite:///{work / 'pipeline.db'}"}
        prepare(databases["SQLite WAL"])
        if not opts.no_postgres:
            if postgres_up(opts.postgres_url):
                schema = f"bench_{uuid.uuid4().hex[:10]}"
                postgres_admin(f"CREATE SCHEMA {schema}", opts.postgres_url)
                url = f"{opts.postgres_url}?schema={schema}"
                prepare(url)
                databases["PostgreSQL"] = url
            else:
                print(f"  PostgreSQL at {opts.postgres_url} is not reachable: skipped")

        started = time.perf_counter()
        rows = asyncio.run(run_all(opts, work, databases))
        print_tables(rows, floors)
        __import__("benchmarks.matcher", fromlist=["main"]).main(["--quiet"])  # the matcher: its labelled set
        print(f"\nmeasured in {time.perf_counter() - started:.0f} s")
        return 0 if all(r.complete for r in rows) else 1
    finally:
        if schema is not None:
            postgres_admin(f"DROP SCHEMA {schema} CASCADE", opts.postgres_url)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
