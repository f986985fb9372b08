"""The media job: evidence recorded by the conversation is downloaded later, checked, stripped of EXIF and
stored; a file that cannot be used is marked failed and the citizen is told; a download that fails is retried
with back-off, then given up."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from bot.channels.model import Outbound
from bot.channels.registry import ChannelRegistry
from bot.jobs.media import MediaFetcher
from bot.services.evidence import claim_due
from storage.models import Attachment, OutboxItem
from storage.uow import Database
from tests.flows.chat_driver import VN, make_bot


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (21.0, 6.0, 37.8), 3: "E", 4: (106.0, 23.0, 36.6)}
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, "JPEG", exif=exif)
    return out.getvalue()


async def _attachments(db: Database) -> list[tuple[str, str, int, str | None]]:
    async with db.unit_of_work(readonly=True) as uow:
        rows = (await uow.session.execute(select(Attachment).order_by(Attachment.id))).scalars()
        return [(a.platform_ref or "", a.status, a.fetch_attempts, a.error) for a in rows]


async def _lost_notices(db: Database) -> list[str]:
    async with db.unit_of_work(readonly=True) as uow:
        rows = (await uow.session.execute(
            select(OutboxItem.payload).where(OutboxItem.dedup_key.like("media-lost:%")).order_by(OutboxItem.id)
        )).scalars()
        return [Outbound.from_json(p).text for p in rows]


async def test_a_photo_with_gps_is_stored_without_any_metadata(database: Database) -> None:
    photo = jpeg_with_gps()
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(0x8825) == {
        1: "N", 2: (21.0, 6.0, 37.8), 3: "E", 4: (106.0, 23.0, 36.6)}
    bot = make_bot(database)
    bot.channel.files["gps"] = photo
    chat = bot.chat(1)
    await chat.consents()
    await chat.sends_photo("gps", size=len(photo))
    assert await _attachments(database) == [("gps", "pending", 0, None)]

    registry = ChannelRegistry()
    registry.add(bot.channel)
    assert await MediaFetcher(database, registry, bot.clock, VN).fetch_due() == 1

    async with database.unit_of_work(readonly=True) as uow:
        stored = (await uow.session.execute(select(Attachment))).scalar_one()
    assert (stored.status, stored.mime, stored.size) == ("stored", "image/jpeg", len(stored.content))
    clean = Image.open(io.BytesIO(stored.content))
    assert (clean.format, clean.size, dict(clean.getexif()), "exif" in clean.info) == ("JPEG", (40, 30), {}, False)
    assert b"PhoneMaker" not in stored.content
    assert stored.owner_key is not None and stored.owner_key.startswith("draft:")  # still on the draft


async def test_unusable_files_fail_and_the_citizen_is_told_downloads_are_retried(database: Database) -> None:
    bot = make_bot(database)
    bot.channel.files["broken"] = b"this is not a picture"
    chat = bot.chat(2)
    await chat.consents()
    await chat.sends_photo("broken")  # 09:00:15
    await chat.sends_photo("gone")  # the platform no longer has it
    registry = ChannelRegistry()
    registry.add(bot.channel)
    fetcher = MediaFetcher(database, registry, bot.clock, VN)

    assert await fetcher.fetch_due() == 2
    assert await _attachments(database) == [("broken", "failed", 1, "wrong_type"), ("gone", "pending", 1, "KeyError")]
    assert await _lost_notices(database) == [
        "Xin lỗi, ảnh bạn gửi lúc 09:00 13/02/2026 không tải về được nên không được đính kèm. Nếu có thể, xin gửi lại."]
    assert await fetcher.fetch_due() == 0  # backing off
    for _ in range(4):
        bot.clock.advance(minutes=10)
        assert await fetcher.fetch_due() == 1
    assert await _attachments(database) == [("broken", "failed", 1, "wrong_type"), ("gone", "failed", 5, "KeyError")]
    assert len(await _lost_notices(database)) == 2
    bot.clock.advance(hours=1)
    assert await fetcher.fetch_due() == 0  # given up for good


async def test_a_claimed_file_is_not_taken_by_a_second_worker(database: Database) -> None:
    bot = make_bot(database)
    chat = bot.chat(3)
    await chat.consents()
    await chat.sends_voice("v1")
    async with database.unit_of_work() as uow:
        first = await claim_due(uow.session, bot.clock.now())
        await uow.commit()
    async with database.unit_of_work() as uow:
        second = await claim_due(uow.session, bot.clock.now())
        await uow.commit()
    assert ([f.ref for f in first], second) == (["v1"], [])
    bot.clock.advance(minutes=3)  # the first worker died holding it: the claim runs out
    async with database.unit_of_work() as uow:
        assert [f.ref for f in await claim_due(uow.session, bot.clock.now())] == ["v1"]


async def test_a_file_whose_attempts_ran_out_ends_failed_whatever_stopped_it(database: Database) -> None:
    """A worker that died mid-file (out of memory, killed) never recorded a failure: the next claim past the
    last attempt ends the file as failed and tells the citizen, instead of trying it for ever."""
    bot = make_bot(database)
    chat = bot.chat(4)
    await chat.consents()
    await chat.sends_photo("crashes-the-worker")
    for _ in range(5):  # five workers claimed it and died before they could record anything
        async with database.unit_of_work() as uow:
            assert len(await claim_due(uow.session, bot.clock.now())) == 1
            await uow.commit()
        bot.clock.advance(minutes=3)
    registry = ChannelRegistry()
    registry.add(bot.channel)
    assert await MediaFetcher(database, registry, bot.clock, VN).fetch_due() == 1
    assert await _attachments(database) == [("crashes-the-worker", "failed", 5, "attempts exhausted")]
    assert len(await _lost_notices(database)) == 1
    bot.clock.advance(hours=1)
    assert await MediaFetcher(database, registry, bot.clock, VN).fetch_due() == 0
