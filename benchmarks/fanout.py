"""Fan-out: one message to many recipients, with Telegram's pacing as shipped, against a server enforcing it.

The message is queued for every recipient at once (one outbox row each, as a notice to many is written), then
the bot starts and its dispatcher sends them. The fake Bot API answers 429 beyond its overall and per-chat
limits. A good sender keeps just under the overall limit and is never refused: the figure is the achieved
rate over the limit, and the count of 429s.

To keep the run short the clock may be scaled by K: the server allows 30K/s overall and K/s per chat, and the
channel's rules are multiplied by K likewise (the ratio is what matters).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.common import TOKEN, Figure, bot_child
from benchmarks.fake_api import FakeBotApi, Limits
from bot.channels.model import Outbound
from storage.models import OutboxItem
from storage.uow import Database

OVERALL, PER_CHAT = 30.0, 1.0  # Telegram's limits
FIRST_CHAT = 840_000_000
TEXT = "Thông báo: ngày mai 7:00-11:00 cắt nước khu dân cư Tiền Định để sửa đường ống."


@dataclass
class FanoutResult:
    recipients: int
    scale: float
    sent: int = 0
    refused: int = 0
    seconds: float = 0.0
    complete: bool = False

    @property
    def limit(self) -> float:
        return OVERALL * self.scale

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds > 0 else float("nan")


async def queue(database_url: str, recipients: int) -> None:
    db = Database(database_url)
    now = datetime.now(UTC) - timedelta(seconds=1)
    payload = Outbound(TEXT).to_json()
    rows = [{"channel": "telegram", "chat_id": str(FIRST_CHAT + i), "payload": payload, "purpose": "notice",
             "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}
            for i in range(recipients)]
    try:
        async with db.engine.begin() as conn:
            await conn.execute(OutboxItem.__table__.insert(), rows)
    finally:
        await db.dispose()


async def run_fanout(database_url: str, log: Path, *, recipients: int, scale: float, allowed: float) -> FanoutResult:
    await queue(database_url, recipients)
    api = await FakeBotApi(TOKEN, limits=Limits(OVERALL * scale, PER_CHAT * scale)).start()
    result = FanoutResult(recipients, scale)
    try:
        api.expect_sends(recipients)
        async with bot_child(api.base_url, database_url, log, pacing=f"x{scale:g}"):
            result.complete = await api.sent_all(allowed)
        result.sent, result.refused = api.sends, api.refused
        if api.first_send is not None and api.last_send is not None:
            result.seconds = api.last_send - api.first_send
    finally:
        await api.stop()
    return result


def figures(result: FanoutResult, backend: str) -> list[Figure]:
    scaled = f" (time x{result.scale:g}: {result.limit:g}/s overall, {PER_CHAT * result.scale:g}/s a chat)"
    note = f"{result.sent}/{result.recipients} sent in {result.seconds:.1f} s{scaled if result.scale != 1 else ''}"
    return [
        Figure("fanout", backend, "rate / limit", result.rate / result.limit, "", 0.95, "higher", note),
        Figure("fanout", backend, "429 answers", result.refused, "", 0, "equal"),
    ]
