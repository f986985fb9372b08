"""Drive the real conversation engine, one message per transaction, on a real database.

A loopback channel turns a neutral payload into an Inbound, so a test speaks as a citizen on a channel with
buttons (like Telegram) without a platform server; the replies are read back from the outbox.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.channels.model import (
    Capabilities,
    Inbound,
    InboundKind,
    MediaRef,
    Outbound,
    Rendered,
    SendingRules,
    SendResult,
)
from bot.channels.registry import ChannelRegistry
from bot.clock import FakeClock
from bot.conversation import ConversationEngine
from bot.services.context import AppContext
from bot.services.org_view import OrgCache
from handlers import build_router
from storage.models import InboxItem, OutboxItem
from storage.uow import Database

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CHANNEL = "loop"
# Friday 13/02/2026 09:00 in Hanoi; Tết days off run from Saturday 14/02 to Sunday 22/02.
START = datetime(2026, 2, 13, 9, 0, tzinfo=VN).astimezone(UTC)


class LoopbackChannel:
    """A channel whose raw updates are already neutral; media it "holds" are in `files`."""

    name = CHANNEL
    capabilities = Capabilities(buttons=True, location_request=True, contact_request=True, max_text=4096,
                                max_buttons=10)
    rules = SendingRules()

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def identify(self, payload: dict[str, Any]) -> tuple[str, str]:
        return str(payload["id"]), str(payload["chat"])

    def to_inbound(self, payload: dict[str, Any]) -> Inbound:
        return Inbound(
            channel=CHANNEL, chat_id=str(payload["chat"]), user_id=str(payload["chat"]),
            kind=InboundKind(payload["kind"]), text=payload.get("text", ""), choice=payload.get("choice"),
            media=tuple(MediaRef(*m) for m in payload.get("media", [])), lat=payload.get("lat"),
            lon=payload.get("lon"), phone=payload.get("phone"), message_id=str(payload["id"]),
        )

    async def send(self, chat_id: str, message: Rendered) -> SendResult:
        return SendResult.sent()

    async def fetch_media(self, ref: str) -> bytes:
        return self.files[ref]


@dataclass
class Bot:
    """The engine, its clock and its channel, for any number of chats."""

    db: Database
    clock: FakeClock
    channel: LoopbackChannel
    engine: ConversationEngine
    app: AppContext
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def chat(self, chat_id: int) -> Chat:
        return Chat(self, chat_id)


def make_bot(db: Database, start: datetime = START) -> Bot:
    clock = FakeClock(start)
    channel = LoopbackChannel()
    registry = ChannelRegistry()
    registry.add(channel)
    app = AppContext(clock=clock, tz=VN, org=OrgCache())
    return Bot(db, clock, channel, ConversationEngine(registry, build_router(), app), app)


@dataclass
class Chat:
    bot: Bot
    chat_id: int

    async def _send(self, payload: dict[str, Any], after: timedelta) -> list[Outbound]:
        bot = self.bot
        bot.clock.advance(seconds=after.total_seconds())
        payload = {"id": next(bot.ids), "chat": self.chat_id, **payload}
        row = InboxItem(channel=CHANNEL, platform_id=str(payload["id"]), chat_key=str(self.chat_id),
                        payload=payload, status="new", attempts=0, received_at=bot.clock.now())
        async with bot.db.unit_of_work() as uow:
            before = await self._last_outbox_id(uow.session)
            await bot.engine.process(uow, row)
            await uow.commit()
        async with bot.db.unit_of_work(readonly=True) as uow:
            rows = (await uow.session.execute(
                select(OutboxItem).where(OutboxItem.chat_id == str(self.chat_id), OutboxItem.id > before)
                .order_by(OutboxItem.id)
            )).scalars()
            return [Outbound.from_json(r.payload) for r in rows]

    async def _last_outbox_id(self, session) -> int:
        stmt = select(func.coalesce(func.max(OutboxItem.id), 0)).where(OutboxItem.chat_id == str(self.chat_id))
        return int((await session.execute(stmt)).scalar_one())

    async def says(self, text: str, *, after: float = 5) -> list[Outbound]:
        return await self._send({"kind": "text", "text": text}, timedelta(seconds=after))

    async def presses(self, key: str, *, after: float = 5) -> list[Outbound]:
        return await self._send({"kind": "choice", "choice": key}, timedelta(seconds=after))

    async def sends_photo(self, ref: str, *, caption: str = "", size: int = 50_000, mime: str = "image/jpeg",
                          after: float = 5) -> list[Outbound]:
        return await self._send({"kind": "photo", "text": caption, "media": [["photo", ref, mime, size, None]]},
                                timedelta(seconds=after))

    async def sends_voice(self, ref: str, *, size: int = 20_000, mime: str = "audio/ogg",
                          after: float = 5) -> list[Outbound]:
        return await self._send({"kind": "voice", "media": [["voice", ref, mime, size, None]]},
                                timedelta(seconds=after))

    async def sends_document(self, ref: str, *, mime: str = "application/pdf", size: int = 80_000,
                             name: str = "quyet-dinh.pdf", after: float = 5) -> list[Outbound]:
        return await self._send({"kind": "document", "media": [["document", ref, mime, size, name]]},
                                timedelta(seconds=after))

    async def sends_location(self, lat: float, lon: float, *, after: float = 5) -> list[Outbound]:
        return await self._send({"kind": "location", "lat": lat, "lon": lon}, timedelta(seconds=after))

    async def sends_contact(self, phone: str, *, after: float = 5) -> list[Outbound]:
        return await self._send({"kind": "contact", "phone": phone}, timedelta(seconds=after))

    async def sends_sticker(self, *, after: float = 5) -> list[Outbound]:
        return await self._send({"kind": "unsupported"}, timedelta(seconds=after))

    async def consents(self) -> None:
        """/start and "I agree": a citizen at the menu."""
        await self.says("/start")
        await self.presses("agree")


def texts(replies: list[Outbound]) -> list[str]:
    return [r.text for r in replies]


def keys(reply: Outbound) -> list[str]:
    return [c.key for c in reply.choices]
