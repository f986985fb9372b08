"""Run the real application in-process against a fake platform server."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from bot.clock import Clock
from bot.config import load_settings
from bot.container import Container
from tests.support.fake_telegram import FakeTelegram


def settings_for(db_url: str, fake: FakeTelegram | None = None, **extra: Any):
    values: dict[str, Any] = {"database_url": db_url, "lease_seconds": 5.0, "_env_file": None}
    if fake is not None:
        values |= {"telegram_bot_token": fake.token, "telegram_api_base_url": fake.base_url}
    return load_settings(**(values | extra))


@contextlib.asynccontextmanager
async def running_bot(db_url: str, fake: FakeTelegram, *, polling: bool = True, clock: Clock | None = None,
                      **extra: Any) -> AsyncIterator[Container]:
    container = Container(settings_for(db_url, fake, **extra), clock=clock)
    try:
        await container.start_channels()
        container.start_workers()
        if polling:
            container.start_polling()
        yield container
    finally:
        await container.stop()


def fake_telegram() -> FakeTelegram:
    """`async with fake_telegram() as tg`: a Bot API server of the test's own, stopped at the end."""
    return FakeTelegram()
