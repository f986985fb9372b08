"""Faults: the Bot API answers 20% of the sends with 429, 500 or no answer at all; everything is delivered.

A "timeout" drops the connection without an answer, and half the time after the message was delivered: the
bot cannot know, so it sends again. Those repeats are the only duplicates allowed, and they are counted.
"""

from __future__ import annotations

import time
from pathlib import Path

import aiohttp
import pytest

from tests.support import soak

pytestmark = pytest.mark.slow
CITIZENS = soak.scaled(250, least=10)
FAULT_RATIO = 0.2
FIRST_CHAT = 980000


async def test_a_fifth_of_sends_failing_delays_but_loses_nothing(db_url: str, backend: str, tmp_path: Path) -> None:
    started = time.monotonic()
    tg = await soak.StrictTelegram(fault_ratio=FAULT_RATIO).start()
    app = soak.process("run", soak.bot_env(db_url, tg), tmp_path, "run")
    try:
        async with aiohttp.ClientSession() as session, soak.Citizens(tg) as citizens:
            await app.start()
            await app.ready(session)
            await soak.everyone([citizens.converse(FIRST_CHAT + i, within=120) for i in range(CITIZENS)])
            await soak.settle(db_url)
    finally:
        await app.stop()
        await tg.stop()

    result = await soak.audit(db_url, tg)
    soak.record("faults 20%", backend, result, time.monotonic() - started, citizens=CITIZENS,
                injected="/".join(f"{k}:{v}" for k, v in sorted(tg.injected.items())),
                hidden_successes=tg.hidden_successes)
    assert sum(tg.injected.values()) > 0
    assert result.cases == CITIZENS
    assert result.losses == 0 and result.out_of_order == 0, result
    assert result.outbox.get("failed", 0) == 0, result.outbox
    assert result.inbox == {"done": CITIZENS * len(soak.JOURNEY)}, result.inbox
    assert result.duplicates <= tg.hidden_successes, result
