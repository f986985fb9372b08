"""The benchmark harness works: a tiny crowd files its reports through the real bot, and the figures add up.

It checks the harness (every step answered, every case stored, figures and verdicts computed), not timings.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

from benchmarks import crowd, report
from benchmarks.common import Figure

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
