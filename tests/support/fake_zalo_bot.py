"""A local Zalo Bot API server for tests: the wire format of the open-source clients, scripted users and faults.

Every call is a POST to /bot<token>/<method> with a JSON (or form) body; answers are {"ok": true, "result": ...}
or {"ok": false, "error_code": .., "description": ..} - with HTTP 200, as Zalo does for some errors. getUpdates
hands out one update per call (no offset) or, after its long poll, error 408. Users write either through
getUpdates (polling) or, once `connect` points the fake at the bot's web app, as webhook POSTs carrying
X-Bot-Api-Secret-Token, bare or wrapped.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.support.fake_server import FakeServer, WebhookPusher, wait_until

MAX_TEXT = 2000
SECRET_HEADER = "X-Bot-Api-Secret-Token"


@dataclass
class Fault:
    method: str
    error_code: int
    http_status: int = 200
    remaining: int = 1


@dataclass
class FakeZaloBot(FakeServer):
    token: str = "1234567890:zalo-TEST-token-abcdef"
    updates: list[dict[str, Any]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    webhook: dict[str, Any] = field(default_factory=dict)
    deliveries: list[int] = field(default_factory=list)  # HTTP status of each webhook POST
    files: dict[str, bytes] = field(default_factory=dict)  # served at /files/<name>, like Zalo's CDN
    me: Any = field(default_factory=lambda: {"id": "bot-1", "account_name": "tiepdan.test", "account_type": "BASIC",
                                             "can_join_groups": False})  # getMe's result

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._new_sent = asyncio.Event()
        self._webhook = WebhookPusher(self._post, self.deliveries)
        self._secret = ""
        self._wrapped = False

    # --- the server --------------------------------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        """Settings that point the application at this server."""
        return {"zalo_bot_token": self.token, "zalo_api_base_url": self.base_url}

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/bot{token}/{method}", self._api)
        router.add_get("/files/{name}", self._file)

    async def stop(self) -> None:
        await self._webhook.stop()
        await super().stop()

    async def _file(self, request: web.Request) -> web.Response:
        content = self.files.get(request.match_info["name"])
        return web.Response(status=404) if content is None else web.Response(body=content, content_type="image/jpeg")

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized", http_status=401)
        method = request.match_info["method"]
        if request.content_type == "application/json":
            params = dict(await request.json())
        else:
            params = dict(await request.post())
        self.calls.append((method, params))
        fault = next((f for f in self.faults if f.method == method and f.remaining > 0), None)
        if fault is not None:
            fault.remaining -= 1
            return _error(fault.error_code, "Scripted fault", http_status=fault.http_status)
        handler: Callable[[dict[str, Any]], Awaitable[web.Response]] | None = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _error(404, "Method not found")
        return await handler(params)

    # --- methods -----------------------------------------------------------------------------------------

    async def _m_getMe(self, _params: dict[str, Any]) -> web.Response:
        return _ok(self.me)

    async def _m_getUpdates(self, params: dict[str, Any]) -> web.Response:
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 2.0)
        while not self.updates and time.monotonic() < deadline:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break
        if not self.updates:
            return _error(408, "Request timeout")
        return _ok(self.updates.pop(0))

    async def _m_setWebhook(self, params: dict[str, Any]) -> web.Response:
        secret = str(params.get("secret_token") or "")
        if not 8 <= len(secret) <= 256:
            return _error(400, "secret_token must be 8-256 characters")
        self.webhook = {"url": params.get("url"), "secret_token": secret}
        return _ok({"url": params.get("url"), "updated_at": _ms()})

    async def _m_deleteWebhook(self, _params: dict[str, Any]) -> web.Response:
        self.webhook = {}
        return _ok({"url": "", "updated_at": _ms()})

    async def _m_getWebhookInfo(self, _params: dict[str, Any]) -> web.Response:
        return _ok({"url": self.webhook.get("url", ""), "updated_at": _ms()})

    async def _m_sendMessage(self, params: dict[str, Any]) -> web.Response:
        text = str(params.get("text") or "")
        if not text:
            return _error(400, "text is empty")
        if len(text) > MAX_TEXT:
            return _error(400, "text is too long")
        return self._record("sendMessage", params, {"text": text})

    async def _m_sendPhoto(self, params: dict[str, Any]) -> web.Response:
        return self._record("sendPhoto", params, {"photo": params.get("photo"), "caption": params.get("caption")})

    def _record(self, method: str, params: dict[str, Any], extra: dict[str, Any]) -> web.Response:
        chat_id = str(params.get("chat_id") or "")
        if not chat_id:
            return _error(400, "chat_id is required")
        message_id = f"out{next(self._ids)}"
        self.sent.append({"method": method, "chat_id": chat_id, "message_id": message_id, **extra})
        self._new_sent.set()
        return _ok({"message_id": message_id, "date": _ms()})

    # --- scripted users ----------------------------------------------------------------------------------

    def message(self, user: str, event: str = "message.text.received", **content: Any) -> dict[str, Any]:
        """An update as Zalo would send it (not delivered): for webhook tests."""
        return {"event_name": event, "message": {
            "message_id": f"in{next(self._ids)}", "date": _ms(),
            "chat": {"id": user, "chat_type": "PRIVATE"},
            "from": {"id": user, "display_name": "Nguyễn Văn An", "is_bot": False}, **content}}

    def says(self, user: str, text: str) -> dict[str, Any]:
        return self.delivers(self.message(user, text=text))

    def sends_photo(self, user: str, photo: bytes | str, caption: str = "") -> dict[str, Any]:
        """A photo: its bytes (served by this fake, as Zalo's CDN would) or a URL."""
        if isinstance(photo, bytes):
            name = f"photo{next(self._ids)}.jpg"
            self.files[name] = photo
            photo = f"{self.base_url}/files/{name}"
        return self.delivers(self.message(user, "message.image.received", photo=photo, caption=caption))

    def delivers(self, update: dict[str, Any]) -> dict[str, Any]:
        """Hand an update over: to the webhook once `connect`ed, else to the next getUpdates."""
        if self._webhook.url is not None:
            self._webhook.push(update)
        else:
            self.updates.append(update)
            self._new_update.set()
        return update

    async def connect(self, bot_app: web.Application, secret: str, *, wrapped: bool = False) -> str:
        """Serve the bot's web app locally and deliver users' updates to its /zalo/webhook from now on."""
        self._secret, self._wrapped = secret, wrapped
        return await self._webhook.connect(bot_app, "/zalo/webhook")

    async def _post(self, http: aiohttp.ClientSession, url: str, update: dict[str, Any]) -> int:
        body = {"ok": True, "result": update} if self._wrapped else update
        async with http.post(url, json=body, headers={SECRET_HEADER: self._secret}) as response:
            return response.status

    async def all_delivered(self) -> None:
        """Until every update handed over so far was POSTed to the webhook or fetched by getUpdates."""
        await self._webhook.all_delivered()
        for _ in range(300):
            if not self.updates:
                return
            await asyncio.sleep(0.1)
        raise AssertionError("the bot did not fetch its updates")

    # --- reading what the bot sent -----------------------------------------------------------------------

    def texts_to(self, user: str) -> list[str]:
        return [m["text"] for m in self.sent if m["chat_id"] == user and "text" in m]

    def send_calls(self) -> int:
        """Every send the bot attempted, refused ones included."""
        return sum(1 for method, _ in self.calls if method.startswith("send"))

    async def wait_for(self, user: str, count: int, within: float = 20.0) -> list[str]:
        """Wait until the user has received at least `count` texts in total."""
        await wait_until(self._new_sent, lambda: len(self.texts_to(user)) >= count, within,
                         lambda: f"{user}: expected {count} messages, got {self.texts_to(user)!r}")
        return self.texts_to(user)


def _ms() -> int:
    return int(time.time() * 1000)


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str, *, http_status: int = 200) -> web.Response:
    return web.json_response({"ok": False, "error_code": code, "description": description}, status=http_status)
