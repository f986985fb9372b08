"""The Zalo Bot API (Telegram-like, `{base}/bot{TOKEN}/{method}`), spoken with aiohttp.

No documentation could be read offline: what the platform decides (URLs, method names, body shapes, error
codes) comes from open-source clients and sits in the small functions and constants of this module, so a
correction is a one-line change. Webhook mode (`bot/web/zalo_webhooks.py`) is the production path; polling is
for development: getUpdates has no offset, so an update fetched just before a crash is lost (a webhook retry
is not), which is acceptable on a developer's machine only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bot.channels.base import UpdateRejected
from bot.channels.model import Inbound, InboundKind, MediaRef, Rendered, SendingRules, SendResult
from bot.channels.zalo_http import ZaloHttp, json_or_none, network_failure, zalo_capabilities, zalo_id
from bot.workers.supervise import Outage, is_transient

log = logging.getLogger(__name__)

StoreUpdates = Callable[[str, list[dict[str, Any]]], Awaitable[None]]
MediaUrl = Callable[[int], str]  # attachment id -> a URL Zalo can fetch (sendPhoto takes a URL, not a file)

NOTHING_YET = 408  # getUpdates: the long poll ended with no update
PACE = SendingRules(overall_per_second=20.0, chat_burst=3, chat_per_second=1.0, max_attempts=8)

TEXT = "message.text.received"
IMAGE = "message.image.received"
STICKER = "message.sticker.received"
VOICE = "message.voice.received"
UNSUPPORTED = "message.unsupported.received"


class ZaloBotError(Exception):
    """The platform said no: a non-2xx answer, or a 200 with `"ok": false`."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(f"{code}: {description}")
        self.code, self.description = code, description


def reply_result(status: int, body: Any) -> Any:
    """The `result` of an `{"ok": true, "result": ...}` envelope, or ZaloBotError."""
    if status < 300 and isinstance(body, dict) and body.get("ok") is True:
        return body.get("result")
    if isinstance(body, dict):
        code = body.get("error_code")
        code = code if isinstance(code, int) and not isinstance(code, bool) else status
        raise ZaloBotError(code, str(body.get("description") or body.get("message") or f"HTTP {status}"))
    raise ZaloBotError(status, f"HTTP {status} without a JSON body")


def unwrap_update(payload: Any) -> dict[str, Any]:
    """A webhook body is either the bare update or `{"ok": .., "result": update}`: both come out bare."""
    if isinstance(payload, dict) and "result" in payload and "event_name" not in payload:
        payload = payload["result"]
    if not isinstance(payload, dict):
        raise UpdateRejected("an update is a JSON object")
    if not isinstance(payload.get("event_name"), str):
        raise UpdateRejected("event_name is missing")
    message = payload.get("message")
    if not isinstance(message, dict):
        raise UpdateRejected("message is missing")
    if zalo_id(message.get("message_id")) is None:
        raise UpdateRejected("message.message_id is missing")
    chat = message.get("chat")
    if not isinstance(chat, dict) or zalo_id(chat.get("id")) is None:
        raise UpdateRejected("message.chat.id is missing")
    return payload


def classify_error(exc: ZaloBotError) -> SendResult:
    if exc.code == 429:
        return SendResult.retry(f"429: {exc.description}")
    if exc.code >= 500:
        return SendResult.retry(f"{exc.code}: {exc.description}")
    return SendResult.final(f"{exc.code}: {exc.description}")


class ZaloBotApi(ZaloHttp):
    """The HTTP calls; every method is a POST with a JSON body."""

    def __init__(self, token: str, base_url: str, *, timeout: float = 15.0) -> None:
        super().__init__(timeout=timeout)
        self._root = f"{base_url.rstrip('/')}/bot{token}"

    async def call(self, method: str, params: dict[str, Any] | None = None, *, seconds: float | None = None) -> Any:
        limit = aiohttp.ClientTimeout(total=seconds or self._timeout)
        async with self.session.post(f"{self._root}/{method}", json=params or {}, timeout=limit) as response:
            return reply_result(response.status, await json_or_none(response))

    async def get_me(self) -> dict[str, Any]:
        result = await self.call("getMe")
        return result if isinstance(result, dict) else {}

    async def get_updates(self, wait: int) -> list[dict[str, Any]]:
        """One update or none, after at most `wait` seconds (an object or a list, clients disagree: both read)."""
        result = await self.call("getUpdates", {"timeout": wait}, seconds=wait + 10)
        if isinstance(result, list):
            return [u for u in result if isinstance(u, dict)]
        return [result] if isinstance(result, dict) else []

    async def send_message(self, chat_id: str, text: str) -> Any:
        return await self.call("sendMessage", {"chat_id": chat_id, "text": text})

    async def send_photo(self, chat_id: str, photo_url: str, caption: str | None = None) -> Any:
        params = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            params["caption"] = caption
        return await self.call("sendPhoto", params)

    async def set_webhook(self, url: str, secret_token: str) -> Any:
        return await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> Any:
        return await self.call("deleteWebhook")


class ZaloBotChannel:
    name = "zalo"

    def __init__(self, token: str, base_url: str, *, rules: SendingRules = PACE, media_url: MediaUrl | None = None,
                 poll_timeout: int = 30) -> None:
        self.api = ZaloBotApi(token, base_url)
        self.rules = rules
        self.capabilities = zalo_capabilities(photos=media_url is not None)
        self.poll_timeout = poll_timeout
        self._media_url = media_url

    async def start(self) -> None:
        try:
            me = await self.api.get_me()
            log.info("Zalo bot: %s", (me or {}).get("account_name") or (me or {}).get("display_name") or "ready")
        except (ZaloBotError, aiohttp.ClientError, TimeoutError) as exc:
            # Not fatal: the network may come back; sending and polling retry on their own.
            log.error("Zalo Bot API getMe failed: %s", exc)

    async def stop(self) -> None:
        await self.api.close()

    # --- receiving ---------------------------------------------------------------------------------------

    def identify(self, payload: dict[str, Any]) -> tuple[str, str]:
        message = unwrap_update(payload)["message"]
        return str(zalo_id(message["message_id"])), str(zalo_id(message["chat"]["id"]))

    def to_inbound(self, payload: dict[str, Any]) -> Inbound | None:
        update = unwrap_update(payload)
        message = update["message"]
        sender = message.get("from") if isinstance(message.get("from"), dict) else {}
        chat = message["chat"]
        if sender.get("is_bot") is True or str(chat.get("chat_type") or "PRIVATE").upper() != "PRIVATE":
            return None
        chat_id = str(zalo_id(chat["id"]))
        base: dict[str, Any] = {
            "channel": self.name, "chat_id": chat_id, "user_id": zalo_id(sender.get("id")) or chat_id,
            "display_name": name if isinstance(name := sender.get("display_name"), str) else None,
            "message_id": str(zalo_id(message["message_id"])),
        }
        event = update["event_name"]
        if event == TEXT and isinstance(message.get("text"), str):
            return Inbound(kind=InboundKind.TEXT, text=message["text"], **base)
        if event == IMAGE and isinstance(message.get("photo"), str):
            ref = MediaRef("photo", message["photo"], "image/jpeg")
            return Inbound(kind=InboundKind.PHOTO, text=str(message.get("caption") or ""), media=(ref,), **base)
        if event == VOICE and isinstance(message.get("voice"), str):
            return Inbound(kind=InboundKind.VOICE, media=(MediaRef("voice", message["voice"]),), **base)
        return Inbound(kind=InboundKind.UNSUPPORTED, **base)  # stickers and the like get a polite answer

    async def poll(self, store: StoreUpdates, *, stop: asyncio.Event | None = None) -> None:
        """Development mode: long polling (the webhook must be off, the two exclude each other)."""
        webhook_off = False
        fetching = Outage("zalo getUpdates", log)
        while stop is None or not stop.is_set():
            try:
                if not webhook_off:
                    await self.api.delete_webhook()
                    webhook_off = True
                updates = await self.api.get_updates(self.poll_timeout)
                fetching.ok()
            except ZaloBotError as exc:
                if exc.code == NOTHING_YET:
                    fetching.ok()
                    continue
                await asyncio.sleep(fetching.failed(exc))
                continue
            except (aiohttp.ClientError, TimeoutError) as exc:
                await asyncio.sleep(fetching.failed(exc))
                continue
            for update in updates:
                await self._store(store, update)

    async def _store(self, store: StoreUpdates, update: dict[str, Any]) -> None:
        """Keep trying until the update is in the inbox: polling cannot ask Zalo for it again."""
        outage = Outage(f"{self.name} polling: storing an update", log)
        while True:
            try:
                await store(self.name, [unwrap_update(update)])
                outage.ok()
                return
            except UpdateRejected as exc:
                log.warning("Zalo update ignored: %s", exc)
                return
            except Exception as exc:
                if is_transient(exc):  # a database outage: said once, not once a second
                    await asyncio.sleep(min(5.0, outage.failed(exc)))
                    continue
                log.exception("could not store a Zalo update; retrying")
                await asyncio.sleep(1.0)

    # --- sending -----------------------------------------------------------------------------------------

    async def send(self, chat_id: str, message: Rendered) -> SendResult:
        try:
            sent: Any = None
            for attachment_id in message.attachment_ids:
                if self._media_url is not None:
                    sent = await self.api.send_photo(chat_id, self._media_url(attachment_id))
            text = message.texts[0] if message.texts else ""
            if text:
                sent = await self.api.send_message(chat_id, text)
            return SendResult.sent(zalo_id(sent.get("message_id")) if isinstance(sent, dict) else None)
        except ZaloBotError as exc:
            return classify_error(exc)
        except (TimeoutError, aiohttp.ClientError) as exc:
            return network_failure(exc)

    async def fetch_media(self, ref: str) -> bytes:
        return await self.api.download(ref)

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.api.set_webhook(url, secret)
