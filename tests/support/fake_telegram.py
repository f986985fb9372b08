"""A local Bot API server for tests: the real wire format, scripted users and scripted faults.

Every call is a POST to /bot<token>/<method>, form-encoded (JSON-encoded non-strings) or multipart; answers
are {"ok": true, "result": ...} or Telegram's error shape (429 carries parameters.retry_after).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.fake_server import FakeServer, wait_until

BOT_ID = 7000001
BOT_USERNAME = "TiepDanTestBot"


@dataclass
class Fault:
    method: str
    status: int
    retry_after: int | None = None
    remaining: int = 1
    description: str | None = None  # Telegram's words, e.g. "Bad Request: chat not found"


@dataclass
class FakeTelegram(FakeServer):
    token: str = "123456:TEST-token-abcdefghij"
    updates: list[dict[str, Any]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    webhook: dict[str, Any] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    edits: list[dict[str, Any]] = field(default_factory=list)  # editMessageText / editMessageCaption, in order

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._messages: dict[int, dict[str, Any]] = {}  # message id -> its chat and what it holds (for edits)
        self._albums = itertools.count(1)
        self._new_update = asyncio.Event()
        self._new_sent = asyncio.Event()
        self.confirmed_offset = 0
        self.fail_every: tuple[int, int] | None = None  # (n, status): every n-th send fails
        self._send_count = 0
        self.send_times: list[float] = []  # when each message was taken (monotonic): the achieved rate

    # --- the server --------------------------------------------------------------------------------------

    client_max_size = 50 * 1024 * 1024  # uploads: photos, voice, documents

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/bot{token}/{method}", self._api)
        router.add_get("/file/bot{token}/{path:.*}", self._file)

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "multipart/form-data":
            params: dict[str, Any] = {}
            reader = await request.multipart()
            async for part in reader:
                if part.filename:
                    params[part.name] = await part.read()
                else:
                    params[part.name] = await part.text()
            return {k: _decode(v) for k, v in params.items()}
        if request.content_type == "application/json":
            return dict(await request.json())
        form = await request.post()
        return {k: _decode(v) for k, v in form.items()}

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await self._params(request)
        self.calls.append((method, params))
        fault = self._fault_for(method)
        if fault is not None:
            return fault
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        return await handler(params)

    def _fault_for(self, method: str) -> web.Response | None:
        for fault in self.faults:
            if fault.method == method and fault.remaining > 0:
                fault.remaining -= 1
                if fault.status == 429:
                    return _error(429, f"Too Many Requests: retry after {fault.retry_after}",
                                  {"retry_after": fault.retry_after or 1})
                default = "Internal Server Error" if fault.status >= 500 else "Bad Request"
                return _error(fault.status, fault.description or default)
        if method.startswith("send") and self.fail_every is not None:
            self._send_count += 1
            n, status = self.fail_every
            if self._send_count % n == 0:
                if status == 429:
                    return _error(429, "Too Many Requests: retry after 1", {"retry_after": 1})
                return _error(status, "Internal Server Error")
        return None

    async def _file(self, request: web.Request) -> web.Response:
        content = self.files.get(request.match_info["path"])
        if content is None:
            return web.Response(status=404)
        return web.Response(body=content)

    # --- methods -----------------------------------------------------------------------------------------

    async def _m_getMe(self, _params: dict[str, Any]) -> web.Response:
        return _ok({"id": BOT_ID, "is_bot": True, "first_name": "Tiếp Dân", "username": BOT_USERNAME,
                    "can_join_groups": False, "can_read_all_group_messages": False,
                    "supports_inline_queries": False})

    async def _m_deleteWebhook(self, _params: dict[str, Any]) -> web.Response:
        self.webhook = {}
        return _ok(True)

    async def _m_setWebhook(self, params: dict[str, Any]) -> web.Response:
        self.webhook = params
        return _ok(True)

    async def _m_getUpdates(self, params: dict[str, Any]) -> web.Response:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        if offset:
            self.confirmed_offset = max(self.confirmed_offset, offset)
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + min(timeout, 2.0)
        while not self.updates and time.monotonic() < deadline:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break
        limit = int(params.get("limit") or 100)
        return _ok(self.updates[:limit])

    async def _record(self, method: str, params: dict[str, Any], extra: dict[str, Any]) -> web.Response:
        chat_id = int(params["chat_id"])
        message_id = next(self._message_ids)
        entry = {"method": method, "chat_id": chat_id, "message_id": message_id, **extra,
                 "reply_markup": params.get("reply_markup")}
        self.sent.append(entry)
        self._messages[message_id] = {"chat_id": chat_id, "text": method == "sendMessage",
                                      "caption": method in ("sendPhoto", "sendMediaGroup", "sendVoice", "sendDocument")}
        self.send_times.append(time.monotonic())
        self._new_sent.set()
        message = {"message_id": message_id, "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private"},
                   "from": {"id": BOT_ID, "is_bot": True, "first_name": "Tiếp Dân"}}
        if "text" in extra:
            message["text"] = extra["text"]
        return _ok(message)

    async def _m_sendMessage(self, params: dict[str, Any]) -> web.Response:
        text = str(params.get("text", ""))
        if not text or len(text) > 4096:
            return _error(400, "Bad Request: message is too long" if text else "Bad Request: message text is empty")
        return await self._record("sendMessage", params, {"text": text})

    async def _m_sendPhoto(self, params: dict[str, Any]) -> web.Response:
        extra = {"photo": params.get("photo"), "caption": params.get("caption")}
        if params.get("caption") and params.get("reply_markup"):
            extra["text"] = params["caption"]  # a card sent as its photo: the caption is the message the user reads
        return await self._record("sendPhoto", params, extra)

    async def _m_sendMediaGroup(self, params: dict[str, Any]) -> web.Response:
        """An album: each photo recorded as sent (method sendMediaGroup); the answer is one message per photo."""
        media = params.get("media")
        items = json.loads(media) if isinstance(media, str) else media
        if not isinstance(items, list) or not 2 <= len(items) <= 10:
            return _error(400, "Bad Request: wrong number of media in the album")
        if any(not isinstance(item, dict) or item.get("type") != "photo" for item in items):
            return _error(400, "Bad Request: only photos in this fake's albums")
        messages = []
        album = next(self._albums)  # which request: the photos of one album share it
        for item in items:
            ref = str(item.get("media", ""))
            photo = params.get(ref.removeprefix("attach://")) if ref.startswith("attach://") else ref
            answer = await self._record("sendMediaGroup", params,
                                        {"photo": photo, "caption": item.get("caption"), "album": album})
            messages.append(json.loads(answer.text)["result"])
        return _ok(messages)

    async def _m_sendVoice(self, params: dict[str, Any]) -> web.Response:
        return await self._record("sendVoice", params, {"voice": params.get("voice")})

    async def _m_sendDocument(self, params: dict[str, Any]) -> web.Response:
        return await self._record("sendDocument", params, {"document": params.get("document")})

    async def _m_answerCallbackQuery(self, _params: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _m_editMessageText(self, params: dict[str, Any]) -> web.Response:
        return self._edit("editMessageText", "text", params)

    async def _m_editMessageCaption(self, params: dict[str, Any]) -> web.Response:
        return self._edit("editMessageCaption", "caption", params)

    def _edit(self, method: str, holds: str, params: dict[str, Any]) -> web.Response:
        """As the Bot API: only a message the bot sent to that chat, and only the part it has (text/caption)."""
        message = self._messages.get(int(params.get("message_id") or 0))
        if message is None or message["chat_id"] != int(params["chat_id"]):
            return _error(400, "Bad Request: message to edit not found")
        if not message[holds]:
            return _error(400, f"Bad Request: there is no {holds} in the message to edit")
        self.edits.append({"method": method, "chat_id": int(params["chat_id"]),
                           "message_id": int(params["message_id"]), holds: params.get(holds),
                           "reply_markup": params.get("reply_markup")})
        self._new_sent.set()
        return _ok({"message_id": int(params["message_id"]), "date": int(time.time()),
                    "chat": {"id": message["chat_id"], "type": "private"}, holds: params.get(holds)})

    async def _m_getFile(self, params: dict[str, Any]) -> web.Response:
        file_id = str(params["file_id"])
        if file_id not in self.files:
            return _error(400, "Bad Request: invalid file_id")
        return _ok({"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(self.files[file_id]),
                    "file_path": file_id})

    # --- scripted users ----------------------------------------------------------------------------------

    def _user(self, chat_id: int, name: str = "Nguyễn Văn An") -> dict[str, Any]:
        return {"id": chat_id, "is_bot": False, "first_name": name, "language_code": "vi"}

    def _push(self, update: dict[str, Any]) -> dict[str, Any]:
        update["update_id"] = next(self._ids)
        self.updates.append(update)
        self._new_update.set()
        return update

    def message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        """An update as Telegram would send it (not queued): for webhook tests."""
        update = {"update_id": next(self._ids), "message": {
            "message_id": next(self._message_ids), "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "An"}, "from": self._user(chat_id),
            **content}}
        return update

    def says(self, chat_id: int, text: str) -> dict[str, Any]:
        update = self.message(chat_id, text=text)
        self.updates.append(update)
        self._new_update.set()
        return update

    def shares_contact(self, chat_id: int, phone: str, *, own: bool = True) -> dict[str, Any]:
        """The user presses a contact-request button (own=True) or forwards someone else's contact card."""
        contact = {"phone_number": phone, "first_name": "An", "user_id": chat_id if own else chat_id + 1}
        update = self.message(chat_id, contact=contact)
        self.updates.append(update)
        self._new_update.set()
        return update

    def sends_photo(self, chat_id: int, content: bytes, *, caption: str | None = None) -> dict[str, Any]:
        """A photo as Telegram delivers it: several sizes of one file id; the bytes wait behind getFile."""
        file_id = f"photo{next(self._message_ids)}"
        self.files[file_id] = content
        sizes = [{"file_id": f"{file_id}s", "file_unique_id": f"u{file_id}s", "width": 90, "height": 60,
                  "file_size": max(1, len(content) // 8)},
                 {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 800, "height": 600,
                  "file_size": len(content)}]
        update = self.message(chat_id, photo=sizes, **({"caption": caption} if caption else {}))
        self.updates.append(update)
        self._new_update.set()
        return update

    def sends_voice(self, chat_id: int, content: bytes, *, duration: int = 7) -> dict[str, Any]:
        file_id = f"voice{next(self._message_ids)}"
        self.files[file_id] = content
        voice = {"file_id": file_id, "file_unique_id": f"u{file_id}", "duration": duration,
                 "mime_type": "audio/ogg", "file_size": len(content)}
        update = self.message(chat_id, voice=voice)
        self.updates.append(update)
        self._new_update.set()
        return update

    def presses(self, chat_id: int, data: str) -> dict[str, Any]:
        return self._push({"callback_query": {
            "id": f"cq{next(self._message_ids)}", "chat_instance": "ci", "data": data,
            "from": self._user(chat_id),
            "message": {"message_id": 1, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"}},
        }})

    # --- reading what the bot sent -----------------------------------------------------------------------

    def texts_to(self, chat_id: int) -> list[str]:
        return [m["text"] for m in self.sent if m.get("chat_id") == chat_id and "text" in m]

    def last_buttons(self, chat_id: int) -> list[tuple[str, str]]:
        """(label, callback data) of the last inline keyboard sent to the chat."""
        for entry in reversed(self.sent):
            if entry.get("chat_id") == chat_id and entry.get("reply_markup"):
                markup = entry["reply_markup"]
                rows = markup.get("inline_keyboard") or []
                return [(b["text"], b["callback_data"]) for row in rows for b in row]
        return []

    async def wait_for(self, chat_id: int, count: int, within: float = 15.0) -> list[str]:
        """Wait until the chat has received at least `count` texts in total."""
        await wait_until(self._new_sent, lambda: len(self.texts_to(chat_id)) >= count, within,
                         lambda: f"chat {chat_id}: expected {count} messages, got {self.texts_to(chat_id)!r}")
        return self.texts_to(chat_id)

    async def wait_for_edits(self, chat_id: int, count: int, within: float = 15.0) -> list[dict[str, Any]]:
        """Wait until the chat's messages have been edited at least `count` times in total."""
        def found() -> list[dict[str, Any]]:
            return [e for e in self.edits if e["chat_id"] == chat_id]
        await wait_until(self._new_sent, lambda: len(found()) >= count, within,
                         lambda: f"chat {chat_id}: expected {count} edits, got {found()!r}")
        return found()

    def by_chat(self) -> dict[int, list[str]]:
        out: dict[int, list[str]] = defaultdict(list)
        for entry in self.sent:
            if "text" in entry:
                out[entry["chat_id"]].append(entry["text"])
        return out


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)
