"""The web chat channel: the browser page at /chat, talking over a WebSocket.

Receiving: the web route (bot/web/chat.py) validates a visitor's frame, builds the raw update below and stores
it in the inbox like any platform update, so the same consumer and flows handle it. Sending: the sender
calls `send`, which records the message in the chat's transcript (the database is the truth: a reload, served
by any process, shows it) and then pushes it to the sockets of that chat open in THIS process. Sockets elsewhere
catch up through `follow`, a per-process poll that runs only while sockets are open.

A raw web update, written by our own server after validation:
    {"v": 1, "id": "<client message id>", "chat": "<chat id>", "user": "<account id>", "kind": "text" |
     "choice" | "photo" | "location" | "start" | "language", "lang": "vi" | "en", "text": str, "key": str, "attachment": int, "mime": str,
     "size": int, "lat": float, "lon": float, "language": "vi" | "en"}
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError

from bot.channels import model
from bot.channels.base import UpdateRejected
from bot.channels.model import Inbound, InboundKind, MediaRef, Rendered, SendResult
from bot.clock import Clock
from bot.workers.supervise import Outage
from storage.models import Attachment, WebMessage
from storage.repositories import web_messages
from storage.uow import Database

log = logging.getLogger(__name__)

CHANNEL = "web"
PUSH_TITLE = "Tiếp Dân"  # the service's name, the same in every language
FOLLOW_SECONDS = 2.0


class Socket(Protocol):
    """One open page of a chat; `last_id` is the newest transcript row it has been given."""

    chat_id: str
    last_id: int

    async def push(self, frame: dict[str, Any]) -> None: ...


def frame_of(row: WebMessage) -> dict[str, Any]:
    """A transcript row as the page receives it."""
    shown = {k: v for k, v in row.payload.items() if k != "secrets"}
    return {"type": "message", "id": row.id, "dir": row.direction, "at": _iso(row.created_at), **shown}


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


class WebChatChannel:
    name = CHANNEL
    capabilities = model.Capabilities(
        buttons=True, edits=False, photos=True, location_request=True, contact_request=False,
        max_text=4096, max_buttons=12,
    )
    # Our own server on the other end: no platform limit, only a guard against flooding one page.
    rules = model.SendingRules(overall_per_second=500.0, chat_burst=30, chat_per_second=20.0, max_attempts=8)

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock
        self._sockets: dict[str, set[Socket]] = {}
        self._watermark: int | None = None  # the newest transcript row the follower has looked at
        # Called with (chat, title, text) for a question or answer no page of the chat open here has seen (Web Push).
        self.on_unseen: Callable[[str, str, str], Awaitable[int]] | None = None

    # --- receiving ---------------------------------------------------------------------------------------

    def identify(self, payload: dict[str, Any]) -> tuple[str, str]:
        chat, message_id = payload.get("chat"), payload.get("id")
        if not isinstance(chat, str) or not chat or not isinstance(message_id, str) or not message_id:
            raise UpdateRejected("a web update needs a chat and a message id")
        # The client's id is only unique within its chat: the chat is part of the key.
        return f"{chat}:{message_id}", chat

    def to_inbound(self, payload: dict[str, Any]) -> Inbound | None:
        kind = payload.get("kind")
        base: dict[str, Any] = {
            "channel": self.name, "chat_id": payload["chat"], "user_id": payload["user"],
            "language": payload.get("language"), "message_id": payload["id"],
            "origin": payload.get("origin") if isinstance(payload.get("origin"), str) else None,
        }
        if kind == "start":
            return Inbound(kind=InboundKind.TEXT, text="/start", **base)
        if kind == "language":  # the page's language switch: the conversation follows it
            return Inbound(kind=InboundKind.TEXT, text=f"/lang {payload.get('lang', '')}", **base)
        if kind == "text":
            return Inbound(kind=InboundKind.TEXT, text=payload.get("text", ""), **base)
        if kind == "choice":
            return Inbound(kind=InboundKind.CHOICE, choice=payload.get("key", "")[:64], **base)
        if kind == "photo":
            ref = MediaRef("photo", str(payload["attachment"]), payload.get("mime"), payload.get("size"))
            return Inbound(kind=InboundKind.PHOTO, text=payload.get("text", ""), media=(ref,), **base)
        if kind == "voice":  # kept as evidence like a Telegram voice note
            ref = MediaRef("voice", str(payload["attachment"]), payload.get("mime"), payload.get("size"))
            return Inbound(kind=InboundKind.VOICE, media=(ref,), **base)
        if kind == "location":
            return Inbound(kind=InboundKind.LOCATION, lat=payload["lat"], lon=payload["lon"], **base)
        return Inbound(kind=InboundKind.UNSUPPORTED, **base)

    # --- sending -----------------------------------------------------------------------------------------

    async def send(self, chat_id: str, message: Rendered) -> SendResult:
        payload = {
            "texts": message.texts,
            "buttons": [[c.key, c.label] for c in message.buttons],
            "request": message.request,
            "request_label": message.request_label,
            "attachments": message.attachment_ids,
        }
        try:
            async with self.db.unit_of_work() as uow:
                row = await web_messages.add(uow.session, chat_id=chat_id, direction="out", payload=payload,
                                             now=self.clock.now())
                await uow.commit()
        except (SQLAlchemyError, OSError) as exc:
            return SendResult.retry(f"transcript not written: {type(exc).__name__}")
        seen = bool(self._sockets.get(chat_id))
        await self.deliver(chat_id, [row])
        # Only an official's question or answer calls the citizen back, not every message the bot sends.
        if message.call_back and not seen and self.on_unseen is not None and message.texts:
            await self.on_unseen(chat_id, PUSH_TITLE, message.texts[0])  # a courtesy: it never raises
        return SendResult.sent(str(row.id))

    async def fetch_media(self, ref: str) -> bytes:
        """A photo the visitor uploaded: already in our media store (EXIF stripped on upload)."""
        async with self.db.unit_of_work(readonly=True) as uow:
            row = await uow.session.get(Attachment, int(ref))
            if row is None or row.content is None:
                raise LookupError(f"web upload {ref} is gone")
            return row.content

    # --- the pages open in this process ------------------------------------------------------------------

    def attach(self, socket: Socket) -> None:
        self._sockets.setdefault(socket.chat_id, set()).add(socket)

    def detach(self, socket: Socket) -> None:
        sockets = self._sockets.get(socket.chat_id)
        if sockets is not None:
            sockets.discard(socket)
            if not sockets:
                del self._sockets[socket.chat_id]

    def open_chats(self) -> list[str]:
        return list(self._sockets)

    async def deliver(self, chat_id: str, rows: list[WebMessage]) -> None:
        """Push rows to the chat's open pages, each row once per page (the page also ignores repeats)."""
        for socket in list(self._sockets.get(chat_id, ())):
            for row in rows:
                if row.id <= socket.last_id:
                    continue
                socket.last_id = row.id
                try:
                    await socket.push(frame_of(row))
                except (ConnectionError, RuntimeError):
                    self.detach(socket)  # the page went away; its next connection reads the transcript
                    break

    async def follow(self, interval: float = FOLLOW_SECONDS) -> None:
        """Until cancelled: bring open pages the messages another process wrote (one query per round)."""
        outage = Outage("web chat follower", log)
        while True:
            await asyncio.sleep(interval)
            chats = self.open_chats()
            if not chats:
                continue
            if self._watermark is None:
                self._watermark = min((s.last_id for c in chats for s in self._sockets.get(c, ())), default=0)
            try:
                async with self.db.unit_of_work(readonly=True) as uow:
                    rows = await web_messages.newer_for(uow.session, chats, self._watermark)
                outage.ok()
            except (SQLAlchemyError, OSError) as exc:
                await asyncio.sleep(outage.failed(exc))
                continue
            # A row committed late with a lower id is not pushed live; the page's next load shows it.
            self._watermark = max([self._watermark, *(r.id for r in rows)])
            by_chat: dict[str, list[WebMessage]] = {}
            for row in rows:
                by_chat.setdefault(row.chat_id, []).append(row)
            for chat_id, chat_rows in by_chat.items():
                await self.deliver(chat_id, chat_rows)
