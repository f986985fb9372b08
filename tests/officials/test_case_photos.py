"""An official opening a case with `/case CODE` or from the queue sees its photos as each channel can show
them: an album on Telegram (one sendMediaGroup), signed expiring links to the media route on Zalo, thumbnails
on the web chat (the page's /chat/media, served to that chat only)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from PIL import Image

from bot.clock import FakeClock
from bot.container import Container
from bot.domain.cases import CaseKind
from bot.services.media import new_attachment
from storage.models import Case
from tests.officials.drivers import TelegramDriver, ZaloDriver
from tests.officials.test_official_journeys import FLOOD, USERS, Scene
from tests.officials.world import MONDAY_9, World
from tests.support.fake_zalo_bot import FakeZaloBot
from tests.support.harness import fake_telegram, running_bot
from tests.support.web_client import WebVisitor, serving
from tests.web.test_webchat import web_container

HISTORY = "Quá trình xử lý:"  # the view's history: what sets it apart from the new-case card


def jpeg(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return buffer.getvalue()


async def case_with_photos(world: World, citizen_chat: str, channel: str) -> tuple[str, dict[int, bytes]]:
    """A report from the citizen with two photos on it (as the intake flow leaves them); its code, its photos."""
    citizen = await world.account(citizen_chat, channel)
    async with world.services() as s:
        await s.identities.grant_consent(citizen.citizen_id or 0, s.org.notice_version, world.clock.now())
    case_id = await world.submit(citizen, kind=CaseKind.REPORT, text=FLOOD)
    photos: dict[int, bytes] = {}
    async with world.services() as s:
        case = await s.session.get(Case, case_id)
        assert case is not None
        code = case.code
        for colour in ((200, 40, 40), (40, 200, 40)):
            row = new_attachment("photo", "image/jpeg", jpeg(colour), world.clock.now(), case_id=case.id)
            s.session.add(row)
            await s.session.flush()
            photos[row.id] = bytes(row.content or b"")
    return code, photos


@asynccontextmanager
async def on(channel: str, db_url: str) -> AsyncIterator[tuple[Scene, Container]]:
    clock = FakeClock(MONDAY_9)
    if channel == "telegram":
        async with fake_telegram() as tg, running_bot(db_url, tg, clock=clock) as bot:
            yield Scene(TelegramDriver(tg, USERS), World(bot.db, clock), bot.sender.wake, clock), bot
        return
    zalo = await FakeZaloBot().start()
    try:
        async with running_bot(db_url, None, clock=clock, **zalo.settings()) as bot:  # type: ignore[arg-type]
            yield Scene(ZaloDriver(zalo, USERS), World(bot.db, clock), bot.sender.wake, clock), bot
    finally:
        await zalo.stop()


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
async def test_the_case_view_and_the_queue_show_the_case_photos(db_url: str, channel: str) -> None:
    async with on(channel, db_url) as (scene, bot):
        d = scene.driver
        await scene.link("mai")
        code, photos = await case_with_photos(scene.world, d.chat("citizen"), channel)
        scene.wake()
        assert (await d.one("mai")).startswith(f"Hồ sơ {code} (Phản ánh)")  # the new-case card
        before = len(d.photos_to("mai"))

        d.says("mai", f"/case {code}")
        assert (await d.one("mai")).startswith(f"Hồ sơ {code} (Phản ánh)")
        from_case = d.photos_to("mai")[before:]

        d.says("mai", "/queue")
        assert code in await d.one("mai")
        d.chooses("mai", code)
        assert (await d.one("mai")).startswith(f"Hồ sơ {code} (Phản ánh)")
        from_queue = d.photos_to("mai")[before + len(from_case):]

        for shown in (from_case, from_queue):
            if channel == "telegram":  # one album: a single sendMediaGroup request with both photos, in order
                assert shown == list(photos.values())
                assert isinstance(d, TelegramDriver)
                albums = [m for m in d.fake.sent if m["method"] == "sendMediaGroup" and m["photo"] in shown]
                assert len(albums) == 4 and len({m["album"] for m in albums}) == 2
            else:  # a signed link to each photo, which the media route would serve until it expires
                assert len(shown) == 2 and all(isinstance(url, str) for url in shown)
                tokens = [str(url).rsplit("/media/", 1)[1] for url in shown]
                assert [bot.media_links.attachment_of(t) for t in tokens] == list(photos)
                assert bot.media_links.attachment_of(tokens[0] + "x") is None


async def test_the_case_view_on_the_web_chat_has_the_photos_as_thumbnails(db_url: str) -> None:
    container = web_container(db_url, demo=True)
    async with serving(container) as base:
        world = World(container.db, container.clock)  # type: ignore[arg-type]
        official, stranger = await WebVisitor(base, seat="SAODO_OFF1").open(), await WebVisitor(base).open()
        try:
            code, photos = await case_with_photos(world, "web-citizen", "web")
            await official.start()
            await official.say(f"/case {code}")
            seen = 0
            while not any(HISTORY in "\n".join(m["texts"]) for m in official.bot_messages()):
                seen = len(await official.wait_for(seen + 1))  # the desk's greeting, the new-case card, the view
            view = next(m for m in official.bot_messages() if HISTORY in "\n".join(m["texts"]))
            assert view["texts"][0].startswith(f"Hồ sơ {code} (Phản ánh)")
            assert view["attachments"] == list(photos)  # the page draws each as an <img> thumbnail
            assert official.session is not None and stranger.session is not None
            for attachment_id, content in photos.items():
                async with official.session.get(f"{base}/chat/media/{attachment_id}?as=SAODO_OFF1") as shown:
                    assert (shown.status, await shown.read()) == (200, content)
                async with stranger.session.get(f"{base}/chat/media/{attachment_id}") as hidden:
                    assert hidden.status == 404
        finally:
            await official.close()
            await stranger.close()
