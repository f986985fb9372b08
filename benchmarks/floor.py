"""The floor: our whole pipeline beside python-telegram-bot alone, draining the same backlog on the same run.

Every update comes from its own chat and says /help, which the flows answer with exactly one message - as
the echo bot does - so both sides send one message per update. The pipeline runs with Telegram's sending
limits lifted (see pipeline_bot.py), so the figures are our cost, not the platform's allowance. The backlog
server (backlog_api.py) times a run from the first getUpdates to the last sendMessage.
"""

from __future__ import annotations

import asyncio
import json
import math
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from benchmarks.backlog_api import BacklogApi
from benchmarks.common import ROOT, TOKEN, Figure, proc_status_kb
from benchmarks.floors import sqlite_inserts_per_second, unit_of_work_inserts_per_second


@dataclass
class Run:
    name: str
    updates: int
    seconds: float
    cpu_s: float | None = None
    peak_rss_kb: int | None = None
    complete: bool = True

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds if self.seconds > 0 else math.nan


async def measure(api: BacklogApi, name: str, module: str, args: list[str], updates: int, allowed: float,
                  log: Path) -> Run:
    """Load a backlog of `updates` (one chat each), start the child, wait for every reply, stop the child."""
    api.load(updates, updates, "/help")
    peak = 0
    with log.open("ab") as err:
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", module, *args, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=err,
            stdin=asyncio.subprocess.DEVNULL,
        )
        done = asyncio.create_task(api.sent_all(allowed))
        while not done.done():
            peak = max(peak, proc_status_kb(child.pid, "VmRSS") or 0)
            await asyncio.sleep(0.1)
        complete = done.result()
        seconds = api.seconds if complete else allowed
        child.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(child.communicate(), 60)
    lines = out.decode().strip().splitlines()
    figures = json.loads(lines[-1]) if lines else {}
    answered = api.sends if not complete else updates
    return Run(name, answered, seconds, figures.get("cpu_s"), max(peak, figures.get("rss_peak_kb") or 0),
               complete)


async def run_floor(databases: dict[str, str], log: Path, *, updates: int, allowed: float,
                    echo_concurrency: int = 8) -> list[Run]:
    runs: list[Run] = []
    api = await BacklogApi(TOKEN).start()
    try:
        runs.append(await measure(api, "echo", "benchmarks.echo_bot",
                                  [api.base_url, TOKEN, "--concurrency", str(echo_concurrency)], updates, allowed,
                                  log))
        for backend, url in databases.items():
            runs.append(await measure(api, backend, "benchmarks.pipeline_bot", [api.base_url, TOKEN, url],
                                      updates, allowed, log))
    finally:
        await api.stop()
    return runs


async def insert_floors(work: Path, rows: int) -> list[Figure]:
    """How many one-row durable write transactions SQLite commits a second, bare and through our storage."""
    bare = await asyncio.to_thread(sqlite_inserts_per_second, work / "floor.db", rows)
    ours = await unit_of_work_inserts_per_second(work / "floor-uow.db", rows)
    return [Figure("floor", "SQLite", "sqlite3 INSERT+COMMIT/s", bare),
            Figure("floor", "SQLite", "unit of work inbox.store/s", ours)]


def figures(runs: list[Run]) -> list[Figure]:
    echo = next(r for r in runs if r.name == "echo")
    out = [Figure("floor", "-", "python-telegram-bot echo updates/s", echo.per_second,
                  note=_cpu_note(echo))]
    for run in runs:
        if run is echo:
            continue
        note = _cpu_note(run) + ("" if run.complete else f"; only {run.updates} answered in time")
        out.append(Figure("floor", run.name, "updates/s", run.per_second, note=note))
        out.append(Figure("floor", run.name, "ratio to echo", run.per_second / echo.per_second, "", 0.5, "higher"))
    return out


def _cpu_note(run: Run) -> str:
    cpu = f"{1000 * run.cpu_s / run.updates:.1f} ms CPU/update" if run.cpu_s is not None and run.updates else ""
    return f"{run.updates} updates; {cpu}"
