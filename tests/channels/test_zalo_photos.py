"""Both Zalo channels send photos: by a signed link to the media route that expires; a forged, altered or
expired link is a 404."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.model import Rendered, SendOutcome
from bot.channels.zalo_oa import ZaloOAChannel
from bot.clock import FakeClock
from bot.services.media import MediaStore, new_attachment
from bot.web.media import MediaLinks
from bot.web.signing import Signer
from storage.uow import Database
from tests.channels.test_zalo_oa import fake_oa
from tests.services.test_intake_media import jpeg_with_gps

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


async def _photo(db: Database) -> int:
    async with db.unit_of_work() as uow:
        row = new_attachment("photo", "image/jpeg", jpeg_with_gps(), START)
        uow.session.add(row)
        await uow.session.flush()
        await uow.commit()
        return row.id


async def test_a_signed_link_serves_the_photo_until_it_expires(database: Database) -> None:
    photo = await _photo(database)
    clock = FakeClock(START)
    links = MediaLinks(Signer(b"k" * 32, clock), "https://tiepdan.example")
    app = web.Application()
    links.install(app, MediaStore(database))
    url = links.url(photo)
    assert url.startswith("https://tiepdan.example/media/")
    path = url.removeprefix("https://tiepdan.example")
    async with TestClient(TestServer(app)) as client:
        ok = await client.get(path)
        assert (ok.status, ok.content_type) == (200, "image/jpeg") and (await ok.read())[:2] == b"\xff\xd8"
        forged = path.replace(f"/media/{photo}.", f"/media/{photo + 1}.")
        assert (await client.get(forged)).status == 404
        assert (await client.get("/media/1.99999999999.abc")).status == 404
        clock.advance(seconds=timedelta(hours=25).total_seconds())
        assert (await client.get(path)).status == 404


async def test_the_official_account_sends_the_photo_by_its_link(database: Database) -> None:
    photo = await _photo(database)
    links = MediaLinks(Signer(b"k" * 32, FakeClock(START)), "https://tiepdan.example")
    async with fake_oa() as oa:
        settings = oa.settings()
        channel = ZaloOAChannel(database, FakeClock(START), app_id=oa.app_id, app_secret=oa.app_secret,
                                secret_key=oa.secret_key, api_base=oa.base_url, oauth_base=oa.base_url,
                                access_token=settings["zalo_oa_access_token"],
                                refresh_token=settings["zalo_oa_refresh_token"], media_url=links.url)
        await channel.start()
        try:
            assert channel.capabilities.photos
            result = await channel.send("u1", Rendered(["Hồ sơ PA-2026-000001"], attachment_ids=[photo]))
        finally:
            await channel.stop()
    assert result.outcome is SendOutcome.SENT
    assert [(m.get("image", "")[:30], m["text"]) for m in oa.sent] == [
        ("https://tiepdan.example/media/", ""), ("", "Hồ sơ PA-2026-000001")]
