"""The long-running modes: polling (`run`), webhook (`serve`) and `worker`."""

from __future__ import annotations

import asyncio
import logging
import sys

from aiohttp import web

from bot.channel_table import has_messenger
from bot.config import ROOT, Settings, dev_web_secret
from bot.container import Container
from bot.web.app import SafeAccessLog

log = logging.getLogger("tiepdan")
DEMO_ORG = ROOT / "org" / "demo.yaml"


async def run(mode: str, settings: Settings) -> int:
    from bot.__main__ import install_stop_signals

    settings, refusal = web_settings(mode, settings)
    if refusal is not None:
        print(refusal, file=sys.stderr)
        return 2
    stop = asyncio.Event()
    install_stop_signals(stop)
    container = Container(settings, mode=mode)
    runner: web.AppRunner | None = None
    try:
        await container.start_channels()
        container.start_workers()
        container.start_ticker()
        if mode == "run":
            container.start_polling()
        if mode in ("run", "serve"):
            runner = web.AppRunner(container.web_app(), access_log_class=SafeAccessLog)  # no IPs, no queries
            await runner.setup()
            await web.TCPSite(runner, settings.host, settings.port).start()
            log.info("listening on http://%s:%d", settings.host, settings.port)
            if mode == "run":
                print(_started(settings, chat_url(settings.host, runner.addresses)), flush=True)
            if mode == "serve":
                await container.point_webhooks()
        else:  # a worker answers only /healthz, /readyz and /metrics, on its own port
            runner = web.AppRunner(container.health_app(), access_log=None)
            await runner.setup()
            await web.TCPSite(runner, settings.host, settings.worker_port).start()
            log.info("health and metrics on http://%s:%d", settings.host, settings.worker_port)
        log.info("running (%s) with channels: %s", mode, ", ".join(c.name for c in container.channels) or "none")
        await stop.wait()
        return 0
    finally:
        if runner is not None:
            await runner.cleanup()
        await container.stop()


def web_settings(mode: str, settings: Settings) -> tuple[Settings, str | None]:
    """The web chat's secret and demo mode for this mode, or the one-line reason it cannot start.

    `run` (a developer's machine) makes a signing secret in var/ when WEB_SECRET is unset, and turns demo mode
    on when no messenger token is set and the demo organisation is the one configured. `serve` (production)
    needs a real WEB_SECRET and never runs in demo mode.
    """
    if mode == "serve":
        if settings.demo:
            return settings, "configuration error: DEMO: demo mode is only for `tiepdan run`, never for serve"
        if settings.web_secret is None:
            return settings, ("configuration error: WEB_SECRET: required for `tiepdan serve` (it signs the web "
                              "chat's cookies); make one with: python3 -c 'import secrets; "
                              "print(secrets.token_urlsafe(32))'")
        return settings, None
    if mode != "run":
        return settings, None
    update: dict[str, object] = {}
    if settings.web_secret is None:
        update["web_secret"] = dev_web_secret()
    if not has_messenger(settings) and settings.org_file.resolve() == DEMO_ORG.resolve():
        update["demo"] = True
    return settings.model_copy(update=update), None


def chat_url(host: str, addresses: list[object]) -> str:
    """The address to open: the port actually bound (PORT=0 picks a free one), a browsable host."""
    port = next((a[1] for a in addresses if isinstance(a, tuple) and len(a) >= 2), 8080)
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else "[::1]" if host == "::" else host
    return f"http://{shown}:{port}/chat"


def _started(settings: Settings, url: str) -> str:
    lines = [f"Web chat: {url}", f"Case tracking: {url.removesuffix('/chat')}/track"]
    if settings.demo:
        lines.append("Demo mode: the demo organisation is loaded; the page lets you act as a demo official.")
    if not has_messenger(settings):
        lines.append(NO_MESSENGER)
    return "\n".join(lines)


NO_MESSENGER = """No messenger token is configured, so only the web chat runs. To add a messenger, set (in the environment
or in .env) and start again:
  TELEGRAM_BOT_TOKEN=123456:ABC...        a bot token from @BotFather (long polling with `make run`)
  ZALO_BOT_TOKEN=...                      a Zalo Bot API token (polling with `make run`)
  WEBHOOK_URL=https://... WEBHOOK_SECRET=...  for webhook mode (`tiepdan serve`, which also needs WEB_SECRET)"""
