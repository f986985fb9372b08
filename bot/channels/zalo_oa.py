"""Zalo Official Account (OA API v3): how most government bodies already publish on Zalo.

Events reach `/zalo-oa/webhook` signed with X-ZEvent-Signature; replies go through the OA's customer-service
message API with an access token that expires and is refreshed (see zalo_oa_tokens.py). What the platform
decides (URLs, header names, body shapes, error numbers) comes from open-source integrations, not from
documentation we could read, and sits in the small functions and constants of this module.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import aiohttp

from bot.channels.base import UpdateRejected
from bot.channels.model import Inbound, InboundKind, MediaRef, Rendered, SendingRules, SendOutcome, SendResult
from bot.channels.zalo_http import ZaloHttp, json_or_none, network_failure, zalo_capabilities, zalo_id
from bot.channels.zalo_oa_tokens import FreshTokens, OATokens, TokensUnavailable
from bot.clock import Clock
from storage.uow import Database

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-ZEvent-Signature"
SEND_PATH = "/v3.0/oa/message/cs"
REFRESH_PATH = "/v4/oa/access_token"
EXPIRED_TOKEN = -216
PACE = SendingRules(overall_per_second=10.0, chat_burst=3, chat_per_second=1.0, max_attempts=8)

USER_EVENT = "user_send_"
KINDS = {
    "user_send_text": InboundKind.TEXT,
    "user_send_image": InboundKind.PHOTO,
    "user_send_location": InboundKind.LOCATION,
    "user_send_file": InboundKind.DOCUMENT,
    "user_send_audio": InboundKind.VOICE,
}
MEDIA = {InboundKind.PHOTO: "photo", InboundKind.DOCUMENT: "document", InboundKind.VOICE: "voice"}


MAX_EVENT_AGE = 15 * 60.0  # seconds either way: Zalo delivers within seconds; older events are replays
RAW_TIMESTAMP = re.compile(rb'"timestamp"\s*:\s*"?(\d{1,16})"?')
MAX_SCAN = 64 * 1024


def signature(app_id: str, body: bytes, timestamp: str, secret_key: str) -> str:
    """Zalo's event MAC: plain SHA-256 of app id + raw body + the body's timestamp + the OA secret key."""
    return hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret_key.encode()).hexdigest()


def _user_event(payload: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """(message id, sender id, message) of a user_send_* event, or UpdateRejected."""
    sender = payload.get("sender")
    message = payload.get("message")
    sender_id = zalo_id(sender.get("id")) if isinstance(sender, dict) else None
    msg_id = zalo_id(message.get("msg_id")) if isinstance(message, dict) else None
    if sender_id is None or msg_id is None or not isinstance(message, dict):
        raise UpdateRejected("a user event needs sender.id and message.msg_id")
    return msg_id, sender_id, message


def _attachments(message: dict[str, Any]) -> list[dict[str, Any]]:
    found = message.get("attachments")
    return [a for a in found if isinstance(a, dict)] if isinstance(found, list) else []


def _payload_of(attachment: dict[str, Any]) -> dict[str, Any]:
    inner = attachment.get("payload")
    return inner if isinstance(inner, dict) else {}


def send_outcome(status: int, body: Any) -> SendResult:
    """An OA API answer as a send result (the token's expiry is handled before this)."""
    if status == 429 or status >= 500:
        return SendResult.retry(f"HTTP {status}")
    if not isinstance(body, dict):
        return SendResult.final(f"HTTP {status} without a JSON body")
    error = body.get("error")
    if error == 0:
        data = found if isinstance(found := body.get("data"), dict) else {}
        return SendResult.sent(zalo_id(data.get("message_id")))
    if error == EXPIRED_TOKEN:
        return SendResult.retry("access token still refused after a refresh")
    return SendResult.final(f"{error}: {body.get('message') or 'refused'}")


class OAApi(ZaloHttp):
    def __init__(self, api_base: str, oauth_base: str, *, timeout: float = 15.0) -> None:
        super().__init__(timeout=timeout)
        self.api_base, self.oauth_base = api_base.rstrip("/"), oauth_base.rstrip("/")

    async def send_text(self, access_token: str, user_id: str, text: str) -> tuple[int, Any]:
        body = {"recipient": {"user_id": user_id}, "message": {"text": text}}
        async with self.session.post(f"{self.api_base}{SEND_PATH}", json=body,
                                     headers={"access_token": access_token}) as response:
            return response.status, await json_or_none(response)

    async def send_image(self, access_token: str, user_id: str, url: str, text: str = "") -> tuple[int, Any]:
        """A photo by URL (Zalo fetches it), as a media template; the words ride with it."""
        attachment = {"type": "template", "payload": {"template_type": "media",
                                                      "elements": [{"media_type": "image", "url": url}]}}
        body = {"recipient": {"user_id": user_id}, "message": {"text": text, "attachment": attachment}}
        async with self.session.post(f"{self.api_base}{SEND_PATH}", json=body,
                                     headers={"access_token": access_token}) as response:
            return response.status, await json_or_none(response)

    async def refresh(self, app_id: str, app_secret: str, refresh_token: str) -> FreshTokens:
        form = {"refresh_token": refresh_token, "app_id": app_id, "grant_type": "refresh_token"}
        async with self.session.post(f"{self.oauth_base}{REFRESH_PATH}", data=form,
                                     headers={"secret_key": app_secret}) as response:
            status, body = response.status, await json_or_none(response)
        if isinstance(body, dict) and isinstance(body.get("access_token"), str) and body.get("refresh_token"):
            expires = body.get("expires_in")
            try:
                seconds = float(expires) if expires is not None else None
            except (TypeError, ValueError):
                seconds = None
            return FreshTokens(body["access_token"], str(body["refresh_token"]), seconds)
        reason = body.get("error_description") or body.get("error_name") if isinstance(body, dict) else None
        raise TokensUnavailable(f"Zalo refused the token refresh (HTTP {status}): {reason or 'no reason given'}")


class ZaloOAChannel:
    name = "zalo_oa"
    # Photos go by URL (a signed, expiring link to our media route) when one can be made; else text only.
    capabilities = zalo_capabilities(photos=False)

    def __init__(self, db: Database, clock: Clock, *, app_id: str, app_secret: str, secret_key: str,
                 api_base: str, oauth_base: str, rules: SendingRules = PACE,
                 access_token: str | None = None, refresh_token: str | None = None,
                 max_event_age: float = MAX_EVENT_AGE, media_url: Callable[[int], str] | None = None) -> None:
        self.app_id, self._secret_key = app_id, secret_key
        self.clock, self.max_event_age = clock, max_event_age
        self._media_url = media_url
        self.capabilities = zalo_capabilities(photos=media_url is not None)
        self.rules = rules
        self.api = OAApi(api_base, oauth_base)
        self.tokens = OATokens(db, clock, app_id, lambda token: self.api.refresh(app_id, app_secret, token))
        self._bootstrap = (access_token, refresh_token)

    async def start(self) -> None:
        await self.tokens.seed(*self._bootstrap)
        if not await self.tokens.stored():
            log.error("Zalo OA has no tokens: set ZALO_OA_REFRESH_TOKEN (and ZALO_OA_ACCESS_TOKEN)")

    async def stop(self) -> None:
        await self.api.close()

    # --- receiving ---------------------------------------------------------------------------------------

    def verify(self, header: str | None, body: bytes) -> str | None:
        """The event's timestamp when its MAC is Zalo's for our app, else None; read from the raw bytes, so
        nothing an outsider sent is parsed before it is known to come from Zalo."""
        if not header or not header.strip().startswith("mac="):
            return None
        found = RAW_TIMESTAMP.findall(body[:MAX_SCAN])
        if len(found) != 1:  # none, or two (one for the MAC, another for the parser): refused
            return None
        timestamp = found[0].decode("ascii")
        expected = signature(self.app_id, body, timestamp, self._secret_key)
        given = header.strip().removeprefix("mac=").strip().lower()
        return timestamp if hmac.compare_digest(given.encode(), expected.encode()) else None

    def accept(self, timestamp: str, payload: dict[str, Any]) -> bool:
        """A verified event, parsed: the same timestamp, our app, and recent (a replayed old event is refused)."""
        if str(payload.get("timestamp")) != timestamp or isinstance(payload.get("timestamp"), bool):
            return False
        if "app_id" in payload and str(payload["app_id"]) != self.app_id:
            return False
        if self.max_event_age <= 0:
            return True
        age = self.clock.now().timestamp() - int(timestamp) / 1000
        return -self.max_event_age <= age <= self.max_event_age

    def identify(self, payload: dict[str, Any]) -> tuple[str, str]:
        event = payload.get("event_name")
        if not isinstance(event, str) or not event:
            raise UpdateRejected("event_name is missing")
        if event.startswith(USER_EVENT):
            msg_id, sender_id, _ = _user_event(payload)
            return msg_id, sender_id
        # follow, unfollow, the OA's own messages echoed back: stored (and acknowledged), then ignored.
        people = [payload.get(k) for k in ("follower", "recipient", "sender")]
        ids = (zalo_id(p.get("id")) for p in people if isinstance(p, dict))
        who = next((i for i in ids if i), "-")
        message = payload.get("message")
        echoed = zalo_id(message.get("msg_id")) if isinstance(message, dict) else None
        return f"{event}:{echoed or who}:{payload.get('timestamp')}"[:128], "-"

    def to_inbound(self, payload: dict[str, Any]) -> Inbound | None:
        event = payload.get("event_name")
        if not isinstance(event, str) or not event.startswith(USER_EVENT):
            return None
        msg_id, sender_id, message = _user_event(payload)
        base: dict[str, Any] = {"channel": self.name, "chat_id": sender_id, "user_id": sender_id,
                                "message_id": msg_id}
        kind = KINDS.get(event, InboundKind.UNSUPPORTED)
        text = found if isinstance(found := message.get("text"), str) else ""
        if kind is InboundKind.TEXT:
            return Inbound(kind=kind, text=text, **base)
        if kind is InboundKind.LOCATION:
            return self._location(message, base)
        if kind in MEDIA:
            refs = tuple(
                MediaRef(MEDIA[kind], str(p["url"]), size=p.get("size") if isinstance(p.get("size"), int) else None,
                         name=p.get("name") if isinstance(p.get("name"), str) else None)
                for p in map(_payload_of, _attachments(message)) if isinstance(p.get("url"), str)
            )
            if refs:
                return Inbound(kind=kind, text=text, media=refs, **base)
        return Inbound(kind=InboundKind.UNSUPPORTED, **base)

    def _location(self, message: dict[str, Any], base: dict[str, Any]) -> Inbound:
        for attachment in _attachments(message):
            coordinates = _payload_of(attachment).get("coordinates")
            if isinstance(coordinates, dict):
                try:
                    lat, lon = float(coordinates["latitude"]), float(coordinates["longitude"])
                except (KeyError, TypeError, ValueError):
                    continue
                if -90 <= lat <= 90 and -180 <= lon <= 180:
                    return Inbound(kind=InboundKind.LOCATION, lat=lat, lon=lon, **base)
        return Inbound(kind=InboundKind.UNSUPPORTED, **base)

    # --- sending -----------------------------------------------------------------------------------------

    async def send(self, chat_id: str, message: Rendered) -> SendResult:
        text = message.texts[0] if message.texts else ""
        photos = [self._media_url(i) for i in message.attachment_ids] if self._media_url is not None else []
        if not text and not photos:
            return SendResult.sent()
        try:
            token = await self.tokens.current()
            if not token:
                token = await self.tokens.refresh(token)
            outcome = SendResult.sent()
            for url in photos:
                outcome = await self._with_token(token, partial(self.api.send_image, user_id=chat_id, url=url))
                if outcome.outcome is not SendOutcome.SENT:
                    return outcome
            if text:
                outcome = await self._with_token(token, lambda t: self.api.send_text(t, chat_id, text))
            return outcome
        except TokensUnavailable as exc:
            log.error("Zalo OA cannot send: %s", exc)
            return SendResult.retry(str(exc))
        except (TimeoutError, aiohttp.ClientError) as exc:
            return network_failure(exc)

    async def _with_token(self, token: str, call: Callable[[str], Awaitable[tuple[int, Any]]]) -> SendResult:
        status, body = await call(token)
        if isinstance(body, dict) and body.get("error") == EXPIRED_TOKEN:
            status, body = await call(await self.tokens.refresh(token))
        return send_outcome(status, body)

    async def fetch_media(self, ref: str) -> bytes:
        return await self.api.download(ref)
