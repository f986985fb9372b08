"""A message the flow cannot handle fails alone: spaced attempts, one word to the citizen, visible, retryable.
An outbox row that cannot be sent ends `failed` and lets the chat's next message go."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bot.channels.model import Outbound
from bot.clock import FakeClock
from bot.container import Container
from bot.i18n import translator
from storage.models import InboxItem, OutboxItem
from storage.repositories import outbox
from tests.support.harness import fake_telegram, settings_for

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
CHAT = 810001
ROOT = Path(__file__).resolve().parents[2]
TIEPDAN = str(ROOT / ".venv" / "bin" / "tiepdan")


async def _cli(db_url: str, *args: str) -> list[str]:
    process = await asyncio.create_subprocess_exec(
        TIEPDAN, *args, env=os.environ | {"DATABASE_URL": db_url, "LOG_LEVEL": "WARNING"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    return out.decode().splitlines()


async def _statuses(container: Container) -> list[tuple[str, int]]:
    async with container.db.unit_of_work(readonly=True) as uow:
        rows = (await uow.session.execute(select(InboxItem).order_by(InboxItem.id))).scalars().all()
    return [(r.status, r.attempts) for r in rows]


async def test_a_flow_error_fails_one_message_only_and_retry_handles_it_once_fixed(db_url: str) -> None:
    clock = FakeClock(START)
    async with fake_telegram() as tg:
        container = Container(settings_for(db_url, tg), clock=clock)
        real, broken = container.consumer._process, [True]

        async def process(uow, row):  # the flow has a bug that this one message triggers
            if broken[0] and row.payload.get("message", {}).get("text") == "boom":
                raise ValueError("a bug in the flow")
            await real(uow, row)

        container.consumer._process = process
        await container.start_channels()
        try:
            telegram = container.telegram
            assert telegram is not None
            await container.receiver.store(telegram, [tg.message(CHAT, text=t) for t in ("/start", "boom", "/help")])

            await container.consumer.drain()
            assert await _statuses(container) == [("done", 0), ("new", 1), ("new", 0)]  # /help waits its turn
            clock.advance(seconds=0.5)
            await container.consumer.drain()  # not yet: attempts are spaced
            assert await _statuses(container) == [("done", 0), ("new", 1), ("new", 0)]
            clock.advance(seconds=1)
            await container.consumer.drain()
            assert await _statuses(container) == [("done", 0), ("new", 2), ("new", 0)]
            clock.advance(seconds=11)
            await container.consumer.drain()
            assert await _statuses(container) == [("done", 0), ("failed", 3), ("done", 0)]
            await container.sender.drain()

            sorry = translator("vi")("error.internal")
            texts = tg.texts_to(CHAT)
            assert sum(sorry in t for t in texts) == 1  # told once, at the last failure
            assert texts.index(next(t for t in texts if sorry in t)) < len(texts) - 1  # /help answered after

            listed = await _cli(db_url, "inbox", "failed")
            assert listed[-1] == "1 failed update(s)"
            assert listed[0].startswith("#2 telegram ") and listed[0].endswith("ValueError: a bug in the flow")

            broken[0] = False  # the bug is fixed and deployed
            assert await _cli(db_url, "inbox", "retry", "2") == ["1 chat(s) queued again"]
            await container.consumer.drain()
            assert await _statuses(container) == [("done", 0), ("done", 0), ("done", 0)]
            assert (await _cli(db_url, "inbox", "failed"))[-1] == "0 failed update(s)"
        finally:
            await container.stop()


async def test_an_outbox_row_whose_photo_is_gone_fails_and_the_next_message_goes(db_url: str) -> None:
    clock = FakeClock(START)
    async with fake_telegram() as tg:
        container = Container(settings_for(db_url, tg), clock=clock)
        await container.start_channels()
        try:
            async with container.db.unit_of_work() as uow:
                await outbox.add(uow.session, channel="telegram", chat_id=str(CHAT), now=clock.now(),
                                 payload=Outbound("Ảnh hiện trường", attachment_ids=(424242,)).to_json())
                await outbox.add(uow.session, channel="telegram", chat_id=str(CHAT), now=clock.now(),
                                 payload=Outbound("Tin tiếp theo").to_json())
                await uow.commit()
            for _ in range(12):  # each attempt backs off; the fake clock walks through the back-off
                await container.sender.drain()
                clock.advance(seconds=400)
            async with container.db.unit_of_work(readonly=True) as uow:
                rows = (await uow.session.execute(select(OutboxItem).order_by(OutboxItem.id))).scalars().all()
            gone, then = rows
            assert (gone.status, gone.attempts) == ("failed", telegram_attempts(container))
            assert then.status == "sent"
            assert tg.texts_to(CHAT) == ["Tin tiếp theo"]
        finally:
            await container.stop()


def telegram_attempts(container: Container) -> int:
    assert container.telegram is not None
    return container.telegram.rules.max_attempts
