"""Backlog memory: the bot starts with N updates waiting at the Bot API (after an outage, say).

Each update is a /help from a chat of its own. The child's resident memory is sampled while it takes the
backlog in and works through it, until all are answered or the time allowed runs out (the figure is the
peak either way; how far it got is printed beside it).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import TOKEN, Figure, bot_child
from benchmarks.fake_api import FakeBotApi

FIRST_CHAT = 830_000_000


@dataclass
class BacklogResult:
    updates: int
    answered: int = 0
    seconds: float = 0.0
    peak_rss_kb: int = 0
    start_rss_kb: int = 0


async def run_backlog(database_url: str, log: Path, *, updates: int, allowed: float) -> BacklogResult:
    api = await FakeBotApi(TOKEN).start()
    result = BacklogResult(updates)
    try:
        for i in range(updates):
            api.push(api.text_update(FIRST_CHAT + i, "/help"))
        api.expect_sends(updates)
        async with bot_child(api.base_url, database_url, log) as child:
            result.start_rss_kb = child.sample_rss()
            started = time.perf_counter()
            done = asyncio.create_task(api.sent_all(allowed))
            while not done.done():
                child.sample_rss()
                await asyncio.sleep(0.1)
            result.seconds = time.perf_counter() - started
            result.answered = api.sends
        result.peak_rss_kb = child.peak_rss_kb
    finally:
        await api.stop()
    return result


def figures(result: BacklogResult, backend: str) -> list[Figure]:
    note = f"{result.updates} waiting; {result.answered} answered in {result.seconds:.0f} s"
    return [Figure("backlog", backend, "peak RSS", result.peak_rss_kb / 1024, "MB", 150, "lower", note)]
