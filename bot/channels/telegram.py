"""Telegram through python-telegram-bot, used as transport only: parse updates, send, download.

Polling is our own loop so that an update is stored in the inbox BEFORE its offset is confirmed.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import os
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    LinkPreviewOptions,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

from bot.channels import model
from bot.channels.base import UpdateRejected
from bot.channels.model import Inbound, InboundKind, MediaRef, Rendered, SendResult
from bot.workers.supervise import Outage, is_transient

os.environ.setdefault("PTB_TIMEDELTA", "true")  # RetryAfter.retry_after as a timedelta, without a warning

log = logging.getLogger(__name__)

LoadAttachment = Callable[[int], Awaitable[tuple[bytes, str, str]]]  # id -> (content, mime, kind)
StoreUpdates = Callable[[str, list[dict[str, Any]]], Awaitable[None]]
ALLOWED_UPDATES = ["message", "callback_query"]
STORE_RETRY_CAP = 5.0  # seconds between two tries to store a polled batch while the database is away
NUMBER_ROW = 6  # number-only buttons per keyboard row


class TelegramChannel:
    name = "telegram"
    capabilities = model.Capabilities(
        buttons=True, edits=True, photos=True, location_request=True, contact_request=True,
        max_text=4096, max_buttons=10,
    )
    # Telegram counts about 30 a second: 29 with no burst keeps every one-second window at 30 or under even
    # when sends in flight arrive a little bunched (a full-second burst made 429s against a strict counter).
    rules = model.SendingRules(overall_per_second=29.0, overall_burst=1, chat_burst=3, chat_per_second=1.0,
                               max_attempts=8)

    def __init__(self, token: str, base_url: str, load_attachment: LoadAttachment | None = None,
                 *, poll_timeout: int = 25) -> None:
        root = base_url.rstrip("/")
        self.poll_timeout = poll_timeout
        self.bot = Bot(
            token,
            base_url=f"{root}/bot",
            base_file_url=f"{root}/file/bot",
            request=HTTPXRequest(connection_pool_size=8, read_timeout=15, connect_timeout=5),
            get_updates_request=HTTPXRequest(connection_pool_size=1, read_timeout=poll_timeout + 10),
        )
        self._load_attachment = load_attachment

    async def start(self) -> None:
        await self.bot.initialize()

    async def stop(self) -> None:
        await self.bot.shutdown()

    # --- receiving ---------------------------------------------------------------------------------------

    def identify(self, payload: dict[str, Any]) -> tuple[str, str]:
        update_id = payload.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            raise UpdateRejected("update_id must be an integer")
        try:  # what cannot be read would fail in the consumer, attempt after attempt: refuse it here
            self.to_inbound(copy.deepcopy(payload))
        except Exception as exc:  # a date of -1e308 is an OverflowError, a list for a text a TypeError...
            raise UpdateRejected(f"not a Telegram update ({type(exc).__name__})") from None
        chat = _chat_of(payload)
        if chat is None:
            return str(update_id), "-"  # stored (and acknowledged), then ignored by to_inbound
        return str(update_id), str(chat)

    def to_inbound(self, payload: dict[str, Any]) -> Inbound | None:
        update = Update.de_json(payload, self.bot)
        if update is None:
            return None
        if update.callback_query is not None:
            query = update.callback_query
            message = query.message
            if message is None or message.chat.type != "private":
                return None
            return Inbound(
                channel=self.name, chat_id=str(message.chat.id), user_id=str(query.from_user.id),
                kind=InboundKind.CHOICE, choice=(query.data or "")[:64],
                language=query.from_user.language_code, display_name=query.from_user.full_name,
                message_id=query.id,
            )
        message = update.message
        if message is None or message.chat.type != "private" or message.from_user is None:
            return None
        base: dict[str, Any] = {
            "channel": self.name, "chat_id": str(message.chat.id), "user_id": str(message.from_user.id),
            "language": message.from_user.language_code, "display_name": message.from_user.full_name,
            "message_id": str(message.message_id),
        }
        if message.text is not None:
            return Inbound(kind=InboundKind.TEXT, text=message.text, **base)
        if message.photo:
            largest = max(message.photo, key=lambda p: (p.file_size or 0, p.width * p.height))
            ref = MediaRef("photo", largest.file_id, "image/jpeg", largest.file_size)
            return Inbound(kind=InboundKind.PHOTO, text=message.caption or "", media=(ref,), **base)
        if message.voice is not None or message.audio is not None:
            voice = message.voice or message.audio
            assert voice is not None
            ref = MediaRef("voice", voice.file_id, voice.mime_type or "audio/ogg", voice.file_size)
            return Inbound(kind=InboundKind.VOICE, text=message.caption or "", media=(ref,), **base)
        if message.document is not None:
            doc = message.document
            ref = MediaRef("document", doc.file_id, doc.mime_type, doc.file_size, doc.file_name)
            return Inbound(kind=InboundKind.DOCUMENT, text=message.caption or "", media=(ref,), **base)
        if message.location is not None:
            return Inbound(kind=InboundKind.LOCATION, lat=message.location.latitude,
                           lon=message.location.longitude, **base)
        if message.contact is not None:
            own = message.contact.user_id == message.from_user.id
            return Inbound(kind=InboundKind.CONTACT, phone=message.contact.phone_number if own else None, **base)
        return Inbound(kind=InboundKind.UNSUPPORTED, **base)

    async def poll(self, store: StoreUpdates, *, stop: asyncio.Event | None = None) -> None:
        """Long polling: store each batch, and only then confirm it with the next offset."""
        await self.bot.delete_webhook()
        offset: int | None = None
        fetching = Outage("telegram getUpdates", log)
        while stop is None or not stop.is_set():
            try:
                updates = await self.bot.get_updates(
                    offset=offset, timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES
                )
                fetching.ok()
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc.retry_after))
                continue
            except (NetworkError, TelegramError) as exc:
                await asyncio.sleep(fetching.failed(exc))
                continue
            if updates:
                await self._store(store, [u.to_dict() for u in updates])
                offset = updates[-1].update_id + 1
                await self._answer_queries(updates)

    async def _store(self, store: StoreUpdates, batch: list[dict[str, Any]]) -> None:
        """Keep the batch until the inbox takes it: a database outage pauses polling (logged once), it does
        not end the task; the offset moves on only once the batch is stored."""
        outage = Outage(f"{self.name} polling: storing updates", log)
        while True:
            try:
                await store(self.name, batch)
                outage.ok()
                return
            except Exception as exc:
                if not is_transient(exc):
                    raise
                await asyncio.sleep(min(STORE_RETRY_CAP, outage.failed(exc)))

    async def _answer_queries(self, updates: tuple[Update, ...]) -> None:
        """Stop the button's spinner; best effort, the press itself is already stored."""
        for update in updates:
            if update.callback_query is not None:
                try:
                    await update.callback_query.answer()
                except TelegramError:
                    log.debug("answerCallbackQuery failed", exc_info=True)

    async def answer_query(self, payload: dict[str, Any]) -> None:
        update = Update.de_json(payload, self.bot)
        if update is not None:
            await self._answer_queries((update,))

    # --- sending -----------------------------------------------------------------------------------------

    async def send(self, chat_id: str, message: Rendered) -> SendResult:
        """Send; the result names the message that carries the words and buttons (a later edit rewrites it)."""
        try:
            if message.edit is not None:
                return await self._edit(chat_id, message)
            sent = keyed = None
            text = message.texts[0] if message.texts else ""
            caption = message.caption if message.caption and len(message.caption) <= CAPTION_LIMIT else None
            files = [await self._load(a) for a in message.attachment_ids]
            photos = [content for content, kind in files if kind == "photo"]
            if len(photos) >= 2:  # a case's photos: one album (it cannot carry buttons; the words follow it)
                sent = await self._send_album(chat_id, photos, None if caption == text else caption)
                files, caption = [f for f in files if f[1] != "photo"], None
            # A card whose words are its photo's caption is one message: the photo, the words, the buttons.
            whole = caption is not None and caption == text and bool(files)
            for index, (content, kind) in enumerate(files):  # words and buttons on the first
                first = index == 0
                sent = await self._send_file(chat_id, content, kind, caption if first else None,
                                             _markup(message) if whole and first else None)
                if whole and first:
                    keyed = sent
            if text and not whole:
                sent = keyed = await self.bot.send_message(chat_id=chat_id, text=text, reply_markup=_markup(message),
                                                           link_preview_options=NO_PREVIEW)
            shown = keyed or sent
            return SendResult.sent(str(shown.message_id) if shown is not None else None)
        except RetryAfter as exc:
            return SendResult.retry("429 Too Many Requests", after=_seconds(exc.retry_after))
        except (BadRequest, Forbidden, InvalidToken, ChatMigrated) as exc:
            return SendResult.final(f"{type(exc).__name__}: {exc.message}")
        except TimedOut:
            return SendResult.retry("timed out")
        except NetworkError as exc:
            return SendResult.retry(f"network: {exc.message}")

    async def _edit(self, chat_id: str, message: Rendered) -> SendResult:
        """Rewrite a message in place: its words (a photo's caption, or a text) and its buttons (none: removed).
        Which of the two it is was known when it was sent; a wrong guess is told apart by Telegram's answer."""
        assert message.edit is not None
        words = message.texts[0] if message.texts else ""
        # Without a reply_markup an edit takes the inline keyboard away (an empty one would be refused).
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(c.label, callback_data=c.key)]
                                       for c in message.buttons]) if message.buttons else None
        message_id = int(message.edit)
        order = ["caption", "text"] if message.caption is not None else ["text", "caption"]
        for kind in order:
            try:
                if kind == "caption":
                    await self.bot.edit_message_caption(caption=words[:CAPTION_LIMIT], reply_markup=markup,
                                                        chat_id=chat_id, message_id=message_id)
                else:
                    await self.bot.edit_message_text(text=words, reply_markup=markup, link_preview_options=NO_PREVIEW,
                                                     chat_id=chat_id, message_id=message_id)
                break
            except BadRequest as exc:
                wording = exc.message.lower()
                if "not modified" in wording:
                    break  # already reads so: nothing to do
                if f"no {kind} in the message" not in wording:
                    raise
        else:
            return SendResult.final("the message to edit has neither text nor caption")
        return SendResult.sent(message.edit)

    async def _load(self, attachment_id: int) -> tuple[bytes, str]:
        if self._load_attachment is None:
            raise BadRequest("no media store")
        content, _mime, kind = await self._load_attachment(attachment_id)
        return content, kind

    async def _send_album(self, chat_id: str, photos: list[bytes], caption: str | None) -> Any:
        """Photos as albums of up to ten (sendMediaGroup); a photo left alone after the last full album goes
        by itself, since an album holds two at least. The caption, if any, on the first photo."""
        sent = None
        for start in range(0, len(photos), ALBUM_SIZE):
            group = photos[start:start + ALBUM_SIZE]
            words = caption if start == 0 else None
            if len(group) == 1:
                sent = await self._send_file(chat_id, group[0], "photo", words)
                continue
            media = [InputMediaPhoto(media=p, caption=words if i == 0 else None) for i, p in enumerate(group)]
            sent = (await self.bot.send_media_group(chat_id=chat_id, media=media))[-1]
        return sent

    async def _send_file(self, chat_id: str, content: bytes, kind: str, caption: str | None = None,
                         markup: Any = None) -> Any:
        if kind == "photo":
            return await self.bot.send_photo(chat_id=chat_id, photo=content,
                                             caption=caption[:CAPTION_LIMIT] if caption else None,
                                             reply_markup=markup)
        if kind == "voice":
            return await self.bot.send_voice(chat_id=chat_id, voice=content)
        return await self.bot.send_document(chat_id=chat_id, document=content)

    async def fetch_media(self, ref: str) -> bytes:
        file = await self.bot.get_file(ref)
        return bytes(await file.download_as_bytearray())

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.bot.set_webhook(url=url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)


CAPTION_LIMIT = 1024  # Bot API: a photo's caption
ALBUM_SIZE = 10  # Bot API: photos in one sendMediaGroup
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # a map link in a card would otherwise unfold into a preview


def _chat_of(payload: dict[str, Any]) -> int | None:
    for key in ("message", "edited_message"):
        chat = (payload.get(key) or {}).get("chat") if isinstance(payload.get(key), dict) else None
        if isinstance(chat, dict) and isinstance(chat_id := chat.get("id"), int):
            return chat_id
    query = payload.get("callback_query")
    if isinstance(query, dict):
        message = query.get("message")
        if isinstance(message, dict) and isinstance(chat_id := (message.get("chat") or {}).get("id"), int):
            return chat_id
        sender = query.get("from")
        if isinstance(sender, dict) and isinstance(sender_id := sender.get("id"), int):
            return sender_id
    return None


def _markup(message: Rendered) -> Any:
    if message.request in ("location", "contact"):
        button = KeyboardButton(
            message.request_label or message.request, request_location=message.request == "location",
            request_contact=message.request == "contact",
        )
        labels = [[KeyboardButton(c.label)] for c in message.buttons]
        return ReplyKeyboardMarkup([[button], *labels], resize_keyboard=True, one_time_keyboard=True)
    if message.buttons:
        buttons = [InlineKeyboardButton(c.label, callback_data=c.key) for c in message.buttons]
        width = NUMBER_ROW if all(len(c.label) <= 3 for c in message.buttons) else 1
        return InlineKeyboardMarkup([buttons[i : i + width] for i in range(0, len(buttons), width)])
    return ReplyKeyboardRemove() if message.request == "remove" else None


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
