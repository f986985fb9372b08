"""/healthz says alive; /readyz tells the truth about the database, the workers and the queues."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text

from bot.clock import FakeClock
from bot.container import Container
from bot.workers import health
from storage.uow import Database
from tests.support.harness import fake_telegram, settings_for

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


async def test_readiness_follows_the_workers_and_the_queues(db_url: str) -> None:
    clock = FakeClock(START)
    async with fake_telegram() as tg:
        container = Container(settings_for(db_url, tg, ready_max_age_seconds=60, health_token="ops-token-1234"),
                              clock=clock)
        await container.start_channels()
        container.start_workers()
        client = TestClient(TestServer(container.web_app()))
        await client.start_server()
        try:
            alive = await client.get("/healthz")
            assert (alive.status, await alive.json()) == (200, {"status": "alive"})

            ready = await client.get("/readyz")
            body = await ready.json()
            assert ready.status == 200, body
            assert body["status"] == "ready" and body["tasks"]["consumer"] is True and body["problems"] == []

            proxied = await client.get("/readyz", headers={"X-Forwarded-For": "203.0.113.9"})
            assert await proxied.json() == {"status": "ready"}  # strangers get the verdict, not the queues
            with_token = await client.get("/readyz", headers={"X-Forwarded-For": "203.0.113.9",
                                                                "Authorization": "Bearer ops-token-1234"})
            assert "outbox_pending" in await with_token.json()

            consumer = next(t for t in container.tasks if t.get_name() == "consumer")
            consumer.cancel()  # a worker that is gone
            telegram = container.telegram
            assert telegram is not None
            await container.receiver.store(telegram, [tg.message(820001, text="/help")])
            down = await client.get("/readyz")
            body = await down.json()
            assert down.status == 503
            assert "task consumer is not running" in body["problems"]

            clock.advance(seconds=61)  # and the message it left waits longer than allowed
            body = await (await client.get("/readyz")).json()
            assert any(p.startswith("oldest new inbox: 61 s") for p in body["problems"]), body["problems"]
        finally:
            await client.close()
            await container.stop()


async def test_a_slow_database_check_is_left_to_finish_not_cancelled(db_url: str, backend: str,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A check past its time answers 503 at once; its query finishes on its own and gives its connection back
    (a query cancelled halfway strands the connection, which SQLAlchemy then reports from the collector)."""
    if backend != "postgres":
        pytest.skip("a reader waits on another session's lock only on PostgreSQL")
    monkeypatch.setattr(health, "DB_CHECK_SECONDS", 0.3)
    async with fake_telegram() as tg:
        container = Container(settings_for(db_url, tg), clock=FakeClock(START))
        blocker = Database(db_url)
        client = TestClient(TestServer(container.web_app()))
        await client.start_server()
        try:
            async with blocker.unit_of_work() as uow:
                await uow.session.execute(text("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE"))
                slow = await client.get("/readyz")
                assert slow.status == 503
                assert "database: TimeoutError" in (await slow.json())["problems"]
                check = container.health._check
                assert check is not None and not check.done()
            await asyncio.wait_for(asyncio.shield(check), 10)  # the lock is gone: the same query completes
            assert not check.cancelled() and check.result()["migration"]
            assert container.db.engine.pool.checkedout() == 0
        finally:
            await client.close()
            await blocker.dispose()
            await container.stop()
