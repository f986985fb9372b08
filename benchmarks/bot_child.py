"""The application under test, in its own process, built only from its public entry points.

`python -m benchmarks.bot_child API_URL TOKEN DATABASE_URL [--serve PORT] [--pacing lifted|shipped|xK]
[--profile FILE] [--setting NAME=VALUE ...]` builds the Container, starts its channels and workers and then either long-polls the Bot
API (as `tiepdan run`) or serves `Container.web_app()` with the Telegram webhook on PORT (as `tiepdan serve`),
until SIGTERM. It prints "ready" once it takes work, and its CPU and memory as the last JSON line on stdout.

Pacing: `lifted` removes Telegram's sending limits (the figures are then our cost, not the platform's
allowance), `shipped` keeps them, `xK` multiplies every rate by K (a time-scaled fan-out).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import signal
from dataclasses import replace
from pathlib import Path

from aiohttp import web

from benchmarks.proc import cpu_seconds, report, rss_kb
from bot.config import load_settings
from bot.container import Container
from bot.logs import setup_logging

UNLIMITED = 1e9
WEBHOOK_SECRET = "bench-webhook-secret-0123456789"


def pace(container: Container, pacing: str) -> None:
    telegram = container.telegram
    assert telegram is not None
    rules = telegram.rules
    if pacing == "lifted":
        telegram.rules = replace(rules, overall_per_second=UNLIMITED, chat_burst=int(UNLIMITED),
                                 chat_per_second=UNLIMITED)
    elif pacing.startswith("x"):
        k = float(pacing[1:])
        telegram.rules = replace(rules, overall_per_second=rules.overall_per_second * k,
                                 chat_per_second=rules.chat_per_second * k)


async def main(opts: argparse.Namespace) -> None:
    extra: dict[str, object] = {"webhook_secret": WEBHOOK_SECRET} if opts.serve else {}
    extra |= dict(item.split("=", 1) for item in opts.setting)  # e.g. zalo_bot_token=..., zalo_api_base_url=...
    settings = load_settings(database_url=opts.database_url, telegram_bot_token=opts.token,
                             telegram_api_base_url=opts.api, log_level="WARNING", _env_file=None, **extra)
    setup_logging(settings.log_level, settings.secrets())
    container = Container(settings)
    pace(container, opts.pacing)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    runner: web.AppRunner | None = None
    try:
        await container.start_channels()
        started = rss_kb()
        cpu_start = cpu_seconds()
        container.start_workers()
        container.start_ticker()  # as `tiepdan run` and `serve` do: the catch-up jobs run beside the traffic
        if opts.serve:
            runner = web.AppRunner(container.web_app(), access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", opts.serve).start()
        else:
            container.start_polling()
        print("ready", flush=True)
        await stop.wait()
        cpu = cpu_seconds() - cpu_start
    finally:
        if runner is not None:
            await runner.cleanup()
        await container.stop()
    report(rss_start_kb=started, cpu_s=cpu)


def profiled(opts: argparse.Namespace) -> None:
    profile = cProfile.Profile()
    profile.enable()
    try:
        asyncio.run(main(opts))
    finally:
        profile.disable()
        out = io.StringIO()
        out.write(f"cProfile of the bot (pacing {opts.pacing}, {'webhook' if opts.serve else 'polling'}) "
                  "from start to SIGTERM; main thread only (aiosqlite's worker thread is not seen; time the "
                  "loop spends waiting on it shows under select/epoll).\n\n")
        for order in ("cumulative", "tottime"):
            out.write(f"=== top 30 by {order} ===\n")
            pstats.Stats(profile, stream=out).sort_stats(order).print_stats(30)
        Path(opts.profile).write_text(out.getvalue())
        profile.dump_stats(Path(opts.profile).with_suffix(".prof"))  # for pstats or snakeviz: callers, callees


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("api")
    parser.add_argument("token")
    parser.add_argument("database_url")
    parser.add_argument("--serve", type=int, default=0, help="serve the webhook on this port instead of polling")
    parser.add_argument("--pacing", default="lifted")
    parser.add_argument("--profile", default="", help="write a cProfile summary to this file")
    parser.add_argument("--setting", action="append", default=[], help="another setting, NAME=VALUE")
    args = parser.parse_args()
    if args.profile:
        profiled(args)
    else:
        asyncio.run(main(args))
