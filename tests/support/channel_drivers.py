"""Drivers for the channels tests/officials/drivers.py does not cover: the Zalo Official Account (a numbered
list, answered by typing the number, like the Zalo Bot API) and the web chat (buttons stay buttons, spoken
through a real WebSocket).

They follow the `Driver` protocol, so a journey written once runs on every channel. The web chat's visitor
speaks asynchronously; its driver keeps the protocol's plain calls by queueing what the visitor does and
sending it in order from one task (the order of a person's messages is part of the journey).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from tests.officials.drivers import ReadsInOrder, ZaloDriver
from tests.support.fake_zalo_oa import FakeZaloOA
from tests.support.web_client import WebVisitor


class ZaloOADriver(ZaloDriver):
    """Zalo OA: the same numbered lists as the Zalo Bot API; events are signed webhook POSTs."""

    channel = "zalo_oa"
    sends_photos = False  # the OA send API of the fake carries text only

    def __init__(self, fake: FakeZaloOA, users: dict[str, int]) -> None:
        super().__init__(fake, users)  # type: ignore[arg-type]  # the same reading and writing calls
        self.oa = fake

    def sends_photo(self, user: str, content: bytes) -> None:
        self.oa.sends_image(self.users[user], content)

    def photos_to(self, user: str) -> list[bytes]:
        return []


class WebDriver(ReadsInOrder):
    """Web chat visitors, one per user name, each with their own cookie and WebSocket."""

    channel = "web"
    sends_photos = True

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url
        self.visitors: dict[str, WebVisitor] = {}
        self._actions: asyncio.Queue[Callable[[], Awaitable[object]]] = asyncio.Queue()
        self._sender: asyncio.Task[None] | None = None
        self._failure: BaseException | None = None

    async def open(self, *users: str, own_addresses: bool = False) -> WebDriver:
        """One visitor per user; with `own_addresses`, each behind its own address (a trusted proxy says so),
        as many people on their phones would be, rather than one place opening many pages."""
        for number, user in enumerate(users, 1):
            address = f"203.0.113.{number}" if own_addresses else None
            self.visitors[user] = await WebVisitor(self.base_url, address=address).open()
        self._sender = asyncio.create_task(self._send())
        return self

    async def close(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
            await asyncio.gather(self._sender, return_exceptions=True)
        for visitor in self.visitors.values():
            await visitor.close()

    async def _send(self) -> None:
        while True:
            action = await self._actions.get()
            try:
                await action()
            except Exception as error:  # reported by the next wait, not lost in a background task
                self._failure = error
            finally:
                self._actions.task_done()

    async def sent(self) -> None:
        """Until everything queued has gone over the socket."""
        await asyncio.wait_for(self._actions.join(), 60)
        if self._failure is not None:
            raise AssertionError(f"the web visitor could not send: {self._failure!r}")

    def chat(self, user: str) -> str:
        return user  # the server names web chats from the cookie; the tests know visitors by name

    def begins(self, user: str) -> None:
        """Opening the page starts the conversation (the page's own `start` frame)."""
        self._actions.put_nowait(self.visitors[user].start)

    def says(self, user: str, text: str) -> None:
        visitor = self.visitors[user]
        self._actions.put_nowait(lambda: visitor.say(text))

    def chooses(self, user: str, label: str) -> None:
        visitor = self.visitors[user]
        keys = {text: key for key, text in visitor.last_buttons()}
        if label not in keys:
            raise AssertionError(f"no button {label!r} offered to {user}: {visitor.last_buttons()}")
        key = keys[label]
        self._actions.put_nowait(lambda: visitor.send({"type": "choice", "key": key, "label": label}))

    def sends_photo(self, user: str, content: bytes) -> None:
        visitor = self.visitors[user]

        async def upload_and_send() -> None:
            async with await visitor.upload(content, "image/jpeg") as response:
                assert response.status == 200, await response.text()
                attachment = (await response.json())["attachment"]
            await visitor.send({"type": "photo", "attachment": attachment})

        self._actions.put_nowait(upload_and_send)

    def photos_to(self, user: str) -> list[bytes]:
        return []  # answers with photos are the officials' journeys; the web chat links them instead

    def texts_to(self, user: str) -> list[str]:
        return self.visitors[user].bot_texts()

    async def wait_for(self, user: str, count: int) -> list[str]:
        await self.sent()
        return await self.visitors[user].wait_for(count, within=60.0)

    def choices(self, user: str) -> list[str]:
        return [label for _, label in self.visitors[user].last_buttons()]
