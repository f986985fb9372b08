"""The benchmark harness works: a tiny crowd files its reports through the real bot, and the figures add up.

It checks the harness (every step answered, every case stored, figures and verdicts computed), not timings.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import aiohttp

from benchmarks import announcement, crowd, report, sweep_digest
from benchmarks.common import Figure
from benchmarks.fake_api import FakeBotApi, Limits
from storage.uow import Database

CITIZENS = 3


async def test_a_tiny_crowd_files_every_report(sqlite_template: Path, tmp_path: Path) -> None:
    path = tmp_path / "bench.db"
    shutil.copy(sqlite_template, path)
    result = await crowd.run_crowd(f"sqlite+aiosqlite:///{path}", tmp_path / "child.log", citizens=CITIZENS,
                                   concurrency=CITIZENS, allowed=60)
    assert result.errors == []
    assert (result.completed, result.cases) == (CITIZENS, CITIZENS)
    steps = CITIZENS * len(crowd.JOURNEY)
    assert (result.steps, len(result.latencies)) == (steps, steps)
    assert result.replies == CITIZENS * sum(step.replies for step in crowd.JOURNEY)
    assert result.cpu_s > 0 and result.peak_rss_kb > 0

    figures = crowd.figures(result, "SQLite")
    by_name = {f.name: f for f in figures}
    assert by_name["cases in the database"].verdict == "met"
    assert all(f.verdict in ("met", "missed") for f in figures if f.target is not None)
    assert all(f.value is not None and math.isfinite(f.value) for f in figures)
    chart = report.chart(figures, tmp_path / "chart.png", "smoke")
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert "cases/s" in report.table(figures)


def test_verdicts_follow_the_direction_of_the_target() -> None:
    assert Figure("b", "-", "rate", 50, target=45, better="higher").verdict == "met"
    assert Figure("b", "-", "p99", 600, "ms", 500, "lower").verdict == "missed"
    assert Figure("b", "-", "429s", 0, target=0, better="equal").verdict == "met"
    assert Figure("b", "-", "p99", math.inf, "ms", 50, "lower").verdict == "missed"
    assert Figure("b", "-", "shown only", 3).verdict == ""


async def test_the_fake_bot_api_refuses_beyond_its_limits() -> None:
    """The fan-out's zero-429 figure means something only if the server does refuse a sender that is too fast."""
    api = await FakeBotApi("1:T", limits=Limits(overall_per_second=3, chat_per_second=1)).start()
    try:
        async with aiohttp.ClientSession() as http:
            async def send(chat: int) -> int:
                async with http.post(f"{api.base_url}/bot1:T/sendMessage", json={"chat_id": chat, "text": "x"}) as r:
                    body = await r.json()
                    assert body["ok"] == (r.status == 200)
                    return r.status

            assert [await send(1), await send(1)] == [200, 429]  # one a second in a chat
            assert [await send(2), await send(3), await send(4)] == [200, 200, 429]  # three a second in all
    finally:
        await api.stop()
    assert (api.sends, api.refused) == (3, 2)


async def test_the_generated_history_gives_the_digest_its_figures(sqlite_template: Path, tmp_path: Path) -> None:
    """The sweep/digest benchmark's cases carry the events the digest reads: its figures for the month equal
    the counts taken from the cases' own columns (`timed_digest` raises otherwise), and they are not nothing."""
    path = tmp_path / "history.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        events = await sweep_digest.generate(db, 6000, postgres=False)
        result = sweep_digest.SweepDigestResult(6000)
        await sweep_digest.timed_digest(db, result)
    finally:
        await db.dispose()
    assert events > 3 * 6000
    month = result.digest
    assert month.received > 400 and month.resolved > 400 and 0 < month.on_time < month.resolved
    assert month.satisfied > 0 and month.overdue > 0
    assert result.digest_units == sweep_digest.UNITS


async def test_an_announcement_reaches_each_follower_once(sqlite_template: Path, tmp_path: Path) -> None:
    """The announcement benchmark's delivery check passes on a small ward (its rate figure is not checked)."""
    path = tmp_path / "announce.db"
    shutil.copy(sqlite_template, path)
    result = await announcement.run_announcement(f"sqlite+aiosqlite:///{path}", tmp_path / "child.log",
                                                 followers_=50, scale=1, allowed=60)
    assert result.wrong == []
    assert (result.telegram_sent, result.zalo_sent, result.web_sent) == (20, 10, 12)
    assert result.addressed == 20 + 10 + 5 + 12
    figures = {f.name: f for f in announcement.figures(result, "SQLite")}
    assert figures["copies wrong"].verdict == "met"
