"""A Bot API server for benchmarks: a backlog served as fast as it is fetched, and every send counted.

Unlike the test server it scripts nothing and keeps no transcript: updates are serialised once up front,
getUpdates answers at once while the backlog lasts (no long-poll wait), and sendMessage only counts and
notes the time. It runs in the benchmark's parent process, so the system under test has its own.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp import web

from tests.support.fake_server import FakeServer

BOT = {"id": 7000001, "is_bot": True, "first_name": "Tiếp Dân", "username": "TiepDanBenchBot",
       "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}
EMPTY_WAIT = 0.2  # seconds a getUpdates waits when the backlog is empty (the client asks again)


class BacklogApi(FakeServer):
    def __init__(self, token: str) -> None:
        self.token = token
        self.load(0, 1, "")

    def load(self, updates: int, chats: int, text: str) -> None:
        """A fresh backlog: `updates` messages saying `text`, spread round-robin over `chats` chats."""
        self._backlog = [_update(i, 900_000_000 + i % chats, text) for i in range(1, updates + 1)]
        self.sends = 0
        self.first_fetch: float | None = None
        self.last_send: float | None = None
        self._done = asyncio.Event()
        self._expected = updates

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/bot{token}/{method}", self._api)

    async def sent_all(self, within: float) -> bool:
        """True once there is one send per update in the backlog."""
        try:
            await asyncio.wait_for(self._done.wait(), within)
        except TimeoutError:
            return False
        return True

    @property
    def seconds(self) -> float:
        if self.first_fetch is None or self.last_send is None:
            return float("nan")
        return self.last_send - self.first_fetch

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params = await _params(request)
        if method == "getUpdates":
            return await self._get_updates(params)
        if method == "sendMessage":
            return self._send_message(params)
        if method == "getMe":
            return _ok(json.dumps(BOT))
        return _ok("true")  # deleteWebhook, answerCallbackQuery, ...

    async def _get_updates(self, params: dict[str, Any]) -> web.Response:
        if self.first_fetch is None:
            self.first_fetch = time.perf_counter()
        offset = max(1, int(params.get("offset") or 1))  # update ids are 1..N: offset n confirms all before n
        limit = int(params.get("limit") or 100)
        batch = self._backlog[offset - 1 : offset - 1 + limit]
        if not batch:
            await asyncio.sleep(min(EMPTY_WAIT, float(params.get("timeout") or 0)))
        return _ok("[" + ",".join(batch) + "]")

    def _send_message(self, params: dict[str, Any]) -> web.Response:
        self.sends += 1
        self.last_send = time.perf_counter()
        if self.sends >= self._expected:
            self._done.set()
        chat = int(params["chat_id"])
        message = {"message_id": self.sends, "date": int(time.time()), "chat": {"id": chat, "type": "private"},
                   "from": {"id": BOT["id"], "is_bot": True, "first_name": BOT["first_name"]},
                   "text": str(params.get("text", ""))[:64]}
        return _ok(json.dumps(message))


def _update(update_id: int, chat: int, text: str) -> str:
    user = {"id": chat, "is_bot": False, "first_name": "An", "language_code": "vi"}
    return json.dumps({"update_id": update_id, "message": {
        "message_id": update_id, "date": 1_767_225_600, "chat": {"id": chat, "type": "private", "first_name": "An"},
        "from": user, "text": text}})


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        return dict(await request.json())
    if request.content_type.startswith("multipart/"):
        return {}
    return dict(await request.post())


def _ok(result_json: str) -> web.Response:
    return web.Response(text='{"ok":true,"result":' + result_json + "}", content_type="application/json")
