"""An announcement to the followers of a ward over Telegram, Zalo and the web chat (issue 14's figure).

N citizens follow a ward as /follow leaves them (an identity, the processing and announcements consents, an
active subscription): 40% on Telegram, 20% on Zalo within its 48 h reply window, 10% on Zalo outside it
(held by rule), 25% on the web chat, 2% on Telegram who then /stop (through the real `Following.stop`), and
the rest following another ward. The ward's secretariat sends the announcement with the real service
(`Announcements.send`), then the bot starts in its own process, with the Telegram channel's pacing as
shipped against a fake Bot API that answers 429 beyond 30/s overall and 1/s a chat, and Zalo against the
fake Zalo Bot API (tests/support). Once no copy is pending, `settle_announcements` writes the sender's
summary.

The figure is the achieved Telegram rate over the limit (copies sent / the span from the first to the last),
with the 429 count; and the delivery is checked, not assumed: each Telegram and open-window Zalo follower got
exactly one copy, each web follower one web message, nobody who stopped or follows elsewhere got one, the
closed-window Zalo ones are held, and the summary's figures are exact. The clock may be scaled by K (the
server allows 30K/s overall and K/s a chat, and the channel's rules are multiplied by K likewise).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from benchmarks.common import TOKEN, Figure, bot_child
from benchmarks.fake_api import FakeBotApi, Limits
from bot.clock import SystemClock
from bot.services import Services
from bot.services.announcements import settle_announcements
from bot.services.context import AppContext
from bot.services.following import ANNOUNCEMENTS
from bot.services.org_view import OrgCache
from storage.models import (
    AnnouncementRecipient,
    ChannelIdentity,
    Citizen,
    Consent,
    Official,
    OutboxItem,
    Subscription,
    WebMessage,
)
from storage.uow import Database
from tests.support.fake_zalo_bot import FakeZaloBot

VN = ZoneInfo("Asia/Ho_Chi_Minh")  # the demo organisation's (and the settings' default) time zone
OVERALL, PER_CHAT = 30.0, 1.0  # Telegram's limits
AREA, ELSEWHERE, TOPIC = "SAODO", "PHALAI", "dien_nuoc"
SEAT = "UBND_SECRETARIAT"
SENDER_CHAT = 990_001
FIRST_CHAT = 860_000_000
TEXT = "Thứ Ba 10/3 cắt nước phường Sao Đỏ từ 8:00 đến 16:00 để sửa đường ống."
SHARES = {"telegram": 0.4, "zalo_open": 0.2, "zalo_closed": 0.1, "web": 0.25, "stopped": 0.02}
CHANNEL = {"telegram": "telegram", "stopped": "telegram", "elsewhere": "telegram", "zalo_open": "zalo",
           "zalo_closed": "zalo", "web": "web"}


@dataclass
class AnnouncementResult:
    followers: int
    scale: float
    groups: dict[str, list[str]] = field(default_factory=dict)  # group -> chat ids
    addressed: int = 0
    telegram_sent: int = 0
    refused: int = 0
    refused_by: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0  # first to last Telegram copy
    zalo_sent: int = 0
    web_sent: int = 0
    summary: str = ""
    wrong: list[str] = field(default_factory=list)  # what the delivery check found amiss

    @property
    def limit(self) -> float:
        return OVERALL * self.scale

    @property
    def rate(self) -> float:
        return self.telegram_sent / self.seconds if self.seconds > 0 else float("nan")


async def followers(db: Database, total: int, now: datetime) -> dict[str, list[str]]:
    """`total` followers in groups (see the module's docstring), written in bulk; returns each group's chats."""
    sizes = {group: int(total * share) for group, share in SHARES.items()}
    sizes["elsewhere"] = total - sum(sizes.values())
    chats: dict[str, list[str]] = {}
    people: list[tuple[str, str, str, str]] = []  # group, channel, chat, pseudonym
    for group, size in sizes.items():
        chats[group] = []
        for _ in range(size):
            n = len(people) + 1
            channel = CHANNEL[group]
            chat = str(FIRST_CHAT + n) if channel == "telegram" else f"{channel}-bench-{n}"
            chats[group].append(chat)
            people.append((group, channel, chat, f"TB-{n:06d}"))
    joined = now - timedelta(days=5)
    async with db.unit_of_work() as uow:
        s = uow.session
        await s.execute(insert(Citizen), [{"pseudonym": p, "language": "vi", "created_at": joined}
                                          for *_, p in people])
        citizen = dict((await s.execute(select(Citizen.pseudonym, Citizen.id)
                                        .where(Citizen.pseudonym.like("TB-%")))).all())
        await s.execute(insert(ChannelIdentity), [
            {"channel": channel, "external_id": chat, "chat_id": chat, "citizen_id": citizen[p],
             "last_inbound_at": now - (timedelta(days=3) if group == "zalo_closed" else timedelta(hours=2)),
             "replies_since_inbound": 0, "created_at": joined} for group, channel, chat, p in people])
        identity = {(c, chat): i for c, chat, i in (await s.execute(
            select(ChannelIdentity.channel, ChannelIdentity.chat_id, ChannelIdentity.id)
            .where(ChannelIdentity.citizen_id.in_(list(citizen.values()))))).all()}
        await s.execute(insert(Consent), [
            {"citizen_id": citizen[p], "purpose": purpose, "notice_version": "2026-01", "granted_at": joined}
            for *_, p in people for purpose in ("processing", ANNOUNCEMENTS)])
        await s.execute(insert(Subscription), [
            {"identity_id": identity[(channel, chat)], "citizen_id": citizen[p], "topics": [], "active": True,
             "area_code": ELSEWHERE if group == "elsewhere" else AREA, "notice_version": "2026-01",
             "started_at": joined} for group, channel, chat, p in people])
        await uow.commit()
    return chats


async def announce(db: Database, groups: dict[str, list[str]]) -> tuple[int, int]:
    """The stopped followers /stop, then the secretariat announces: (announcement id, copies addressed)."""
    app = AppContext(clock=SystemClock(), tz=VN, org=OrgCache())
    async with db.unit_of_work() as uow:
        org = await app.org.get(uow.session, app.clock.now().date())
        services = Services(uow, app, org)
        stopped = (await uow.session.execute(select(ChannelIdentity.id).where(
            ChannelIdentity.channel == "telegram", ChannelIdentity.chat_id.in_(groups["stopped"])))).scalars()
        for identity_id in list(stopped):
            assert await services.following.stop(identity_id, app.clock.now())
        official = (await uow.session.execute(select(Official).where(Official.seat == SEAT))).scalar_one()
        sender = ChannelIdentity(channel="telegram", external_id=str(SENDER_CHAT), chat_id=str(SENDER_CHAT),
                                 official_id=official.id, last_inbound_at=app.clock.now(), replies_since_inbound=0,
                                 created_at=app.clock.now())
        uow.session.add(sender)
        await uow.session.flush()
        sent = await services.announcements.send(official.id, area=AREA, topic=TOPIC, text=TEXT,
                                                 sender_identity_id=sender.id)
        await uow.commit()
    return sent.announcement_id, sent.recipients


async def pending(db: Database) -> int:
    async with db.unit_of_work(readonly=True) as uow:
        return int((await uow.session.execute(select(func.count()).select_from(OutboxItem).where(
            OutboxItem.purpose == "announcement", OutboxItem.status == "pending"))).scalar_one())


async def settled(db: Database, within: float) -> bool:
    """Wait until no copy is pending (the held ones are no longer pending), then settle: the summary is written."""
    deadline = time.monotonic() + within
    while await pending(db):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.2)
    await settle_announcements(db, SystemClock())  # 0 if the bot's own ticker settled it first
    return True


async def run_announcement(database_url: str, log: Path, *, followers_: int, scale: float,
                           allowed: float) -> AnnouncementResult:
    db = Database(database_url)
    result = AnnouncementResult(followers_, scale)
    telegram = await FakeBotApi(TOKEN, limits=Limits(OVERALL * scale, PER_CHAT * scale), keep_texts=True).start()
    zalo = await FakeZaloBot().start()
    try:
        result.groups = await followers(db, followers_, datetime.now(UTC))
        announcement_id, result.addressed = await announce(db, result.groups)
        telegram.expect_sends(len(result.groups["telegram"]))
        async with bot_child(telegram.base_url, database_url, log, pacing=f"x{scale:g}", settings=zalo.settings()):
            deadline = time.monotonic() + allowed  # for every copy, on every channel
            await telegram.sent_all(allowed)
            done = await settled(db, max(5.0, deadline - time.monotonic()))
        result.refused = telegram.refused
        result.refused_by = dict(telegram.refused_by)
        await check(db, result, telegram, zalo, announcement_id)
        if not done:
            result.wrong.append("copies still pending at the end")
    finally:
        await zalo.stop()
        await telegram.stop()
        await db.dispose()
    return result


async def check(db: Database, result: AnnouncementResult, telegram: FakeBotApi, zalo: FakeZaloBot,
                announcement_id: int) -> None:
    """Each copy delivered once or held by rule, none twice, nobody else written to; the summary exact."""
    g, wrong = result.groups, result.wrong
    got = {int(chat): log for chat, log in telegram.chats.items() if chat != SENDER_CHAT}
    times = sorted(log.first_reply_at for log in got.values() if log.first_reply_at is not None)
    result.telegram_sent = sum(log.received for log in got.values())
    if len(times) > 1:
        result.seconds = times[-1] - times[0]
    zalo_got = Counter(m["chat_id"] for m in zalo.sent)
    result.zalo_sent = sum(zalo_got.values())
    async with db.unit_of_work(readonly=True) as uow:
        web_got = Counter((await uow.session.execute(
            select(WebMessage.chat_id).where(WebMessage.direction == "out"))).scalars())
        states = Counter((await uow.session.execute(
            select(AnnouncementRecipient.channel, AnnouncementRecipient.state)
            .where(AnnouncementRecipient.announcement_id == announcement_id))).all())
        summary = (await uow.session.execute(select(OutboxItem.payload).where(
            OutboxItem.dedup_key == f"ann-summary:{announcement_id}"))).scalar_one_or_none()
    result.web_sent = sum(web_got.values())
    result.summary = str((summary or {}).get("text", ""))
    Chats = tuple[set[int | str], dict[int | str, int]]  # the followers, and the messages each chat got
    expect: dict[str, Chats] = {
        "telegram": ({int(c) for c in g["telegram"]}, {c: log.received for c, log in got.items()}),
        "zalo": (set(g["zalo_open"]), {c: n for c, n in zalo_got.items()}),
        "web": (set(g["web"]), {c: n for c, n in web_got.items()})}
    for channel, (wanted, counts) in expect.items():
        if set(counts) != wanted or set(counts.values()) - {1}:
            extra, missing = len(set(counts) - wanted), len(wanted - set(counts))
            wrong.append(f"{channel}: {missing} missing, {extra} not followers, "
                         f"{sum(1 for n in counts.values() if n > 1)} twice")
    held = len(g["zalo_closed"])
    delivered = len(g["telegram"]) + len(g["zalo_open"]) + len(g["web"])
    if states != {("telegram", "sent"): len(g["telegram"]), ("zalo", "sent"): len(g["zalo_open"]),
                  ("zalo", "held"): held, ("web", "sent"): len(g["web"])}:
        wrong.append(f"recipient states {dict(states)}")
    if result.addressed != delivered + held:
        wrong.append(f"addressed {result.addressed}, expected {delivered + held}")
    vi = f"{delivered:,}".replace(",", ".")
    if f"đã gửi {vi}, giữ lại {held} trên Zalo, lỗi 0" not in result.summary:
        wrong.append(f"summary: {result.summary!r}")


def figures(result: AnnouncementResult, backend: str) -> list[Figure]:
    g = result.groups
    scaled = f"; time x{result.scale:g}: {result.limit:g}/s overall, {PER_CHAT * result.scale:g}/s a chat"
    note = (f"{result.followers:,} followers, {result.addressed:,} addressed: Telegram {result.telegram_sent}/"
            f"{len(g.get('telegram', []))} in {result.seconds:.1f} s, Zalo {result.zalo_sent} sent and "
            f"{len(g.get('zalo_closed', []))} held, web {result.web_sent}"
            f"{scaled if result.scale != 1 else ' (limits as shipped: 30/s, 1/s a chat)'}")
    check = "; ".join(result.wrong) or "each once or held, none twice, /stop kept, summary exact"
    return [
        Figure("announcement", backend, "Telegram rate / limit", result.rate / result.limit, "", 0.95, "higher",
               note),
        Figure("announcement", backend, "429 answers", result.refused, "", 0, "equal",
               ", ".join(f"{n} over the {k} limit" for k, n in sorted(result.refused_by.items()))),
        Figure("announcement", backend, "copies wrong", len(result.wrong), "", 0, "equal", check[:300]),
    ]
