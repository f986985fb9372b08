"""The crowd: N citizens, K at a time, each filing one full report through the real Telegram adapter.

Each citizen is a chat on the fake Bot API. A step is one message (or button press) and the bot's answer to it;
the citizen sends the next only when the whole answer has arrived. Step latency is from the update being
offered to the bot (queued for getUpdates) to the first message of the answer reaching the fake server.

The journey, 8 steps (the words name the place, so no place question; the photo is the evidence):
/start, "I agree", a description naming the place, "report" (the kind), the category, a photo, "done"
(typed by the reply keyboard's button: no more evidence), "send" (the receipt).
"""

from __future__ import annotations

import asyncio
import io
import time
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from benchmarks.common import TOKEN, Child, Figure, bot_child, count_rows, percentile
from benchmarks.fake_api import FakeBotApi

DESCRIPTION = "Cống vỡ nắp ở khu dân cư Tiền Định, xe máy sập bánh"
CATEGORY = "duong_sa"
NO_MORE = "Không có, tiếp tục"  # the evidence question's button
DONE = "Xong, tiếp tục"  # the same button once a photo is in
FIRST_CHAT = 810_000_000


@dataclass(frozen=True)
class Step:
    action: str  # say | press | photo
    value: str
    replies: int  # messages the whole answer has
    needs: str = ""  # a button the answer must offer, checked (a wrong turn would measure another journey)


JOURNEY = (
    Step("say", "/start", 2, "agree"),
    Step("press", "agree", 2),
    Step("say", DESCRIPTION, 1, "report"),
    Step("press", "report", 1, CATEGORY),
    Step("press", CATEGORY, 1, NO_MORE),
    Step("photo", "", 1, DONE),
    Step("say", DONE, 1, "send"),  # a reply keyboard's button: pressing it sends its label
    Step("press", "send", 2),
)


def small_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


@dataclass
class CrowdResult:
    citizens: int
    completed: int = 0
    steps: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cpu_s: float = 0.0
    peak_rss_kb: int = 0
    cases: int | None = None
    replies: int = 0


async def citizen(api: FakeBotApi, chat_id: int, photo: bytes, result: CrowdResult, step_timeout: float,
                  deadline: float) -> None:
    def within() -> float:
        return max(0.0, min(step_timeout, deadline - time.perf_counter()))

    seen = 0
    for step in JOURNEY:
        if step.action == "say":
            update = api.text_update(chat_id, step.value)
        elif step.action == "press":
            update = api.press_update(chat_id, step.value)
        else:
            update = api.photo_update(chat_id, photo)
        sent = time.perf_counter()
        api.push(update)
        log = await api.replies(chat_id, seen + 1, within())
        result.latencies.append(time.perf_counter() - sent)
        seen += step.replies
        await api.replies(chat_id, seen, within())
        result.steps += 1
        if step.needs and step.needs not in log.buttons:
            raise RuntimeError(f"step {step.value!r}: no {step.needs!r} among {log.buttons} "
                               f"({log.texts[-1:] if log.texts else ''})")
    result.completed += 1


async def drive(api: FakeBotApi, citizens: int, concurrency: int, step_timeout: float,
                deadline: float) -> CrowdResult:
    """Run the crowd against a bot already polling `api`; stop waiting at `deadline` (perf_counter)."""
    result = CrowdResult(citizens)
    photo = small_jpeg()
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int) -> None:
        async with gate:
            if time.perf_counter() > deadline:
                return
            try:
                await citizen(api, FIRST_CHAT + n, photo, result, step_timeout, deadline)
            except (TimeoutError, RuntimeError) as exc:
                result.errors.append(str(exc))

    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(citizens)))
    result.seconds = time.perf_counter() - started
    return result


async def run_crowd(database_url: str, log: Path, *, citizens: int, concurrency: int, allowed: float,
                    profile: Path | None = None) -> CrowdResult:
    api = await FakeBotApi(TOKEN, keep_texts=True).start()
    try:
        async with bot_child(api.base_url, database_url, log, profile=profile) as child:
            cpu_before = child.cpu()
            sampler = asyncio.create_task(_sample(child))
            result = await drive(api, citizens, concurrency, step_timeout=60.0,
                                 deadline=time.perf_counter() + allowed)
            result.cpu_s = child.cpu() - cpu_before
            result.replies = api.sends
            sampler.cancel()
        result.peak_rss_kb = child.peak_rss_kb
    finally:
        await api.stop()
    result.cases = await count_rows(database_url, "cases")
    return result


async def _sample(child: Child) -> None:
    while True:
        child.sample_rss()
        await asyncio.sleep(0.25)


def figures(result: CrowdResult, backend: str) -> list[Figure]:
    seconds = result.seconds or float("nan")
    steps = max(1, result.steps)
    ms = [1000 * x for x in result.latencies]
    note = "" if result.completed == result.citizens else f"{result.completed}/{result.citizens} citizens done"
    if result.errors:
        note += f" ({len(result.errors)} cut short; first: {result.errors[0][:80]})"
    return [
        Figure("crowd", backend, "cases/s", result.completed / seconds, "", 45, "higher", note),
        Figure("crowd", backend, "steps/s", result.steps / seconds, "", 270, "higher"),
        Figure("crowd", backend, "step p50", percentile(ms, 50), "ms", 100, "lower"),
        Figure("crowd", backend, "step p95", percentile(ms, 95), "ms"),
        Figure("crowd", backend, "step p99", percentile(ms, 99), "ms", 500, "lower"),
        Figure("crowd", backend, "CPU per step", 1000 * result.cpu_s / steps, "ms", 5, "lower"),
        Figure("crowd", backend, "peak RSS", result.peak_rss_kb / 1024, "MB"),
        Figure("crowd", backend, "cases in the database", result.cases, "", result.citizens, "equal",
               f"expected exactly {result.citizens}" if result.cases != result.citizens else ""),
    ]

