"""`make bench` (`python -m benchmarks`): every figure of issue 18 (and issue 14's announcement) in one run, on
SQLite and on PostgreSQL, each beside its target and verdict; JSON and a PNG chart in var/bench/.

A benchmark reports, it never fails: the exit status is 0 whatever the verdicts (1 only if the harness
itself could not run). `--only crowd,floor` runs some; `--quick` runs small sizes for a check in a minute
or two; `--profile` also writes a cProfile summary of the crowd run's bot to var/bench/profile-*.txt.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks import announcement, backlog, crowd, fanout, floor, report, sweep_digest, webhook_latency
from benchmarks.common import POSTGRES_URL, ROOT, Databases, Figure, postgres_up, workdir

BACKENDS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


@dataclass(frozen=True)
class Sizes:
    citizens: int
    concurrency: int
    crowd_seconds: float  # the crowd stops being waited for after this (the figures say how far it got)
    floor_updates: int
    webhook_rate: float
    webhook_seconds: float
    backlog_updates: int
    backlog_seconds: float
    cases: int
    recipients: int
    fanout_scale: float
    fanout_seconds: float
    followers: int  # of the ward an announcement goes to (issue 14)
    announce_scale: float
    announce_seconds: float


FULL = Sizes(citizens=300, concurrency=50, crowd_seconds=120, floor_updates=600, webhook_rate=100,
             webhook_seconds=60, backlog_updates=20_000, backlog_seconds=30, cases=1_000_000, recipients=10_000,
             fanout_scale=10, fanout_seconds=30, followers=2_000, announce_scale=1, announce_seconds=90)
QUICK = Sizes(citizens=20, concurrency=10, crowd_seconds=60, floor_updates=100, webhook_rate=20,
              webhook_seconds=5, backlog_updates=2_000, backlog_seconds=10, cases=100_000, recipients=300,
              fanout_scale=10, fanout_seconds=20, followers=200, announce_scale=1, announce_seconds=20)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help=f"comma-separated, of: {', '.join(RUNNERS)}")
    parser.add_argument("--backends", default="sqlite,postgres", help="comma-separated, of: sqlite, postgres")
    parser.add_argument("--quick", action="store_true", help="small sizes, for checking the harness")
    parser.add_argument("--profile", action="store_true", help="cProfile the crowd run's bot")
    parser.add_argument("--generate", action="store_true",
                        help="generate the sweep/digest history afresh instead of taking the copy an earlier run kept")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench")
    parser.add_argument("--budget", type=float, default=840.0,
                        help="seconds the whole run should take: the webhook run shortens to 30 s to fit")
    for name, value in vars(FULL).items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=None,
                            help=f"default {value:g} ({getattr(QUICK, name):g} with --quick)")
    return parser.parse_args(argv)


def sizes_of(opts: argparse.Namespace) -> Sizes:
    base = QUICK if opts.quick else FULL
    return Sizes(**{k: v if getattr(opts, k) is None else getattr(opts, k) for k, v in vars(base).items()})


@dataclass
class Run:
    opts: argparse.Namespace
    sizes: Sizes
    dbs: Databases
    backends: list[str]
    work: Path
    started: float = 0.0  # perf_counter at the start of the run

    def left(self) -> float:
        """Seconds left of the run's budget."""
        return float(self.opts.budget) - (time.perf_counter() - self.started)

    @property
    def log(self) -> Path:
        return self.work / "children.log"


# --- one function per benchmark: (run) -> figures -------------------------------------------------------------


async def bench_crowd(run: Run) -> list[Figure]:
    s, out = run.sizes, []
    for backend in run.backends:
        url = await run.dbs.fresh(backend)
        profile = run.opts.out / f"profile-crowd-{backend}.txt" if run.opts.profile else None
        result = await crowd.run_crowd(url, run.log, citizens=s.citizens, concurrency=s.concurrency,
                                       allowed=s.crowd_seconds, profile=profile)
        out += crowd.figures(result, BACKENDS[backend])
        if profile is not None:
            print(f"  profile: {profile}")
    return out


async def bench_floor(run: Run) -> list[Figure]:
    urls = {BACKENDS[b]: await run.dbs.fresh(b) for b in run.backends}
    runs = await floor.run_floor(urls, run.log, updates=run.sizes.floor_updates, allowed=90)
    return floor.figures(runs) + await floor.insert_floors(run.work, run.sizes.floor_updates)


WEBHOOK_DRAIN = 10.0
WEBHOOK_SHORT = 30.0  # the duration when the full one would overrun the budget
WEBHOOK_OVERHEAD = 10.0  # a database and a bot started, per backend


async def bench_webhook(run: Run) -> list[Figure]:
    s, out = run.sizes, []
    seconds = s.webhook_seconds
    needed = len(run.backends) * (seconds + WEBHOOK_DRAIN + WEBHOOK_OVERHEAD)
    if run.opts.webhook_seconds is None and seconds > WEBHOOK_SHORT and needed > run.left():
        print(f"  {run.left():.0f} s left of the budget: {WEBHOOK_SHORT:.0f} s at {s.webhook_rate:g}/s instead of "
              f"{seconds:.0f} s")
        seconds = WEBHOOK_SHORT
    for backend in run.backends:
        result = await webhook_latency.run_webhook(await run.dbs.fresh(backend), run.log, rate=s.webhook_rate,
                                                   seconds=seconds, drain=WEBHOOK_DRAIN)
        out += webhook_latency.figures(result, BACKENDS[backend])
    return out


async def bench_backlog(run: Run) -> list[Figure]:
    s, out = run.sizes, []
    for backend in run.backends:
        result = await backlog.run_backlog(await run.dbs.fresh(backend), run.log, updates=s.backlog_updates,
                                           allowed=s.backlog_seconds)
        out += backlog.figures(result, BACKENDS[backend])
    return out


async def bench_sweep(run: Run) -> list[Figure]:
    out = []
    for backend in run.backends:
        keep = None if run.opts.generate else run.opts.out / "history"
        result = await sweep_digest.run_sweep_digest(run.dbs, backend, cases=run.sizes.cases, keep=keep)
        out += sweep_digest.figures(result, BACKENDS[backend])
    return out


async def bench_fanout(run: Run) -> list[Figure]:
    s, out = run.sizes, []
    for backend in run.backends:
        result = await fanout.run_fanout(await run.dbs.fresh(backend), run.log, recipients=s.recipients,
                                         scale=s.fanout_scale, allowed=s.fanout_seconds)
        out += fanout.figures(result, BACKENDS[backend])
    return out


async def bench_announcement(run: Run) -> list[Figure]:
    s, out = run.sizes, []
    for backend in run.backends:
        result = await announcement.run_announcement(await run.dbs.fresh(backend), run.log, followers_=s.followers,
                                                     scale=s.announce_scale, allowed=s.announce_seconds)
        out += announcement.figures(result, BACKENDS[backend])
    return out


def external(module: str) -> Callable[[Run], Awaitable[list[Figure]]]:
    """A benchmark module with its own `main()` (sync or async, printing its own figures), run in this run:
    its figures join the table if `main()` returns a list of Figure."""

    async def runner(_run: Run) -> list[Figure]:
        main = importlib.import_module(module).main
        result = await main() if inspect.iscoroutinefunction(main) else await asyncio.to_thread(main)
        return [f for f in result if isinstance(f, Figure)] if isinstance(result, list) else []

    return runner


async def bench_matcher(_run: Run) -> list[Figure]:
    """The matcher on its labelled set (benchmarks/matcher.py prints accuracy per style and time per message)."""
    from benchmarks import matcher

    await asyncio.to_thread(matcher.main, ["--quiet"])
    return []


RUNNERS: dict[str, Callable[[Run], Awaitable[list[Figure]]]] = {
    "sweep": bench_sweep, "crowd": bench_crowd, "floor": bench_floor, "backlog": bench_backlog,
    "fanout": bench_fanout, "announcement": bench_announcement, "matcher": bench_matcher,
    "webhook": bench_webhook,  # last: it shortens itself to fit the budget
}
# Benchmarks kept in their own module hook in below, one line each: RUNNERS["name"] = external("benchmarks.name")
# (or an async function (run) -> figures).


async def run_all(run: Run, names: list[str]) -> list[Figure]:
    figures: list[Figure] = []
    try:
        for name in names:
            print(f"== {name} ({', '.join(BACKENDS[b] for b in run.backends)}) ...", flush=True)
            started = time.perf_counter()
            try:
                new = await RUNNERS[name](run)
            except Exception as exc:  # one broken benchmark must not hide the others' figures
                traceback.print_exc()
                new = [Figure(name, "-", "run", None, note=f"failed: {exc!r}"[:200])]
            figures += new
            print(report.table(new))
            print(f"   ({time.perf_counter() - started:.0f} s)\n", flush=True)
    finally:
        await run.dbs.drop_all()
    return figures


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    sizes = sizes_of(opts)
    names = [n.strip() for n in opts.only.split(",") if n.strip()] or list(RUNNERS)
    unknown = [n for n in names if n not in RUNNERS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(RUNNERS)}")
        return 1
    backends = [b.strip() for b in opts.backends.split(",") if b.strip() in BACKENDS]
    if "postgres" in backends and not postgres_up(opts.postgres_url):
        print(f"PostgreSQL at {opts.postgres_url} is not reachable: SQLite only")
        backends.remove("postgres")
    box = report.machine()
    print(f"Tiếp Dân benchmarks on {box['host']}: {box['cpus']} CPUs ({box['cpu']}), {box['memory_gb']} GB, "
          f"Python {box['python']}, load average {box['load_average']}")
    print(f"sizes{' (quick)' if opts.quick else ''}: {sizes}\n", flush=True)
    opts.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with workdir() as work:
        run = Run(opts, sizes, Databases(work, opts.postgres_url), backends, work, started)
        figures = asyncio.run(run_all(run, names))
        if (run.log).exists() and run.log.stat().st_size:
            (opts.out / "children.log").write_bytes(run.log.read_bytes())
    seconds = time.perf_counter() - started
    print("== all figures")
    print(report.table(figures))
    print(f"\n{report.summary(figures)}; measured in {seconds:.0f} s")
    meta = {"sizes": vars(sizes), "benchmarks": names, "backends": backends, "seconds": round(seconds, 1),
            "quick": opts.quick}
    latest = report.write_json(figures, opts.out, meta)
    png = report.chart(figures, opts.out / "latest.png",
                       f"Tiếp Dân benchmarks: {report.summary(figures)} ({'quick' if opts.quick else 'full'} run)")
    print(f"wrote {latest} and {png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
