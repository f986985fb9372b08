"""Tokens and chat ids never reach a log line, even at DEBUG (httpx would log every Bot API URL, token included)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from bot.logs import MASK, RedactSecrets, setup_logging
from tests.support.fake_telegram import Fault
from tests.support.harness import fake_telegram, running_bot, settings_for

CHAT = 515151


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """setup_logging replaces the root handlers; put back what pytest had."""
    root, httpx = logging.getLogger(), logging.getLogger("httpx")
    saved = (root.handlers[:], root.level, httpx.level)
    try:
        yield
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        httpx.setLevel(saved[2])


def install(level: str, secrets: list[str]) -> io.StringIO:
    """The application's own logging set-up, writing to a buffer the test reads."""
    setup_logging(level, secrets)
    (handler,) = logging.getLogger().handlers
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    handler.setStream(stream)
    return stream


async def test_a_telegram_journey_at_debug_logs_no_token(db_url: str, restore_logging: None) -> None:
    async with fake_telegram() as tg:
        tg.faults.append(Fault("sendMessage", 429, retry_after=1))  # a retry: more requests, more log lines
        settings = settings_for(db_url, tg, log_level="DEBUG")
        assert settings.secrets() == [tg.token]
        stream = install(settings.log_level, settings.secrets())
        async with running_bot(db_url, tg):
            tg.says(CHAT, "/start")
            await tg.wait_for(CHAT, 2, within=30)
            tg.presses(CHAT, "agree")
            await tg.wait_for(CHAT, 4, within=30)
            tg.says(CHAT, "/my")
            await tg.wait_for(CHAT, 5, within=30)
        logging.getLogger("tiepdan.test").error("bad token %s", tg.token)  # a careless caller, for good measure

    output = stream.getvalue()
    assert tg.token not in output
    assert quote(tg.token, safe="") not in output
    assert tg.token.split(":", 1)[1] not in output  # not even the secret half
    # Libraries that log URLs, chat ids or SQL parameters stay quiet even at DEBUG (a denouncer's chat id
    # must never reach a log); our own lines still pass through the filter.
    assert str(CHAT) not in output
    assert f"bad token {MASK}" in output


def record(msg: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord("t", logging.INFO, __file__, 1, msg, args or None, exc_info)


TOKEN = "123456:AAH-secret_Value"


def test_redacts_formatted_arguments() -> None:
    r = record("POST %s %d", f"https://api.telegram.org/bot{TOKEN}/sendMessage", 200)
    assert RedactSecrets([TOKEN]).filter(r) is True
    assert r.getMessage() == "POST https://api.telegram.org/bot***/sendMessage 200"


def test_redacts_the_percent_encoded_form() -> None:
    r = record("GET /bot%s/getMe", quote(TOKEN, safe=""))
    RedactSecrets([TOKEN]).filter(r)
    assert r.getMessage() == "GET /bot***/getMe"


def test_redacts_exceptions() -> None:
    try:
        raise RuntimeError(f"could not reach /bot{TOKEN}/getUpdates")
    except RuntimeError as exc:
        r = record("polling failed", exc=exc)
    RedactSecrets([TOKEN]).filter(r)
    text = logging.Formatter().format(r)
    assert TOKEN not in text
    assert "RuntimeError: could not reach /bot***/getUpdates" in text


def test_redacts_stack_info() -> None:
    r = record("where")
    r.stack_info = f'Stack (most recent call last):\n  File "x.py", line 1, in <module>\n    call("{TOKEN}")'
    RedactSecrets([TOKEN]).filter(r)
    assert TOKEN not in logging.Formatter().format(r)


def test_leaves_other_records_alone() -> None:
    r = record("%d updates from %s", 3, "telegram")
    RedactSecrets([TOKEN]).filter(r)
    assert (r.msg, r.args) == ("%d updates from %s", (3, "telegram"))


def test_libraries_that_log_personal_data_stay_quiet_even_at_debug(restore_logging: None) -> None:
    for level in ("INFO", "DEBUG"):
        install(level, [TOKEN])
        assert logging.getLogger().level == getattr(logging, level)
        for name in ("httpx", "telegram", "aiosqlite", "sqlalchemy.engine"):
            assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING, (level, name)
