"""A local Zalo Official Account platform for tests: OA send API, OAuth token refresh, signed webhook events.

- POST /v3.0/oa/message/cs, header access_token, JSON {"recipient": {"user_id"}, "message": {"text"}} ->
  {"error": 0, "data": {"message_id"}} or, for an unknown or expired token, {"error": -216, ...} (HTTP 200).
- POST /v4/oa/access_token, header secret_key, form refresh_token, app_id, grant_type=refresh_token -> a new
  access token AND a new refresh token; a refresh token works once, a second use is refused and counted.
- Users write through `says` & co. once `connect` serves the bot's web app: each event is POSTed to
  /zalo-oa/webhook with X-ZEvent-Signature: mac=sha256(app_id + body + timestamp + OA secret key).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.support.fake_server import FakeServer, WebhookPusher, wait_until

EXPIRED = -216
MAX_TEXT = 2000


@dataclass
class FakeZaloOA(FakeServer):
    app_id: str = "3608465249409039"
    app_secret: str = "app-secret-0123456789"
    secret_key: str = "oa-secret-key-ABCDEFGH"
    refresh_delay: float = 0.0  # seconds the OAuth server takes, to make concurrent refreshes overlap
    sent: list[dict[str, Any]] = field(default_factory=list)
    send_attempts: list[dict[str, Any]] = field(default_factory=list)  # every POST to the send API
    refreshes: list[str] = field(default_factory=list)  # refresh tokens presented, in order
    reused_refresh_tokens: list[str] = field(default_factory=list)
    deliveries: list[int] = field(default_factory=list)  # HTTP status of each webhook POST
    before_send: Callable[[str], Awaitable[None]] | None = None  # a test's look at the world, given the token
    files: dict[str, bytes] = field(default_factory=dict)  # served at /files/<name>, like Zalo's CDN
    clock: Any = None  # the bot's clock when a test drives time: events are stamped by it, as Zalo stamps now

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._generation = itertools.count(2)
        self.access_token = "access-1-abcdefgh"
        self.refresh_token = "refresh-1-abcdefgh"
        self._valid_access = {self.access_token}
        self._spent_refresh: set[str] = set()
        self._new_sent = asyncio.Event()
        self._webhook = WebhookPusher(self._post, self.deliveries)
        self._clock_ms = 0  # events are stamped with the time they happen (see event)

    # --- the server --------------------------------------------------------------------------------------

    def settings(self, **extra: Any) -> dict[str, Any]:
        """Settings that point the application at this platform, with its first pair of tokens."""
        return {
            "zalo_oa_app_id": self.app_id, "zalo_oa_app_secret": self.app_secret,
            "zalo_oa_secret_key": self.secret_key, "zalo_oa_access_token": "access-1-abcdefgh",
            "zalo_oa_refresh_token": "refresh-1-abcdefgh", "zalo_oa_api_base_url": self.base_url,
            "zalo_oa_oauth_base_url": self.base_url, **extra,
        }

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/v3.0/oa/message/cs", self._send)
        router.add_post("/v4/oa/access_token", self._refresh)
        router.add_get("/files/{name}", self._file)

    async def stop(self) -> None:
        await self._webhook.stop()
        await super().stop()

    def expire_access_token(self) -> None:
        """Zalo's access tokens last about a day: from now on the current one gets error -216."""
        self._valid_access.clear()

    async def _file(self, request: web.Request) -> web.Response:
        content = self.files.get(request.match_info["name"])
        return web.Response(status=404) if content is None else web.Response(body=content, content_type="image/jpeg")

    async def _send(self, request: web.Request) -> web.Response:
        token = request.headers.get("access_token", "")
        body = await request.json()
        self.send_attempts.append({"access_token": token, **body})
        if self.before_send is not None:
            await self.before_send(token)
        if token not in self._valid_access:
            return web.json_response({"error": EXPIRED, "message": "Access token is invalid"})
        user_id = str(((body.get("recipient") or {}).get("user_id")) or "")
        text = str(((body.get("message") or {}).get("text")) or "")
        image = _image_url((body.get("message") or {}).get("attachment"))
        if not user_id or not (text or image) or len(text) > MAX_TEXT:
            return web.json_response({"error": -201, "message": "Parameters are invalid"})
        message_id = f"oa-msg-{next(self._ids)}"
        self.sent.append({"user_id": user_id, "text": text, "message_id": message_id,
                          **({"image": image} if image else {})})
        self._new_sent.set()
        return web.json_response({"error": 0, "message": "Success",
                                  "data": {"message_id": message_id, "user_id": user_id}})

    async def _refresh(self, request: web.Request) -> web.Response:
        form = await request.post()
        token = str(form.get("refresh_token") or "")
        self.refreshes.append(token)
        if self.refresh_delay:
            await asyncio.sleep(self.refresh_delay)
        if (request.headers.get("secret_key") != self.app_secret or form.get("app_id") != self.app_id
                or form.get("grant_type") != "refresh_token"):
            return web.json_response({"error": -14002, "error_name": "Invalid parameter",
                                      "error_description": "app_id, secret_key or grant_type is wrong"})
        if token in self._spent_refresh:
            self.reused_refresh_tokens.append(token)
            return web.json_response({"error": -14014, "error_name": "Invalid refresh token",
                                      "error_description": "refresh token was already used"})
        if token != self.refresh_token:
            return web.json_response({"error": -14014, "error_name": "Invalid refresh token",
                                      "error_description": "unknown refresh token"})
        self._spent_refresh.add(token)
        generation = next(self._generation)
        self.access_token = f"access-{generation}-abcdefgh"
        self.refresh_token = f"refresh-{generation}-abcdefgh"
        self._valid_access = {self.access_token}
        return web.json_response({"access_token": self.access_token, "refresh_token": self.refresh_token,
                                  "expires_in": "90000"})

    # --- scripted users ----------------------------------------------------------------------------------

    def event(self, user: str, event_name: str, message: dict[str, Any] | None = None) -> dict[str, Any]:
        """An event as Zalo would POST it (not delivered): for webhook tests."""
        now_ms = int((self.clock.now().timestamp() if self.clock is not None else time.time()) * 1000)
        self._clock_ms = max(self._clock_ms + 1, now_ms)
        payload: dict[str, Any] = {
            "app_id": self.app_id, "user_id_by_app": f"app-{user}", "event_name": event_name,
            "sender": {"id": user}, "recipient": {"id": "oa-1"}, "timestamp": str(self._clock_ms),
        }
        if message is not None:
            payload["message"] = {"msg_id": f"msg-{next(self._ids)}", **message}
        return payload

    def signed(self, payload: dict[str, Any], *, secret_key: str | None = None) -> tuple[bytes, dict[str, str]]:
        """The raw body and headers of a webhook POST, signed with the OA secret key (or another one)."""
        body = json.dumps(payload, ensure_ascii=False).encode()
        key = self.secret_key if secret_key is None else secret_key
        mac = hashlib.sha256(self.app_id.encode() + body + str(payload.get("timestamp", "")).encode()
                             + key.encode()).hexdigest()
        return body, {"X-ZEvent-Signature": f"mac={mac}", "Content-Type": "application/json"}

    def says(self, user: str, text: str) -> dict[str, Any]:
        return self.delivers(self.event(user, "user_send_text", {"text": text}))

    def sends_image(self, user: str, image: bytes | str, caption: str = "") -> dict[str, Any]:
        """A photo: its bytes (served by this fake, as Zalo's CDN would) or a URL."""
        if isinstance(image, bytes):
            name = f"image{next(self._ids)}.jpg"
            self.files[name] = image
            image = f"{self.base_url}/files/{name}"
        url = image
        attachment = {"type": "image", "payload": {"thumbnail": url, "url": url}}
        return self.delivers(self.event(user, "user_send_image", {"text": caption, "attachments": [attachment]}))

    def sends_location(self, user: str, lat: float, lon: float) -> dict[str, Any]:
        attachment = {"type": "location", "payload": {"coordinates": {"latitude": str(lat), "longitude": str(lon)}}}
        return self.delivers(self.event(user, "user_send_location", {"attachments": [attachment]}))

    def delivers(self, payload: dict[str, Any]) -> dict[str, Any]:
        if self._webhook.url is None:
            raise RuntimeError("connect() the fake to the bot's web app first")
        self._webhook.push(payload)
        return payload

    async def connect(self, bot_app: web.Application) -> str:
        """Serve the bot's web app locally and POST users' events to its /zalo-oa/webhook from now on."""
        return await self._webhook.connect(bot_app, "/zalo-oa/webhook")

    async def _post(self, http: aiohttp.ClientSession, url: str, payload: dict[str, Any]) -> int:
        body, headers = self.signed(payload)
        async with http.post(url, data=body, headers=headers) as response:
            return response.status

    async def all_delivered(self) -> None:
        """Until every event handed over so far has been POSTed and answered."""
        await self._webhook.all_delivered()

    # --- reading what the bot sent -----------------------------------------------------------------------

    def texts_to(self, user: str) -> list[str]:
        return [m["text"] for m in self.sent if m["user_id"] == user and m["text"]]  # images carry no words

    async def wait_for(self, user: str, count: int, within: float = 20.0) -> list[str]:
        """Wait until the user has received at least `count` texts in total."""
        await wait_until(self._new_sent, lambda: len(self.texts_to(user)) >= count, within,
                         lambda: f"{user}: expected {count} messages, got {self.texts_to(user)!r}")
        return self.texts_to(user)


def _image_url(attachment: object) -> str | None:
    """The image URL of a media-template attachment ({"type": "template", "payload": {"template_type":
    "media", "elements": [{"media_type": "image", "url": ...}]}}), or None."""
    if not isinstance(attachment, dict) or attachment.get("type") != "template":
        return None
    payload = attachment.get("payload") or {}
    elements = payload.get("elements") or [] if isinstance(payload, dict) else []
    if payload.get("template_type") != "media" or not elements or not isinstance(elements[0], dict):
        return None
    url = elements[0].get("url")
    return url if elements[0].get("media_type") == "image" and isinstance(url, str) else None
