"""A Bot API server for the crowd, webhook and fan-out benchmarks: updates pushed by simulated citizens,
long polling that answers as soon as one arrives, files behind getFile, and every send timed per chat.

It speaks the real wire format (POST /bot<token>/<method>, {"ok": true, "result": ...}, 429 with
parameters.retry_after) and runs in the benchmark's parent process, so the system under test has its own.
With `limits` it refuses sends beyond an overall and a per-chat rate, as Telegram does.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from tests.support.fake_server import FakeServer

BOT = {"id": 7000001, "is_bot": True, "first_name": "Tiếp Dân", "username": "TiepDanBenchBot",
       "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}
SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "sendVoice", "sendMediaGroup",
                          "editMessageText", "editMessageReplyMarkup"})
LONG_POLL_CAP = 1.0  # seconds a getUpdates waits for an update at most (the client asks again)


@dataclass(frozen=True)
class Limits:
    """Telegram's sending limits (or a time-scaled version of them): sends beyond are answered 429."""

    overall_per_second: float
    chat_per_second: float


@dataclass
class ChatLog:
    """What one chat received: the count of messages and the buttons of the last one that had any."""

    received: int = 0
    texts: list[str] = field(default_factory=list)
    buttons: list[str] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    first_reply_at: float | None = None


class FakeBotApi(FakeServer):
    def __init__(self, token: str, *, limits: Limits | None = None, keep_texts: bool = False) -> None:
        self.token = token
        self.limits = limits
        self.keep_texts = keep_texts
        self.updates: deque[str] = deque()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self.chats: dict[int, ChatLog] = {}
        self.files: dict[str, bytes] = {}
        self.sends = 0
        self.refused = 0  # 429 answers
        self.refused_by: Counter[str] = Counter()  # which limit each broke: "overall" or "chat"
        self.first_send: float | None = None
        self.last_send: float | None = None
        self._recent: deque[float] = deque()  # send times within the last second (overall limit)
        self._chat_last: dict[int, float] = {}
        self._all_sent = asyncio.Event()
        self.expected_sends = 0

    # --- the server ------------------------------------------------------------------------------------

    client_max_size = 50 * 1024 * 1024  # uploads: photos

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/bot{token}/{method}", self._api)
        router.add_get("/file/bot{token}/{path:.*}", self._file)

    # --- what citizens do ------------------------------------------------------------------------------

    def chat(self, chat_id: int) -> ChatLog:
        log = self.chats.get(chat_id)
        if log is None:
            log = self.chats[chat_id] = ChatLog()
        return log

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates (the id is assigned here)."""
        update["update_id"] = next(self._update_ids)
        self.updates.append(json.dumps(update))
        self._new_update.set()
        return update

    def new_update(self, chat_id: int, **content: Any) -> dict[str, Any]:
        """An update as Telegram would send it, not queued (for a webhook POST or `push`)."""
        user = {"id": chat_id, "is_bot": False, "first_name": "An", "language_code": "vi"}
        return {"update_id": next(self._update_ids), "message": {
            "message_id": next(self._message_ids), "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "An"}, "from": user, **content}}

    def text_update(self, chat_id: int, text: str) -> dict[str, Any]:
        return self.new_update(chat_id, text=text)

    def press_update(self, chat_id: int, data: str) -> dict[str, Any]:
        user = {"id": chat_id, "is_bot": False, "first_name": "An", "language_code": "vi"}
        return {"update_id": next(self._update_ids), "callback_query": {
            "id": f"cq{next(self._message_ids)}", "chat_instance": "ci", "data": data, "from": user,
            "message": {"message_id": 1, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"}}}}

    def photo_update(self, chat_id: int, content: bytes) -> dict[str, Any]:
        file_id = f"photo{chat_id}x{next(self._message_ids)}"
        self.files[file_id] = content
        sizes = [{"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 64, "height": 48,
                  "file_size": len(content)}]
        return self.new_update(chat_id, photo=sizes)

    async def replies(self, chat_id: int, count: int, within: float) -> ChatLog:
        """Wait until the chat has received at least `count` messages in all."""
        log = self.chat(chat_id)
        deadline = time.perf_counter() + within
        while log.received < count:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"chat {chat_id}: {log.received} of {count} messages")
            log.changed.clear()
            try:
                await asyncio.wait_for(log.changed.wait(), remaining)
            except TimeoutError:
                pass
        return log

    def expect_sends(self, count: int) -> None:
        self.expected_sends = count
        self._all_sent.clear()
        if self.sends >= count:
            self._all_sent.set()

    async def sent_all(self, within: float) -> bool:
        try:
            await asyncio.wait_for(self._all_sent.wait(), within)
        except TimeoutError:
            return False
        return True

    # --- the API ---------------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        if method == "getUpdates":
            return await self._get_updates(params)
        if method in SEND_METHODS:
            return self._send(method, params)
        if method == "getFile":
            file_id = str(params.get("file_id"))
            if file_id not in self.files:
                return _error(400, "Bad Request: invalid file_id")
            return _ok(json.dumps({"file_id": file_id, "file_unique_id": f"u{file_id}",
                                   "file_size": len(self.files[file_id]), "file_path": file_id}))
        if method == "getMe":
            return _ok(json.dumps(BOT))
        return _ok("true")  # deleteWebhook, setWebhook, answerCallbackQuery, ...

    async def _file(self, request: web.Request) -> web.Response:
        content = self.files.get(request.match_info["path"])
        return web.Response(status=404) if content is None else web.Response(body=content)

    async def _get_updates(self, params: dict[str, Any]) -> web.Response:
        offset = int(params.get("offset") or 0)
        while self.updates and offset and json.loads(self.updates[0])["update_id"] < offset:
            self.updates.popleft()  # confirmed by the offset
        if not self.updates:
            self._new_update.clear()
            wait = min(LONG_POLL_CAP, float(params.get("timeout") or 0))
            if wait > 0:
                try:
                    await asyncio.wait_for(self._new_update.wait(), wait)
                except TimeoutError:
                    pass
        limit = int(params.get("limit") or 100)
        batch = list(itertools.islice(self.updates, limit))
        return _ok("[" + ",".join(batch) + "]")

    def _refuse(self, chat_id: int, now: float) -> web.Response | None:
        if self.limits is None:
            return None
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        retry = 0.0
        if len(self._recent) >= self.limits.overall_per_second:
            retry = self._recent[0] + 1.0 - now
        last = self._chat_last.get(chat_id)
        if last is not None and now - last < 1.0 / self.limits.chat_per_second:
            retry = max(retry, last + 1.0 / self.limits.chat_per_second - now)
        if retry <= 0:
            self._recent.append(now)
            self._chat_last[chat_id] = now
            return None
        self.refused += 1
        self.refused_by["overall" if len(self._recent) >= self.limits.overall_per_second else "chat"] += 1
        return _error(429, f"Too Many Requests: retry after {max(1, round(retry))}",
                      {"retry_after": max(1, round(retry))})

    def _send(self, method: str, params: dict[str, Any]) -> web.Response:
        now = time.perf_counter()
        chat_id = int(params.get("chat_id") or 0)
        refused = self._refuse(chat_id, now)
        if refused is not None:
            return refused
        self.sends += 1
        if self.first_send is None:
            self.first_send = now
        self.last_send = now
        if self.expected_sends and self.sends >= self.expected_sends:
            self._all_sent.set()
        log = self.chat(chat_id)
        log.received += 1
        if log.first_reply_at is None:
            log.first_reply_at = now
        text = str(params.get("text") or params.get("caption") or "")
        if self.keep_texts:
            log.texts.append(text)
        markup = params.get("reply_markup")
        if isinstance(markup, str) and markup.startswith("{"):
            markup = json.loads(markup)
        if isinstance(markup, dict) and markup.get("inline_keyboard"):
            log.buttons = [b.get("callback_data", "") for row in markup["inline_keyboard"] for b in row]
        elif isinstance(markup, dict) and markup.get("keyboard"):  # a reply keyboard: pressing sends the label
            log.buttons = [b if isinstance(b, str) else b.get("text", "") for row in markup["keyboard"] for b in row]
        log.changed.set()
        if method.startswith("edit"):
            return _ok("true")
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private"},
                   "from": {"id": BOT["id"], "is_bot": True, "first_name": BOT["first_name"]}, "text": text[:64]}
        return _ok(json.dumps(message))


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        return dict(await request.json())
    if request.content_type.startswith("multipart/"):
        params: dict[str, Any] = {}
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):  # a nested multipart: no form field
                continue
            if part.filename:
                await part.read()
            elif part.name is not None:
                params[part.name] = await part.text()
        return params
    return dict(await request.post())


def _ok(result_json: str) -> web.Response:
    return web.Response(text='{"ok":true,"result":' + result_json + "}", content_type="application/json")


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)
