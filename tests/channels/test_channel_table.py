"""A new messenger through the channel table alone: no change to the container, the runner or the settings.

The fake messenger ("line") takes updates on its own webhook and keeps what the bot sends; a citizen files a
whole report over it with numbered choices (it has no buttons), the way a Zalo or web citizen does.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from bot.channel_table import ChannelContext, ChannelKind, Wiring, kinds, register_channel, unregister_channel
from bot.channels.base import UpdateRejected
from bot.channels.model import Capabilities, Inbound, InboundKind, Rendered, SendingRules, SendResult
from bot.container import Container
from storage.models import Case
from tests.support.harness import settings_for

NAME = "line"


class LineChannel:
    """A messenger with text only: an update is {"id", "chat", "text"}."""

    name = NAME
    capabilities = Capabilities(buttons=False, photos=False, max_text=1000)
    rules = SendingRules(overall_per_second=200.0, chat_burst=20, chat_per_second=50.0)

    def __init__(self) -> None:
        self.sent: dict[str, list[str]] = defaultdict(list)
        self._arrived: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self._ids = itertools.count(1)

    def identify(self, payload: dict[str, Any]) -> tuple[str, str]:
        if not isinstance(payload.get("id"), int) or not isinstance(payload.get("chat"), str) \
                or not isinstance(payload.get("text"), str):
            raise UpdateRejected("a line update has an id, a chat and a text")
        return str(payload["id"]), payload["chat"]

    def to_inbound(self, payload: dict[str, Any]) -> Inbound | None:
        chat = payload["chat"]
        return Inbound(channel=NAME, chat_id=chat, user_id=chat, kind=InboundKind.TEXT, text=payload["text"],
                       message_id=str(payload["id"]))

    async def send(self, chat_id: str, message: Rendered) -> SendResult:
        self.sent[chat_id].extend(message.texts)
        self._arrived[chat_id].set()
        return SendResult.sent(str(next(self._ids)))

    async def fetch_media(self, ref: str) -> bytes:
        raise LookupError("line carries no files")

    async def answered(self, chat: str, before: int) -> None:
        """Once a message arrived after the first `before`."""
        await self.wait(chat, lambda sent: len(sent) > before)

    async def wait(self, chat: str, done: Callable[[list[str]], bool]) -> None:
        while not done(self.sent[chat]):
            self._arrived[chat].clear()
            await asyncio.wait_for(self._arrived[chat].wait(), 30)


def _routes(app: web.Application, channel: LineChannel, wiring: Wiring) -> None:
    async def webhook(request: web.Request) -> web.Response:
        try:
            await wiring.receiver.store(channel, [await request.json()])
        except (ValueError, UpdateRejected):
            return web.json_response({"ok": False}, status=400)
        return web.json_response({"ok": True})

    app.router.add_post("/line/webhook", webhook)


@pytest.fixture
def line_kind() -> Iterator[ChannelKind]:
    kind = ChannelKind(NAME, lambda _context: LineChannel(), messenger=lambda _settings: True, routes=_routes)
    register_channel(kind)
    try:
        yield kind
    finally:
        unregister_channel(NAME)


def test_a_channel_name_is_registered_once(line_kind: ChannelKind) -> None:
    with pytest.raises(ValueError, match="already"):
        register_channel(line_kind)
    assert [k.name for k in kinds()] == ["web", "telegram", "zalo", "zalo_oa", NAME]


def test_unconfigured_messengers_are_not_built(db_url: str) -> None:
    container = Container(settings_for(db_url))
    assert [c.name for c in container.channels] == ["web"]  # the web chat needs no token
    assert container.telegram is None and container.zalo is None and container.zalo_oa is None


async def test_a_citizen_files_a_report_over_a_channel_added_through_the_table(db_url: str,
                                                                              line_kind: ChannelKind) -> None:
    container = Container(settings_for(db_url))
    channel = container.channels.get(NAME)
    assert isinstance(channel, LineChannel)
    assert isinstance(line_kind.build(ChannelContext(container.settings, container.db, container.clock,
                                                     container.media, container.media_links.url)), LineChannel)
    runner = web.AppRunner(container.web_app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    await container.start_channels()
    container.start_workers()
    ids = itertools.count(1)
    chat = "citizen-1"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"http://127.0.0.1:{port}/line/webhook", json={"id": "x"}) as response:
                assert response.status == 400  # the channel's own checks guard its webhook
            for text in ["/start", "1", "/report", "Đèn đường hỏng cả tuần nay ở ngõ 5 phố Lê Lợi.", "2",
                         "sao do", "khong ro", "1", "không", "gui"]:
                before = len(channel.sent[chat])
                update = {"id": next(ids), "chat": chat, "text": text}
                async with http.post(f"http://127.0.0.1:{port}/line/webhook", json=update) as response:
                    assert response.status == 200
                await channel.answered(chat, before)  # a citizen answers what they read, one at a time
            await channel.wait(chat, lambda sent: any("Mã theo dõi: PA-" in text for text in sent))
        async with container.db.unit_of_work(readonly=True) as uow:
            cases = (await uow.session.execute(select(Case))).scalars().all()
    finally:
        await container.stop()
        await runner.cleanup()
    receipt = next(text for text in channel.sent[chat] if "Mã theo dõi: PA-" in text)
    # Numbered choices, since the channel has no buttons.
    assert any("\n1. " in text and "\n2. " in text for text in channel.sent[chat]), channel.sent[chat]
    assert len(cases) == 1 and cases[0].code in receipt
