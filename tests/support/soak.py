"""Bad-day drills against real processes: a strict fake Bot API, citizens, the processes, and the audit.

`StrictTelegram` is the fake Bot API plus what a bad day needs: Telegram's sending limits enforced (429
beyond them, counted), scripted random faults (429, 500, and "timeouts": the connection dropped with no
answer, after the message was delivered or not), and a timestamp on every delivery. `Citizens` walk the
citizen journey of tests/channels/test_crash_safety.py, through long polling or the webhook (retried on
failure as Telegram does, optionally delivered twice). `audit` compares the database with what the fake
received: cases, losses, duplicates, per-chat order. `FIGURES` collects one row per drill for the table
printed at the end of the run (tests/engine/conftest.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import func, select

from bot.channels.ratelimit import ChatBuckets, TokenBucket
from storage.models import Case, InboxItem, OutboxItem
from storage.uow import Database
from tests.support.fake_telegram import FakeTelegram, _error
from tests.support.live_app import free_port

ROOT = Path(__file__).resolve().parents[2]
JOURNEY = ["/start", "1", "/report", "Đèn đường hỏng cả tuần nay ở ngõ 5 phố Lê Lợi.", "2", "sao do", "khong ro",
           "1", "không", "gui", "/my"]
RECEIPT = "Đã tiếp nhận phản ánh của bạn.\nMã theo dõi: PA-"
WEBHOOK_SECRET = "soak-webhook-secret-1"
WEB_SECRET = "soak-web-secret-0123456789-abcdefghijklmnop"
# How much of the sizes a run uses (1.0 = the 500 / 2,000 / 1,000 conversations).
SCALE = float(os.environ.get("TIEPDAN_SOAK_SCALE", "0.015"))
# How many times faster than real the platform's clock runs: the fake enforces Telegram's limits times this,
# the bot paces itself the same (TIEPDAN_DRILL_TIME_SCALE, bot/faults.py), citizens think this much faster.
TIME_SCALE = float(os.environ.get("TIEPDAN_DRILL_TIME_SCALE", "1"))


def scaled(full: int, least: int = 4) -> int:
    return max(least, round(full * SCALE))


# --- the strict fake Bot API ----------------------------------------------------------------------------


@dataclass
class StrictTelegram(FakeTelegram):
    """Telegram's limits enforced (30/s overall, 1/s per chat after a burst of 3) and random faults."""

    overall_per_second: float | None = None
    chat_per_second: float = 1.0 * TIME_SCALE
    chat_burst: float = 3.0
    fault_ratio: float = 0.0
    seed: int = 9

    def __post_init__(self) -> None:
        super().__post_init__()
        self.rng = random.Random(self.seed)
        self.rate_limited = 0  # 429s the bot earned by going too fast
        self.limited_by: dict[str, int] = defaultdict(int)  # which limit: "overall" or "chat"
        self.injected: dict[str, int] = defaultdict(int)  # scripted faults by kind
        self.hidden_successes = 0  # delivered, but the bot never heard so
        self._chat_events: dict[int, asyncio.Event] = defaultdict(asyncio.Event)
        self._overall_bucket: TokenBucket | None = None
        self._chat_buckets: ChatBuckets | None = None

    def enforce(self, overall_per_second: float) -> None:
        # A little slack over the bot's own buckets: arrivals bunch up by a few ms on the way.
        self.overall_per_second = overall_per_second
        self._overall_bucket = TokenBucket(overall_per_second, overall_per_second + 2)
        self._chat_buckets = ChatBuckets(self.chat_per_second, self.chat_burst + 1)

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if not method.startswith("send") or request.match_info["token"] != self.token:
            return await super()._api(request)
        params = await self._params(request)
        self.calls.append((method, params))
        if self.fault_ratio and self.rng.random() < self.fault_ratio:
            kind = self.rng.choice(("429", "500", "timeout"))
            self.injected[kind] += 1
            if kind == "429":
                return _error(429, "Too Many Requests: retry after 1", {"retry_after": 1})
            if kind == "500":
                return _error(500, "Internal Server Error")
            return await self._time_out(request, method, params)
        if self._overall_bucket is not None and self._chat_buckets is not None:
            over = self._overall_bucket.reserve() > 0
            over_chat = self._chat_buckets.reserve(str(params.get("chat_id"))) > 0
            if over or over_chat:
                self.rate_limited += 1
                self.limited_by["overall" if over else "chat"] += 1
                return _error(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        return await getattr(self, f"_m_{method}")(params)

    async def _time_out(self, request: web.Request, method: str, params: dict[str, Any]) -> web.Response:
        """No answer ever reaches the bot; half the time the message was delivered all the same."""
        if self.rng.random() < 0.5:
            await getattr(self, f"_m_{method}")(params)
            self.hidden_successes += 1
        await asyncio.sleep(0.2)
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=504)

    async def _record(self, method: str, params: dict[str, Any], extra: dict[str, Any]) -> web.Response:
        response = await super()._record(method, params, extra)
        self.sent[-1]["at"] = time.monotonic()
        self._chat_events[int(params["chat_id"])].set()
        return response

    def deliveries(self, chat_id: int) -> list[dict[str, Any]]:
        return [m for m in self.sent if m.get("chat_id") == chat_id and "message_id" in m]

    async def answered(self, chat_id: int, after: int, within: float) -> dict[str, Any]:
        """The first delivery to `chat_id` beyond its first `after` ones (bounded wait)."""
        deadline = time.monotonic() + within
        event = self._chat_events[chat_id]
        while True:
            event.clear()
            got = self.deliveries(chat_id)
            if len(got) > after:
                return got[after]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"chat {chat_id}: no answer within {within:.0f} s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)


# --- the processes --------------------------------------------------------------------------------------


@dataclass
class Process:
    mode: str
    env: dict[str, str]
    log: Path
    port: int  # where /readyz answers
    proc: asyncio.subprocess.Process | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> Process:
        self.starts += 1
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = self.log.with_suffix(f".{self.starts}.log").open("wb")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", self.mode, cwd=ROOT, env=self.env, stdout=out, stderr=out,
            stdin=asyncio.subprocess.DEVNULL)
        out.close()
        return self

    async def ready(self, session: aiohttp.ClientSession, within: float = 90.0) -> float:
        """Wait until /readyz answers 200; the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < within:
            assert self.proc is not None and self.proc.returncode is None, self.tail()
            if await readyz(session, self.url) == 200:
                return time.monotonic() - started
            await asyncio.sleep(0.1)
        raise AssertionError(f"{self.mode} never became ready: {self.tail()}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), 15)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()

    async def wait_dead(self) -> None:
        if self.proc is not None:
            await asyncio.wait_for(self.proc.wait(), 15)

    def errors(self) -> list[str]:
        """The ERROR lines every run of this process logged (an outage is a WARNING, once)."""
        lines: list[str] = []
        for path in sorted(self.log.parent.glob(f"{self.log.stem}.*.log")):
            lines += [line for line in path.read_text(errors="replace").splitlines() if " ERROR " in line]
        return lines

    def tail(self) -> str:
        logs = sorted(self.log.parent.glob(f"{self.log.stem}.*.log"))
        return logs[-1].read_text(errors="replace")[-3000:] if logs else ""


def bot_env(db_url: str, tg: FakeTelegram, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIEPDAN_")}
    return env | {
        "DATABASE_URL": db_url, "TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_BASE_URL": tg.base_url,
        "WEB_SECRET": WEB_SECRET, "WEBHOOK_SECRET": WEBHOOK_SECRET, "LOG_LEVEL": "WARNING",
        "HOST": "127.0.0.1", "LEASE_SECONDS": "5", "TIEPDAN_DRILL_TIME_SCALE": str(TIME_SCALE),
    } | extra


def process(mode: str, env: dict[str, str], folder: Path, name: str) -> Process:
    port = free_port()
    key = "WORKER_PORT" if mode == "worker" else "PORT"
    return Process(mode, env | {key: str(port)}, folder / name, port)


async def readyz(session: aiohttp.ClientSession, base: str) -> int | None:
    try:
        async with session.get(f"{base}/readyz", timeout=aiohttp.ClientTimeout(total=5)) as response:
            return response.status
    except (aiohttp.ClientError, TimeoutError):
        return None


class ReadinessLog:
    """/readyz asked again and again: (monotonic time, status) - None when nobody answered."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session, self.base = session, base
        self.samples: list[tuple[float, int | None]] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            self.samples.append((time.monotonic(), await readyz(self.session, self.base)))
            await asyncio.sleep(0.1)

    def __enter__(self) -> ReadinessLog:
        self._task = asyncio.create_task(self._run())
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._task is not None:
            self._task.cancel()

    def during(self, start: float, end: float) -> list[int | None]:
        return [status for at, status in self.samples if start <= at <= end]

    def ready_after(self, moment: float) -> float | None:
        """Seconds from `moment` to the first 200 asked after it."""
        return next((at - moment for at, status in self.samples if at >= moment and status == 200), None)


# --- citizens -------------------------------------------------------------------------------------------


@dataclass
class Citizens:
    """Citizens writing to the bot as people do: each message once the previous one was answered."""

    tg: StrictTelegram
    webhooks: list[str] = field(default_factory=list)  # base URLs of `serve` processes; none: long polling
    twice: float = 0.0  # share of webhook updates Telegram delivers a second time
    seed: int = 9
    latencies: list[float] = field(default_factory=list)
    delivered_twice: int = 0
    webhook_retries: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Citizens:
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def deliver(self, update: dict[str, Any]) -> None:
        if not self.webhooks:
            self.tg.updates.append(update)
            self.tg._new_update.set()
            return
        times = 2 if self.rng.random() < self.twice else 1
        self.delivered_twice += times - 1
        for _ in range(times):
            await self._post(update)

    async def _post(self, update: dict[str, Any]) -> None:
        """As Telegram does: until some webhook answers 200 (bounded), spreading over the servers."""
        assert self._session is not None
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        deadline = time.monotonic() + 120
        attempt = 0
        while True:
            base = self.webhooks[(update["update_id"] + attempt) % len(self.webhooks)]
            try:
                async with self._session.post(f"{base}/telegram/webhook", json=update, headers=headers,
                                              timeout=aiohttp.ClientTimeout(total=10)) as response:
                    if response.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            attempt += 1
            self.webhook_retries += 1
            assert time.monotonic() < deadline, f"no webhook took update {update['update_id']}"
            await asyncio.sleep(min(2.0, 0.1 * attempt))

    async def converse(self, chat: int, messages: list[str] = JOURNEY, *, within: float = 90.0,
                       think: float = 0.0) -> None:
        """Say each message once the one before was answered; `think` seconds between them stand for the
        citizen reading and typing (not a wait for anything: the load's shape). Without it a chat's replies
        queue behind the platform's own pace (1 a second after a burst of 3), and the reply latency measures
        that pace instead of the bot."""
        for index, text in enumerate(messages):
            if index and think:
                await asyncio.sleep(think)
            await self.say(chat, text, within=within)

    async def say(self, chat: int, text: str, *, within: float = 90.0) -> float:
        """Send one message and wait for the first answer; the reply latency in seconds."""
        before = len(self.tg.deliveries(chat))
        sent_at = time.monotonic()
        await self.deliver(self.tg.message(chat, text=text))
        reply = await self.tg.answered(chat, before, within)
        latency = reply["at"] - sent_at
        self.latencies.append(latency)
        return latency

    @property
    def median_latency(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("nan")


async def until(check: Any, within: float, what: str) -> None:
    """Bounded polling of a condition on what the test can see (the fake's deliveries, a sampler)."""
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"{what} did not happen within {within:.0f} s"
        await asyncio.sleep(0.1)


async def everyone(coros: list[Any], limit: int = 200) -> None:
    """Run the citizens together (at most `limit` at a time); the first failure fails the drill."""
    slots = asyncio.Semaphore(limit)

    async def one(coro: Any) -> None:
        async with slots:
            await coro

    await asyncio.gather(*(one(c) for c in coros))


# --- the audit ------------------------------------------------------------------------------------------


@dataclass
class Audit:
    cases: int
    inbox: dict[str, int]
    outbox: dict[str, int]
    deliveries: int
    duplicates: int
    losses: int
    out_of_order: int
    receipts: dict[int, int]
    repeated: list[str] = field(default_factory=list)  # what went twice, for the failure message


async def settle(db_url: str, within: float = 120.0) -> None:
    """Until no inbox row is new and no outbox row pending, twice in a row (bounded polling)."""
    db = Database(db_url)
    quiet = 0
    try:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            try:
                async with db.unit_of_work(readonly=True) as uow:
                    s = uow.session
                    new = (await s.execute(select(func.count(InboxItem.id))
                                           .where(InboxItem.status == "new"))).scalar_one()
                    pending = (await s.execute(select(func.count(OutboxItem.id))
                                               .where(OutboxItem.status == "pending"))).scalar_one()
            except Exception:  # the drill may still have the database down
                new = pending = 1
            quiet = quiet + 1 if new == 0 and pending == 0 else 0
            if quiet >= 3:
                return
            await asyncio.sleep(0.3)
        raise AssertionError(f"work still waiting after {within:.0f} s: {new} new inbox, {pending} pending outbox")
    finally:
        await db.dispose()


async def audit(db_url: str, tg: StrictTelegram) -> Audit:
    db = Database(db_url)
    try:
        async with db.unit_of_work(readonly=True) as uow:
            s = uow.session
            cases = (await s.execute(select(func.count(Case.id)))).scalar_one()
            inbox_rows = (await s.execute(select(InboxItem.status, func.count()).group_by(InboxItem.status))).all()
            rows = (await s.execute(select(OutboxItem).where(OutboxItem.channel == "telegram")
                                    .order_by(OutboxItem.id))).scalars().all()
            other = (await s.execute(select(OutboxItem.status, func.count()).where(OutboxItem.channel != "telegram")
                                     .group_by(OutboxItem.status))).all()
    finally:
        await db.dispose()
    outbox_status: dict[str, int] = defaultdict(int)
    first_row: dict[str, int] = {}  # platform message id -> the first outbox row it carried
    losses = 0
    fake = {str(m["message_id"]): m for m in tg.sent if "message_id" in m}
    for row in rows:
        outbox_status[row.status] += 1
        if row.status == "sent":
            if row.platform_message_id not in fake:
                losses += 1
            first_row.setdefault(row.platform_message_id, row.id)
        elif row.status != "failed":
            losses += 1
    for status, count in other:
        outbox_status[f"{status} (other channels)"] += count
    duplicates, out_of_order = 0, 0
    by_chat: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for message in fake.values():
        by_chat[message["chat_id"]].append(message)
    receipts: dict[int, int] = {}
    repeated: list[str] = []
    for chat, messages in by_chat.items():
        messages.sort(key=lambda m: m["at"])
        known = {m.get("text") for m in messages if str(m["message_id"]) in first_row}
        order = [first_row[str(m["message_id"])] for m in messages if str(m["message_id"]) in first_row]
        out_of_order += sum(1 for a, b in zip(order, order[1:], strict=False) if b < a)
        twice = [m for m in messages if str(m["message_id"]) not in first_row and m.get("text") in known]
        duplicates += len(twice)
        repeated += [f"{chat}@{m['at']:.1f}: {str(m.get('text'))[:40]!r}" for m in twice]
        receipts[chat] = sum(1 for m in messages if RECEIPT in (m.get("text") or ""))
    return Audit(cases, dict(inbox_rows), dict(outbox_status), len(fake), duplicates, losses, out_of_order,
                 receipts, repeated)


# --- the table ------------------------------------------------------------------------------------------

FIGURES: list[dict[str, Any]] = []


def record(drill: str, backend: str, result: Audit, elapsed: float, **extra: Any) -> None:
    row = {"drill": drill, "backend": backend, "cases": result.cases, "deliveries": result.deliveries,
           "duplicates": result.duplicates, "losses": result.losses, "elapsed_s": round(elapsed, 1), **extra}
    FIGURES.append(row)
    print(f"\n[soak] {row}", flush=True)


def table() -> str:
    if not FIGURES:
        return ""
    columns: list[str] = []
    for row in FIGURES:
        columns += [k for k in row if k not in columns]
    cells = [[str(row.get(c, "")) for c in columns] for row in FIGURES]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)
