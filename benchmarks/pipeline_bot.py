"""Our whole pipeline: long polling -> inbox -> consumer -> flow -> outbox -> dispatcher -> Bot API.

`python -m benchmarks.pipeline_bot API_URL TOKEN DATABASE_URL [--strict-pacing]` runs the real Container
until SIGTERM, then reports its memory. By default Telegram's sending limits (30 messages a second overall;
per chat a burst of 3, then 1 a second) are lifted: with them the figure would be the limit, not our cost.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from dataclasses import replace

from benchmarks.proc import cpu_seconds, report, rss_kb, trimmed_rss_kb
from bot.config import load_settings
from bot.container import Container
from bot.logs import setup_logging

UNLIMITED = 1e9


async def main(api: str, token: str, database_url: str, strict_pacing: bool) -> None:
    settings = load_settings(database_url=database_url, telegram_bot_token=token, telegram_api_base_url=api,
                             log_level="WARNING", _env_file=None)
    setup_logging(settings.log_level, settings.secrets())
    container = Container(settings)
    telegram = container.telegram
    assert telegram is not None
    if not strict_pacing:
        telegram.rules = replace(telegram.rules, overall_per_second=UNLIMITED, chat_burst=int(UNLIMITED),
                                 chat_per_second=UNLIMITED)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await container.start_channels()
        started = rss_kb()
        cpu_start = cpu_seconds()
        container.start_workers()
        container.start_polling()
        await stop.wait()
        cpu = cpu_seconds() - cpu_start
        trimmed = trimmed_rss_kb()  # still running: the live part of what it holds
    finally:
        await container.stop()
    report(rss_start_kb=started, cpu_s=cpu, rss_trimmed_kb=trimmed)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("api")
    parser.add_argument("token")
    parser.add_argument("database_url")
    parser.add_argument("--strict-pacing", action="store_true", help="keep Telegram's sending limits")
    args = parser.parse_args()
    asyncio.run(main(args.api, args.token, args.database_url, args.strict_pacing))
