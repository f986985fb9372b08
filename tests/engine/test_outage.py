"""Outage: the database goes away while citizens submit cases, and comes back; no process is restarted.

PostgreSQL: a private cluster is stopped (immediate: every connection drops) for 10 s and started again,
twice. SQLite: the fault switch (TIEPDAN_DB_FAULT_FILE) makes every statement fail like a lost disk for 10 s.
Exactly one case per citizen, every reply sent once (no fault of the fake Bot API here can hide a success),
/readyz 503 during the outage and 200 within 5 s after it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import _prepare
from tests.support import private_postgres as pg
from tests.support import soak

pytestmark = pytest.mark.slow
OUTAGE_SECONDS = 10.0
READY_WITHIN = 5.0
CITIZENS = soak.scaled(500, least=10)
FIRST_CHAT = 930000


@pytest.fixture
def outage_db(private_db: Callable[[str], str]) -> str:
    return private_db("outage")


async def _drill(backend: str, db_url: str, tmp_path: Path, env: dict[str, str], outages: int,
                 go_down: Callable[[], Awaitable[None]], come_up: Callable[[], Awaitable[None]]) -> None:
    started = time.monotonic()
    tg = await soak.StrictTelegram().start()
    app = soak.process("run", soak.bot_env(db_url, tg, **env), tmp_path, "run")
    windows: list[tuple[float, float, float]] = []  # went down, began coming up, up
    try:
        async with aiohttp.ClientSession() as session, soak.Citizens(tg) as citizens:
            await app.start()
            await app.ready(session)
            with soak.ReadinessLog(session, app.url) as readiness:
                talk = asyncio.create_task(soak.everyone(
                    [citizens.converse(FIRST_CHAT + i, within=OUTAGE_SECONDS * 6) for i in range(CITIZENS)]))
                expected = CITIZENS * 12  # about as many deliveries as the whole drill makes
                for k in range(outages):
                    # Each outage strikes in the middle of the traffic, not before or after it.
                    await soak.until(lambda k=k: len(tg.sent) >= expected * (k + 1) // (outages + 2) or talk.done(),
                                120, "progress before the outage")
                    assert not talk.done(), "the citizens finished before the outage; raise TIEPDAN_SOAK_SCALE"
                    down = time.monotonic()
                    await go_down()
                    await asyncio.sleep(OUTAGE_SECONDS)  # the outage's length, not a synchronisation
                    coming = time.monotonic()
                    await come_up()
                    windows.append((down, coming, time.monotonic()))
                    await soak.until(lambda: readiness.ready_after(windows[-1][2]) is not None, 30, "ready again")
                await talk
                await soak.settle(db_url)
            assert app.proc is not None and app.proc.returncode is None, "the process died"
            assert app.starts == 1
    finally:
        await app.stop()
        await tg.stop()

    result = await soak.audit(db_url, tg)
    recoveries = [readiness.ready_after(up) for _, _, up in windows]
    # From a second after the fall (the first checks may be under way) to the moment it starts coming back.
    during = [readiness.during(down + 1.0, coming) for down, coming, _ in windows]
    soak.record("outage", backend, result, time.monotonic() - started, citizens=CITIZENS,
                outages=f"{outages}x{OUTAGE_SECONDS:.0f}s",
                ready_after_s="/".join(f"{r:.1f}" for r in recoveries if r is not None),
                not_ready_samples="/".join(str(len(d)) for d in during))
    assert result.cases == CITIZENS
    assert result.losses == 0 and result.out_of_order == 0, result
    assert result.inbox == {"done": CITIZENS * len(soak.JOURNEY)}, result.inbox
    assert all(count >= 1 for count in result.receipts.values()) and len(result.receipts) == CITIZENS
    print(f"outages at {[(round(d, 1), round(u, 1)) for d, _, u in windows]}")
    assert result.duplicates == 0, result.repeated  # the sender keeps a send's outcome until it can write it down
    for samples in during:
        # Never "ready": 503, or no answer within the probe's 5 s on a loaded machine (a balancer's failure too).
        assert 503 in samples and all(status in (503, None) for status in samples), samples
    assert all(r is not None and r <= READY_WITHIN for r in recoveries), recoveries
    assert app.errors() == []  # every task rode the outage out: no task died, nothing logged as a bug


async def test_sqlite_outage_loses_nothing_and_stops_nothing(tmp_path: Path) -> None:
    path = tmp_path / "tiepdan.db"
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(_prepare, url)
    switch = tmp_path / "disk-gone"

    async def go_down() -> None:
        switch.touch()

    async def come_up() -> None:
        switch.unlink()

    await _drill("sqlite", url, tmp_path, {"TIEPDAN_DB_FAULT_FILE": str(switch)}, 1, go_down, come_up)


async def test_postgres_outage_loses_nothing_and_stops_nothing(cluster: pg.PrivatePostgres, outage_db: str,
                                                               tmp_path: Path) -> None:
    async def go_down() -> None:
        await asyncio.to_thread(cluster.stop, "immediate")

    async def come_up() -> None:
        await asyncio.to_thread(cluster.start)

    await _drill("postgres", outage_db, tmp_path, {}, 2, go_down, come_up)
