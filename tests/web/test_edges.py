"""The public edges' smaller hardening (issue 11): security headers, an access log without addresses or /track
queries, server-side cookie expiry, identifying data kept out of logs, PostgreSQL timeouts."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.logs import hashed_id, setup_logging
from bot.web.app import SafeAccessLog
from storage.db import create_engine
from tests.support.web_client import WebVisitor, serving
from tests.web.test_webchat import web_container


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        yield
    finally:
        root.handlers[:], root.level = saved


def capture(level: str = "INFO") -> io.StringIO:
    setup_logging(level, [], id_key=b"k" * 32)
    (handler,) = logging.getLogger().handlers
    stream = io.StringIO()
    handler.setStream(stream)  # type: ignore[attr-defined]
    return stream


async def test_pages_cannot_be_framed_and_https_gets_hsts(db_url: str) -> None:
    container = web_container(db_url)
    async with serving(container) as base, aiohttp.ClientSession() as session:
        for path in ("/chat", "/track", "/healthz", "/no-such-page"):
            async with session.get(f"{base}{path}") as response:
                assert response.headers["X-Frame-Options"] == "DENY", path
                assert response.headers["Content-Security-Policy"].endswith("frame-ancestors 'none'")
                assert response.headers["Referrer-Policy"] in ("no-referrer", "same-origin")  # link tokens stay here
                assert response.headers["X-Content-Type-Options"] == "nosniff"
                assert "Strict-Transport-Security" not in response.headers
        async with session.get(f"{base}/track", headers={"X-Forwarded-Proto": "https"}) as response:
            assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


async def test_a_portal_may_frame_the_chat_when_the_operator_says_so(db_url: str) -> None:
    container = web_container(db_url, frame_ancestors="https://portal.example.gov.vn")
    async with serving(container) as base, aiohttp.ClientSession() as session:
        async with session.get(f"{base}/chat") as response:
            assert response.headers["Content-Security-Policy"].endswith("frame-ancestors https://portal.example.gov.vn")
            assert "X-Frame-Options" not in response.headers


async def test_the_access_log_keeps_no_address_and_no_track_query(db_url: str, restore_logging: None) -> None:
    stream = capture()
    container = web_container(db_url)
    await container.start_channels()
    runner = web.AppRunner(container.web_app(), access_log_class=SafeAccessLog)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/track?code=PA-2026-000001"):
                pass
            async with session.get(f"{base}/track?t=PA-2026-000001~1~signature"):
                pass
    finally:
        await runner.cleanup()
        await container.stop()
    lines = [line for line in stream.getvalue().splitlines() if "aiohttp.access" in line]
    assert len(lines) == 2
    for line in lines:
        assert "GET /track 200" in line or "GET /track 403" in line
        assert "127.0.0.1" not in line and "PA-2026" not in line and "?" not in line


async def test_an_old_cookie_is_refused_by_the_server_whatever_the_browser_kept(db_url: str) -> None:
    container = web_container(db_url)
    async with serving(container) as base:
        visitor = await WebVisitor(base).open()
        try:
            await visitor.disconnect()
            container.clock.advance(days=181)  # past the cookie's 180 days: the browser may still send it
            assert visitor.session is not None
            async with visitor.session.get(f"{base}/chat/ws", headers={"Origin": base}) as response:
                assert response.status == 403
            async with visitor.session.get(f"{base}/chat") as page:  # the page gives a fresh visitor
                assert "tiepdan_web" in page.cookies
            await visitor.connect()
        finally:
            await visitor.close()


def test_logs_carry_hashed_ids_and_exception_types_never_their_values(restore_logging: None) -> None:
    stream = capture()
    log = logging.getLogger("tiepdan.test")
    assert hashed_id(515151) == hashed_id("515151") != hashed_id(515152)
    assert "515151" not in hashed_id(515151)
    try:
        raise IntegrityError("INSERT INTO citizens (phone) VALUES (?)", ("0912345678",), Exception("dup Nguyễn"))
    except IntegrityError:
        log.exception("could not store chat %s", hashed_id(515151))
    output = stream.getvalue()
    assert "0912345678" not in output and "Nguyễn" not in output and "515151" not in output
    assert "sqlalchemy.exc.IntegrityError (message withheld)" in output
    assert "[error " in output  # a correlation id to find the request or job
    assert hashed_id(515151) in output


async def test_postgresql_sessions_have_statement_and_lock_timeouts(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL settings")
    engine = create_engine(db_url)
    try:
        async with engine.connect() as connection:
            statement = (await connection.execute(text("SHOW statement_timeout"))).scalar_one()
            lock = (await connection.execute(text("SHOW lock_timeout"))).scalar_one()
    finally:
        await engine.dispose()
    assert (statement, lock) == ("30s", "10s")
