"""Webhook latency: updates POSTed at a steady rate to the served application, as Telegram delivers them.

The bot runs as `tiepdan serve` does (Container.web_app() on aiohttp, WEBHOOK_SECRET checked), replying
through the fake Bot API. Each update is a /help from a chat of its own (one reply each), sent on a fixed
schedule whatever the bot's speed (an open loop, as real traffic is). Latency is from the POST leaving to
the reply reaching the fake server; a reply that never came within the drain time counts as infinitely late.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from benchmarks.bot_child import WEBHOOK_SECRET
from benchmarks.common import TOKEN, Figure, bot_child, free_port, percentile
from benchmarks.fake_api import FakeBotApi

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
FIRST_CHAT = 820_000_000


@dataclass
class WebhookResult:
    rate: float
    seconds: float
    posted: int = 0
    refused: int = 0  # POSTs not answered 200
    latencies: list[float] = field(default_factory=list)  # seconds; inf where no reply came
    acks: list[float] = field(default_factory=list)  # POST -> 200
    cpu_s: float = 0.0
    peak_rss_kb: int = 0


async def run_webhook(database_url: str, log: Path, *, rate: float, seconds: float, drain: float) -> WebhookResult:
    api = await FakeBotApi(TOKEN).start()
    port = free_port()
    result = WebhookResult(rate, seconds)
    posted_at: dict[int, float] = {}
    try:
        async with bot_child(api.base_url, database_url, log, serve=port) as child, \
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as http:
            url = f"http://127.0.0.1:{port}/telegram/webhook"
            headers = {SECRET_HEADER: WEBHOOK_SECRET}
            cpu_before = child.cpu()

            async def post(chat: int) -> None:
                update = api.text_update(chat, "/help")
                started = time.perf_counter()
                posted_at[chat] = started
                try:
                    async with http.post(url, json=update, headers=headers) as response:
                        await response.read()
                        ok = response.status == 200
                except aiohttp.ClientError:
                    ok = False
                result.acks.append(time.perf_counter() - started)
                if not ok:
                    result.refused += 1

            total = int(rate * seconds)
            api.expect_sends(total)
            t0 = time.perf_counter()
            tasks = []
            for i in range(total):
                delay = t0 + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(post(FIRST_CHAT + i)))
                if i % 50 == 0:
                    child.sample_rss()
            await asyncio.gather(*tasks)
            result.posted = total
            await api.sent_all(drain)
            result.cpu_s = child.cpu() - cpu_before
        result.peak_rss_kb = child.peak_rss_kb
    finally:
        await api.stop()
    for chat, at in posted_at.items():
        log_ = api.chats.get(chat)
        replied = log_.first_reply_at if log_ is not None else None
        result.latencies.append(replied - at if replied is not None else math.inf)
    return result


def figures(result: WebhookResult, backend: str) -> list[Figure]:
    ms = [1000 * x for x in result.latencies]
    answered = sum(1 for x in result.latencies if math.isfinite(x))
    note = f"{result.rate:.0f}/s for {result.seconds:.0f} s; {answered}/{result.posted} answered"
    if result.refused:
        note += f"; {result.refused} POSTs refused"
    return [
        Figure("webhook", backend, "reply p50", percentile(ms, 50), "ms", note=note),
        Figure("webhook", backend, "reply p99", percentile(ms, 99), "ms", 50, "lower", note),
        Figure("webhook", backend, "POST ack p99", percentile([1000 * x for x in result.acks], 99), "ms"),
        Figure("webhook", backend, "CPU per update", 1000 * result.cpu_s / max(1, result.posted), "ms"),
        Figure("webhook", backend, "peak RSS", result.peak_rss_kb / 1024, "MB"),
    ]
