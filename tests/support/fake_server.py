"""What the fake platforms share: their HTTP server on a free 127.0.0.1 port, and for the platforms that push
(webhooks) the deliverer that POSTs users' events, one at a time and in order, to the bot's own web app.

The tests' fakes and the benchmarks' Bot API servers build on it; each adds only its routes and its protocol.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Self

import aiohttp
from aiohttp import web

from bot.web.app import SafeAccessLog


async def serve(app: web.Application, **runner_options: Any) -> tuple[web.AppRunner, int]:
    """Serve `app` on a free 127.0.0.1 port: its runner (to clean up) and the port."""
    runner = web.AppRunner(app, **runner_options)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, int(runner.addresses[0][1])


class FakeServer:
    """A fake platform's server: a subclass adds its routes; `start`/`stop`, or `async with`."""

    client_max_size = 1024**2  # aiohttp's default request body limit; a platform taking uploads raises it
    runner: web.AppRunner | None = None
    port = 0

    def add_routes(self, router: web.UrlDispatcher) -> None:
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> Self:
        app = web.Application(client_max_size=self.client_max_size)
        self.add_routes(app.router)
        self.runner, self.port = await serve(app, access_log=None)  # the platform's log is not the app's
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()


async def wait_until(changed: asyncio.Event, ready: Callable[[], bool], within: float,
                     failure: Callable[[], str]) -> None:
    """Until `ready()`, asked again each time `changed` is set (and at least every half second); after `within`
    seconds an AssertionError saying `failure()`."""
    deadline = time.monotonic() + within
    while not ready():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(failure())
        changed.clear()
        try:
            await asyncio.wait_for(changed.wait(), min(remaining, 0.5))
        except TimeoutError:
            pass


Post = Callable[[aiohttp.ClientSession, str, Any], Awaitable[int]]  # (http, url, event) -> HTTP status


class WebhookPusher:
    """A platform's webhook calls: `connect` serves the bot's web app locally (as `serve` does); from then on
    each event handed to `push` is POSTed by the platform's `post`, and the answer's status noted in `deliveries`."""

    def __init__(self, post: Post, deliveries: list[int]) -> None:
        self._post = post
        self.deliveries = deliveries
        self.url: str | None = None
        self._outgoing: asyncio.Queue[Any] = asyncio.Queue()
        self._bot_runner: web.AppRunner | None = None
        self._deliverer: asyncio.Task[None] | None = None

    async def connect(self, bot_app: web.Application, path: str) -> str:
        self._bot_runner, port = await serve(bot_app, access_log_class=SafeAccessLog)
        self.url = f"http://127.0.0.1:{port}{path}"
        self._deliverer = asyncio.create_task(self._deliver(self.url))
        return self.url

    def push(self, event: Any) -> None:
        self._outgoing.put_nowait(event)

    async def _deliver(self, url: str) -> None:
        async with aiohttp.ClientSession() as http:
            while True:
                event = await self._outgoing.get()
                try:
                    self.deliveries.append(await self._post(http, url, event))
                finally:
                    self._outgoing.task_done()

    async def all_delivered(self) -> None:
        """Until every event pushed so far has been POSTed and answered."""
        await asyncio.wait_for(self._outgoing.join(), 30)

    async def stop(self) -> None:
        if self._deliverer is not None:
            self._deliverer.cancel()
            await asyncio.gather(self._deliverer, return_exceptions=True)
        if self._bot_runner is not None:
            await self._bot_runner.cleanup()
