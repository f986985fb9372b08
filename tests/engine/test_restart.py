"""Restart: SIGKILL `tiepdan run` while 20 citizens are mid-conversation, start it again at once.

The dead process's leases are recognised by its stale heartbeat (LEASE_SECONDS, 5 by default), so every
citizen is answered within 5 s of their next message - the one in flight at the kill and the one after it -
and the journeys end with one case each, nothing lost.
"""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

import aiohttp
import pytest

from tests.support import soak

pytestmark = pytest.mark.slow
CITIZENS = 20
ANSWERED_WITHIN = 5.0
SENDER_SLOTS = 8  # a kill between a send and its "sent" mark repeats that message, one per sender slot
FIRST_CHAT = 940000


async def test_sigkill_mid_conversation_and_every_citizen_is_answered_within_5_s(db_url: str, backend: str,
                                                                                 tmp_path: Path) -> None:
    started = time.monotonic()
    rng = random.Random(9)
    where = {FIRST_CHAT + i: rng.randint(3, 7) for i in range(CITIZENS)}  # how far each one got
    tg = await soak.StrictTelegram().start()
    app = soak.process("run", soak.bot_env(db_url, tg, LEASE_SECONDS="5"), tmp_path, "run")
    try:
        async with aiohttp.ClientSession() as session, soak.Citizens(tg) as citizens:
            await app.start()
            await app.ready(session)
            await soak.everyone([citizens.converse(chat, soak.JOURNEY[:k]) for chat, k in where.items()])
            # Each citizen writes once more, and the process is killed while those messages are in flight.
            before = {chat: len(tg.deliveries(chat)) for chat in where}
            for chat, k in where.items():
                await citizens.deliver(tg.message(chat, text=soak.JOURNEY[k]))
            app.kill()
            await app.wait_dead()
            killed = time.monotonic()
            await app.start()
            restart = await app.ready(session)
            ready = time.monotonic()

            async def in_flight(chat: int) -> float:
                reply = await tg.answered(chat, before[chat], 60)
                return max(0.0, reply["at"] - ready)

            waited = await asyncio.gather(*(in_flight(chat) for chat in where))
            after: list[float] = []

            async def rest(chat: int, k: int) -> None:
                after.append(await citizens.say(chat, soak.JOURNEY[k + 1]))
                await citizens.converse(chat, soak.JOURNEY[k + 2:])

            await soak.everyone([rest(chat, k) for chat, k in where.items()])
            await soak.settle(db_url)
    finally:
        await app.stop()
        await tg.stop()

    result = await soak.audit(db_url, tg)
    soak.record("restart", backend, result, time.monotonic() - started, citizens=CITIZENS,
                restart_s=round(ready - killed, 1), ready_s=round(restart, 1),
                in_flight_max_s=round(max(waited), 1), next_max_s=round(max(after), 1))
    assert max(waited) <= ANSWERED_WITHIN, sorted(waited)
    assert max(after) <= ANSWERED_WITHIN, sorted(after)
    assert result.cases == CITIZENS
    assert result.losses == 0 and result.out_of_order == 0, result
    assert result.inbox == {"done": CITIZENS * len(soak.JOURNEY)}, result.inbox
    assert result.duplicates <= SENDER_SLOTS, result
