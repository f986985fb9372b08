"""PostgreSQL: a process that stores an update wakes the process that works the chat, without polling."""

from __future__ import annotations

import asyncio

import pytest

from bot.container import Container
from tests.support.harness import fake_telegram, settings_for


async def test_another_process_hears_of_new_work_at_once(db_url: str, backend: str) -> None:
    if backend != "postgres":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite has one machine and the in-process hand-off")
    async with fake_telegram() as tg:
        worker = Container(settings_for(db_url, tg))  # the process that works chats and sends
        edge = Container(settings_for(db_url, tg))  # a webhook process: it only stores
        await worker.start_channels()
        await edge.start_channels()
        worker.consumer.pool.fallback_poll = worker.sender.pool.fallback_poll = 300.0  # no help from polling
        worker.start_workers()
        try:
            assert worker.notifier is not None
            await asyncio.wait_for(worker.notifier.connected.wait(), 10)
            await worker.presence.beat()  # its own first beat may still be on its way on a busy machine
            await edge.presence.beat()  # the edge is alive; it sees the worker, the worker will see it
            assert edge.presence.peers == 1
            assert edge.sender.held == set()  # the worker holds the channels' sending
            telegram = edge.telegram
            assert telegram is not None
            await edge.receiver.store(telegram, [tg.message(840001, text="/help")])
            await tg.wait_for(840001, 1, within=30)  # only the edge's NOTIFY can wake the worker in time
        finally:
            await edge.stop()
            await worker.stop()
