"""A web chat visitor without a browser: the page's cookie, a real WebSocket, the transcript as the page sees it.

Also the app served on a real 127.0.0.1 port, and a driver that walks a citizen through a report by reading
the choices the bot offers (the report flow's questions may change; the driver follows them).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import func, select

from bot.container import Container
from bot.web.app import SafeAccessLog
from bot.web.proof import solve
from storage.models import WebMessage
from storage.uow import Database
from tests.support.settling import idle

TRACKING_CODE = re.compile(r"\b([A-Z]{2}-\d{4}-\d{6})\b")
PIN = re.compile(r"PIN[^0-9]{0,40}(\d{6})")
# What a citizen reporting flooding in Sao Đỏ picks, in order of preference, whatever the question.
PREFERRED_KEYS = ("agree", "report", "ngap_nuoc", "SAODO", "send", "confirm", "yes", "skip", "no_photo", "public")
DESCRIPTION = "Nước ngập sâu 40cm trước số nhà 12 đường Nguyễn Trãi, phường Sao Đỏ từ sáng nay."
TYPED_ANSWERS = (DESCRIPTION, "Sao Đỏ", "12 Nguyễn Trãi, Sao Đỏ", "không")
# The database behind each URL `serving` opened: a visitor there knows the bot is done by asking it.
_SERVED: dict[str, Database] = {}


@contextlib.asynccontextmanager
async def serving(container: Container) -> AsyncIterator[str]:
    """The container's web app on a free 127.0.0.1 port, with its workers running; yields the base URL."""
    await container.start_channels()
    container.start_workers()
    runner = web.AppRunner(container.web_app(), access_log_class=SafeAccessLog)  # as `serve` does
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    _SERVED[base] = container.db
    try:
        yield base
    finally:
        _SERVED.pop(base, None)
        await runner.cleanup()
        await container.stop()


async def _written(db: Database, seen: set[int]) -> int:
    """How many messages the bot has written to the chat of the web messages `seen`."""
    if not seen:
        return 0
    async with db.unit_of_work(readonly=True) as uow:
        chat = (await uow.session.execute(
            select(WebMessage.chat_id).where(WebMessage.id == max(seen)))).scalar_one_or_none()
        if chat is None:
            return 0
        return int((await uow.session.execute(select(func.count(WebMessage.id)).where(
            WebMessage.chat_id == chat, WebMessage.direction == "out"))).scalar_one())


class WebVisitor:
    def __init__(self, base_url: str, *, seat: str | None = None, language: str | None = None,
                 address: str | None = None) -> None:
        self.base_url, self.seat, self.language = base_url, seat, language
        self.address = address  # the visitor's own address, told by a trusted proxy (X-Forwarded-For)
        self.session: aiohttp.ClientSession | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.messages: dict[int, dict[str, Any]] = {}
        self.frames: list[dict[str, Any]] = []
        self.history: list[dict[str, Any]] = []
        self.last_sent: str | None = None  # the visitor's latest message id, until the bot has answered it
        self._changed = asyncio.Condition()
        self._reader: asyncio.Task[None] | None = None

    def query(self) -> str:
        params = [f"as={self.seat}"] if self.seat else []
        params += [f"lang={self.language}"] if self.language else []
        return "?" + "&".join(params) if params else ""

    async def open(self) -> WebVisitor:
        headers = {"X-Forwarded-For": self.address} if self.address else None
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), headers=headers)
        async with self.session.get(f"{self.base_url}/chat{self.query()}") as page:
            assert page.status == 200
        await self.connect()
        return self

    async def connect(self) -> None:
        assert self.session is not None
        self.ws = await self.session.ws_connect(f"{self.base_url}/chat/ws{self.query()}", origin=self.base_url)
        hello = await self.ws.receive_json(timeout=30)
        assert hello["type"] == "hello"
        history = await self.ws.receive_json(timeout=30)
        assert history["type"] == "history"
        if hello.get("proof"):  # the human check, solved as the page's script does
            nonce = await asyncio.to_thread(solve, hello["proof"]["challenge"], hello["proof"]["bits"])
            await self.ws.send_json({"type": "proof", "nonce": nonce})
        self.history = history["messages"]
        self.frames = []  # acknowledgements and errors of the previous socket are that page's business
        for message in self.history:
            self.messages[message["id"]] = message
        self._reader = asyncio.create_task(self._read(self.ws))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            frame = message.json()
            async with self._changed:
                self.frames.append(frame)
                if frame["type"] == "message":
                    self.messages[frame["id"]] = frame
                self._changed.notify_all()

    async def closed_by_server(self, within: float = 60.0) -> int | None:
        """Wait until the server closes this socket; its close code."""
        assert self._reader is not None and self.ws is not None
        await asyncio.wait_for(asyncio.shield(self._reader), within)
        return self.ws.close_code

    async def disconnect(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
        self.ws = self._reader = None

    async def close(self) -> None:
        await self.disconnect()
        if self.session is not None:
            await self.session.close()

    # --- sending -----------------------------------------------------------------------------------------

    async def send(self, frame: dict[str, Any]) -> str:
        assert self.ws is not None
        frame.setdefault("id", uuid.uuid4().hex)
        self.last_sent = None if frame["type"] == "start" else str(frame["id"])
        await self.ws.send_json(frame)
        return str(frame["id"])

    async def start(self) -> None:
        await self.send({"type": "start"})

    async def agree(self) -> list[str]:
        """Open the conversation and give consent: the bot's four first messages."""
        await self.start()
        await self.wait_for(2)
        await self.press("agree")
        return await self.wait_for(4)

    async def say(self, text: str) -> str:
        return await self.send({"type": "text", "text": text})

    async def press(self, key: str) -> str:
        label = next((label for k, label in self.last_buttons() if k == key), key)
        return await self.send({"type": "choice", "key": key, "label": label})

    async def upload(self, content: bytes, mime: str, name: str = "photo.jpg") -> aiohttp.ClientResponse:
        assert self.session is not None
        form = aiohttp.FormData()
        form.add_field("photo", content, content_type=mime, filename=name)
        return await self.session.post(f"{self.base_url}/chat/upload{self.query()}", data=form,
                                       headers={"Origin": self.base_url})

    # --- reading -----------------------------------------------------------------------------------------

    def bot_messages(self) -> list[dict[str, Any]]:
        return [m for _, m in sorted(self.messages.items()) if m["dir"] == "out"]

    def bot_texts(self) -> list[str]:
        return ["\n\n".join(m["texts"]) for m in self.bot_messages()]

    def last_buttons(self) -> list[tuple[str, str]]:
        """The choices the page shows: those of the latest bot message, unless the visitor answered since."""
        ordered = [m for _, m in sorted(self.messages.items())]
        for message in reversed(ordered):
            if message["dir"] == "in":
                return []
            if message.get("buttons"):
                return [(k, label) for k, label in message["buttons"]]
        return []

    async def wait_for(self, count: int, within: float = 60.0) -> list[str]:
        """Until the bot has sent `count` messages in all; their texts."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.bot_messages()) >= count), within)
        return self.bot_texts()

    async def wait_text(self, *fragments: str, after: int, within: float = 60.0) -> str:
        """The first bot text from the `after`-th on that holds one of `fragments` (waits for it)."""
        def found() -> str | None:
            return next((t for t in self.bot_texts()[after:] if any(f in t for f in fragments)), None)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: found() is not None), within)
        text = found()
        assert text is not None
        return text

    async def answer(self, act: Callable[[], Awaitable[object]], *fragments: str) -> str:
        """Do `act` (say, press, start), then wait for the bot's text holding one of `fragments`."""
        after = len(self.bot_texts())
        await act()
        return await self.wait_text(*fragments, after=after)

    async def wait_frame(self, kind: str, client_id: str | None = None, within: float = 60.0) -> dict[str, Any]:
        """The first unread frame of this kind (for this client message id, when given)."""
        def wanted(frame: dict[str, Any]) -> bool:
            return frame["type"] == kind and (client_id is None or frame.get("client_id") == client_id)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: any(wanted(f) for f in self.frames)), within)
            frame = next(f for f in self.frames if wanted(f))
            self.frames.remove(frame)
            return frame

    def answered(self) -> bool:
        """The bot has spoken since the visitor's last message reached the transcript."""
        ordered = [m for _, m in sorted(self.messages.items())]
        if self.last_sent is not None and not any(m.get("client_id") == self.last_sent for m in ordered):
            return False
        return bool(ordered) and ordered[-1]["dir"] == "out"

    async def settle(self, quiet: float = 1.5, within: float = 60.0) -> None:
        """Until the bot has answered the last message and has nothing more to say.

        Served in this process (`serving`), the database tells: nothing new in the inbox, nothing pending in
        the outbox, and every message the bot wrote to this visitor has arrived. Otherwise (a `tiepdan run`
        process), until the bot has said nothing new for `quiet` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        db = _SERVED.get(self.base_url)
        if db is not None:
            while loop.time() < deadline:
                if self.answered() and await idle(db) and len(self.bot_messages()) >= await _written(db, set(self.messages)):
                    return
                async with self._changed:  # woken by the next frame, or looks again in a moment
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), 0.05)
            raise TimeoutError(f"the bot did not finish answering: {self.bot_texts()[-2:]}")
        seen = -1
        while loop.time() < deadline:
            await asyncio.sleep(quiet)
            now = len(self.bot_messages())
            if now == seen and self.answered():
                return
            seen = now
        raise TimeoutError(f"the bot did not finish answering: {self.bot_texts()[-2:]}")


def pick(buttons: list[tuple[str, str]]) -> str | None:
    keys = [k for k, _ in buttons]
    return next((k for k in PREFERRED_KEYS if k in keys), None)


async def report_flooding(visitor: WebVisitor, max_steps: int = 16) -> str:
    """Consent, menu, report: answer whatever the bot asks until a tracking code comes back; returns it."""
    typed = iter(TYPED_ANSWERS)
    for _ in range(max_steps):
        await visitor.settle()
        for text in visitor.bot_texts():
            found = TRACKING_CODE.search(text)
            if found and ("PIN" in text):
                return found.group(1)
        buttons = visitor.last_buttons()
        key = pick(buttons)
        if key is not None:
            await visitor.press(key)
        else:
            await visitor.say(next(typed))
    raise AssertionError(f"no tracking code after {max_steps} steps: {visitor.bot_texts()[-3:]}")
