"""A poller meets a database outage: it keeps the update, says so once, and stores it when the database is back."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from storage.db import FAULT_FILE_VARIABLE
from tests.support.fake_zalo_bot import FakeZaloBot
from tests.support.harness import fake_telegram, running_bot


async def _until_logged(caplog: pytest.LogCaptureFixture, words: str, within: float = 20.0) -> None:
    for _ in range(int(within / 0.05)):
        if any(words in r.getMessage() for r in caplog.records):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never logged: {words}")


def _poller_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "polling" in r.getMessage()]


async def test_telegram_polling_survives_an_outage_and_says_so_once(
        db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    switch = tmp_path / "disk-gone"
    monkeypatch.setenv(FAULT_FILE_VARIABLE, str(switch))
    caplog.set_level(logging.WARNING)
    async with fake_telegram() as tg, running_bot(db_url, tg) as bot:
        switch.touch()
        tg.says(830001, "/start")
        await _until_logged(caplog, "telegram polling: storing updates")
        await asyncio.sleep(1.0)  # the outage lasts (not a synchronisation): several tries, still one line
        switch.unlink()
        await tg.wait_for(830001, 2)
        assert not any(t.get_name() == "telegram-poll" and t.done() for t in bot.tasks)
    lines = _poller_lines(caplog)
    assert len(lines) == 2 and "recovered" in lines[1], lines
    assert bot.restarts.get("telegram-poll", 0) == 0
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_zalo_polling_survives_an_outage_and_says_so_once(
        db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    switch = tmp_path / "disk-gone"
    monkeypatch.setenv(FAULT_FILE_VARIABLE, str(switch))
    caplog.set_level(logging.WARNING)
    zb = await FakeZaloBot().start()
    try:
        async with running_bot(db_url, None, **zb.settings()):
            switch.touch()
            zb.says("u-outage", "/start")
            await _until_logged(caplog, "zalo polling: storing an update")
            await asyncio.sleep(1.0)  # the outage lasts a while
            switch.unlink()
            await zb.wait_for("u-outage", 2)
    finally:
        await zb.stop()
    lines = _poller_lines(caplog)
    assert len(lines) == 2 and "recovered" in lines[1], lines
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
