"""The floor: python-telegram-bot alone, an Application whose one handler echoes each text back.

`python -m benchmarks.echo_bot API_URL TOKEN --concurrency K` polls until SIGTERM, then reports its memory.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from benchmarks.proc import cpu_seconds, report, rss_kb, trimmed_rss_kb


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text:
        await message.reply_text(message.text)


async def main(api: str, token: str, concurrency: int) -> None:
    app = (
        ApplicationBuilder().token(token).base_url(f"{api}/bot").base_file_url(f"{api}/file/bot")
        .concurrent_updates(concurrency).build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with app:
        started = rss_kb()
        cpu_start = cpu_seconds()
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        await stop.wait()
        cpu = cpu_seconds() - cpu_start
        trimmed = trimmed_rss_kb()  # still running: the live part of what it holds
        await app.updater.stop()
        await app.stop()
    report(rss_start_kb=started, cpu_s=cpu, rss_trimmed_kb=trimmed)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("api")
    parser.add_argument("token")
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(args.api, args.token, args.concurrency))
