"""The long-running modes: polling (`run`), webhook (`serve`) and `worker`."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.config import Settings
from bot.container import Container

log = logging.getLogger("tiepdan")


async def run(mode: str, settings: Settings) -> int:
    from bot.__main__ import install_stop_signals

    stop = asyncio.Event()
    install_stop_signals(stop)
    container = Container(settings)
    runner: web.AppRunner | None = None
    try:
        if mode in ("run", "serve") and not list(container.channels):
            print(NO_CHANNEL)
        await container.start_channels()
        container.start_workers()
        if mode == "run":
            container.start_polling()
        if mode in ("run", "serve"):
            runner = web.AppRunner(container.web_app())
            await runner.setup()
            await web.TCPSite(runner, settings.host, settings.port).start()
            log.info("listening on http://%s:%d", settings.host, settings.port)
            if mode == "serve":
                await _set_webhooks(container, settings)
        log.info("running (%s) with channels: %s", mode, ", ".join(c.name for c in container.channels) or "none")
        await stop.wait()
        return 0
    finally:
        if runner is not None:
            await runner.cleanup()
        await container.stop()


async def _set_webhooks(container: Container, settings: Settings) -> None:
    if container.telegram is not None and settings.webhook_url and settings.webhook_secret:
        await container.telegram.bot.set_webhook(
            url=f"{settings.webhook_url.rstrip('/')}/telegram/webhook",
            secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=["message", "callback_query"],
        )


NO_CHANNEL = """No messenger is configured. Set one of these (in the environment or in .env) and start again:
  TELEGRAM_BOT_TOKEN=123456:ABC...        a bot token from @BotFather (long polling with `make run`)
  TELEGRAM_API_BASE_URL=http://host:port  optional: a local or self-hosted Bot API server
  WEBHOOK_URL=https://... WEBHOOK_SECRET=...  for webhook mode (`tiepdan serve`)
The health check is served meanwhile."""
