"""An announcement to followers over Telegram, Zalo and the web chat, against the local fake servers, with the
real sender obeying each platform's rules: each copy delivered once or held by rule (Zalo's 48 h window),
none twice, /stop respected, failures counted, and the sender's summary figures exact.

The acceptance figure is 2,000 followers (`slow`); the everyday run uses 150 with the same proportions.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.faults import drill_time_scale
from bot.services.announcements import settle_announcements
from bot.services.following import ANNOUNCEMENTS
from storage.models import (
    AnnouncementRecipient,
    ChannelIdentity,
    Citizen,
    Consent,
    OutboxItem,
    Subscription,
    WebMessage,
)
from storage.uow import Database
from tests.officials.world import World
from tests.support.fake_telegram import Fault
from tests.support.fake_zalo_bot import FakeZaloBot
from tests.support.harness import fake_telegram, running_bot

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 3, 3, 9, 0, tzinfo=VN).astimezone(UTC)  # a working Tuesday
SENDER_CHAT = 990001
TEXT = "Thứ Ba 10/3 cắt nước phường Sao Đỏ từ 8:00 đến 16:00 để sửa đường ống."


@dataclass
class Crowd:
    telegram: list[str]
    zalo_open: list[str]  # wrote within the last 48 h: the window is open
    zalo_closed: list[str]  # wrote 3 days ago: held until they write again
    web: list[str]
    stopped: list[str]  # followed, then /stop
    elsewhere: list[str]  # follow another ward


async def _crowd(db: Database, total: int) -> Crowd:
    """`total` followers of Sao Đỏ (and a few of Phả Lại), as the engine leaves them after /follow."""
    shares = {"telegram": 0.4, "zalo_open": 0.2, "zalo_closed": 0.1, "web": 0.25, "stopped": 0.02}
    sizes = {k: int(total * v) for k, v in shares.items()}
    sizes["elsewhere"] = total - sum(sizes.values())
    crowd = Crowd(**{k: [] for k in sizes})
    async with db.unit_of_work() as uow:
        s = uow.session
        n = 0
        for group, size in sizes.items():
            for _ in range(size):
                n += 1
                channel = {"telegram": "telegram", "stopped": "telegram", "elsewhere": "telegram",
                           "web": "web"}.get(group, "zalo")
                chat = str(200000 + n) if channel == "telegram" else f"{channel}-{n}"
                wrote = NOW - (timedelta(days=3) if group == "zalo_closed" else timedelta(hours=2))
                citizen = Citizen(pseudonym=f"ND-{n:06d}", language="vi", created_at=NOW - timedelta(days=5))
                s.add(citizen)
                await s.flush()
                identity = ChannelIdentity(channel=channel, external_id=chat, chat_id=chat, citizen_id=citizen.id,
                                           last_inbound_at=wrote, replies_since_inbound=0,
                                           created_at=NOW - timedelta(days=5))
                s.add(identity)
                await s.flush()
                s.add_all([
                    Consent(citizen_id=citizen.id, purpose="processing", notice_version="2026-01",
                            granted_at=NOW - timedelta(days=5)),
                    Consent(citizen_id=citizen.id, purpose=ANNOUNCEMENTS, notice_version="2026-01",
                            granted_at=NOW - timedelta(days=5)),
                    Subscription(identity_id=identity.id, citizen_id=citizen.id, topics=[], active=True,
                                 area_code="PHALAI" if group == "elsewhere" else "SAODO",
                                 notice_version="2026-01", started_at=NOW - timedelta(days=5)),
                ])
                getattr(crowd, group).append(chat)
        await uow.commit()
    return crowd


async def _settled(db: Database, clock: FakeClock, within: float) -> None:
    """Wait until no announcement copy is pending, then run the catch-up job that settles it."""
    deadline = time.monotonic() + within
    while True:
        async with db.unit_of_work(readonly=True) as uow:
            pending = (await uow.session.execute(
                select(func.count()).select_from(OutboxItem).where(
                    OutboxItem.purpose == "announcement", OutboxItem.status == "pending"))).scalar_one()
        if pending == 0:
            break
        assert time.monotonic() < deadline, f"{pending} copies still pending"
        await asyncio.sleep(0.2)
    assert await settle_announcements(db, clock) == 1
    assert await settle_announcements(db, clock) == 0  # settled once


def _max_in_a_second(times: list[float]) -> int:
    best, start = 0, 0
    for end, stamp in enumerate(times):
        while stamp - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def _announce_to(db_url: str, total: int, failures: int) -> None:
    clock = FakeClock(NOW)
    zalo = await FakeZaloBot().start()
    try:
        async with fake_telegram() as tg, running_bot(db_url, tg, clock=clock, **zalo.settings()) as bot:
            crowd = await _crowd(bot.db, total)
            world = World(bot.db, clock)
            await world.official("UBND_SECRETARIAT", chat=str(SENDER_CHAT))
            async with world.services() as s:
                for chat in crowd.stopped:  # /stop before the announcement: nothing more to them
                    identity = (await s.session.execute(select(ChannelIdentity.id).where(
                        ChannelIdentity.chat_id == chat))).scalar_one()
                    assert await s.following.stop(identity, clock.now())
            # Telegram refuses some chats for good (the citizen blocked the bot): failed, never retried.
            tg.faults.append(Fault("sendMessage", 403, remaining=failures,
                                   description="Forbidden: bot was blocked by the user"))
            secretary = (await world.official("UBND_SECRETARIAT", chat=str(SENDER_CHAT)))
            started = time.monotonic()
            async with world.services() as s:
                sent = await s.announcements.send(secretary.official_id, area="SAODO", topic="dien_nuoc", text=TEXT,
                                                  sender_identity_id=secretary.identity_id)
            expected = len(crowd.telegram) + len(crowd.zalo_open) + len(crowd.zalo_closed) + len(crowd.web)
            assert sent.recipients == expected
            bot.sender.wake()
            await _settled(bot.db, clock, within=120)
            elapsed = time.monotonic() - started

            tg_counts = Counter(m["chat_id"] for m in tg.sent if m.get("text", "").startswith("📢"))
            zalo_counts = Counter(m["chat_id"] for m in zalo.sent if m.get("text", "").startswith("📢"))
            async with bot.db.unit_of_work(readonly=True) as uow:
                web_counts = Counter((await uow.session.execute(
                    select(WebMessage.chat_id).where(WebMessage.direction == "out"))).scalars())
                states = Counter((await uow.session.execute(
                    select(AnnouncementRecipient.channel, AnnouncementRecipient.state))).all())
            # Once each, or not at all: none twice; no one who stopped, no one of another ward, nobody held.
            assert set(tg_counts.values()) == {1} and set(zalo_counts.values()) == {1}
            assert set(web_counts.values()) == {1}
            assert len(tg_counts) == len(crowd.telegram) - failures
            assert {int(c) for c in tg_counts} <= {int(c) for c in crowd.telegram}
            assert set(zalo_counts) == set(crowd.zalo_open)
            assert set(web_counts) == set(crowd.web)
            assert states == {("telegram", "sent"): len(crowd.telegram) - failures, ("telegram", "failed"): failures,
                              ("zalo", "sent"): len(crowd.zalo_open), ("zalo", "held"): len(crowd.zalo_closed),
                              ("web", "sent"): len(crowd.web)}
            delivered = len(crowd.telegram) - failures + len(crowd.zalo_open) + len(crowd.web)
            vi = f"{delivered:,}".replace(",", ".")
            summary = await tg.wait_for(SENDER_CHAT, 1, within=30)
            assert summary[-1] == (f"Thông báo số {sent.announcement_id} đã gửi xong: đã gửi {vi}, "
                                   f"giữ lại {len(crowd.zalo_closed)} trên Zalo, lỗi {failures}.")
            # In the platform's seconds: the suite may run its clock faster (tests/conftest.py PLATFORM_CLOCK).
            times = [stamp * drill_time_scale() for stamp in tg.send_times]
            peak = _max_in_a_second(times)
            # After the first burst of 30, the pace is the refill: at most 30 a second.
            rate = (len(times) - 30) / max(times[-1] - times[0], 1e-9)
            print(f"\nannouncement to {total} followers ({expected} addressed): {delivered} delivered, "
                  f"{len(crowd.zalo_closed)} held on Zalo, {failures} failed in {elapsed:.1f} s; Telegram "
                  f"{rate:.1f} msg/s (platform clock x{drill_time_scale():g}) after the first burst against the limit of 30/s, at most {peak} in any one second")
            assert peak <= 60  # the burst of 30 plus a second's refill: never a 429 from pacing
            assert rate <= 31.0

            # A held citizen writes again: the copy goes then, once.
            held_chat = crowd.zalo_closed[0]
            zalo.says(held_chat, "Xin chào")
            texts = await zalo.wait_for(held_chat, 2, within=30)
            assert sum(1 for x in texts if x.startswith("📢")) == 1
    finally:
        await zalo.stop()


@pytest.mark.real_pace
async def test_an_announcement_to_150_followers(db_url: str) -> None:
    await _announce_to(db_url, 150, failures=2)


@pytest.mark.slow
async def test_an_announcement_to_2000_followers(db_url: str) -> None:
    await _announce_to(db_url, 2000, failures=7)
