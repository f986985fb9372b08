"""Announcements from an official's chat to a citizen's reply: /announce for the roles that may, urgent ones on a
verified Zalo OA's proactive quota (counted, the rest held), and a reply that becomes a routed question."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from sqlalchemy import select, update

from bot.channels.registry import ChannelRegistry
from bot.clock import FakeClock
from bot.jobs.media import MediaFetcher
from bot.services.announcements import number, settle_announcements
from storage.models import Announcement, Attachment, Case, ChannelIdentity, OutboxItem
from storage.repositories import outbox
from tests.civic.test_announcement_delivery import NOW
from tests.flows.chat_driver import VN, keys, make_bot, texts
from tests.officials.world import World
from tests.services.test_intake_media import jpeg_with_gps
from tests.support.fake_zalo_oa import FakeZaloOA
from tests.support.harness import running_bot

TEXT = "Thứ Ba 10/3 cắt nước phường Sao Đỏ từ 8:00 đến 16:00 để sửa đường ống."
QUESTION = "Cắt nước cả ngày thì nhà có người già lấy nước ở đâu?"


def test_numbers_are_written_the_reader_s_way() -> None:
    assert (number(1942, "vi"), number(1942, "en"), number(51, "vi")) == ("1.942", "1,942", "51")


async def _mark_all_sent(db, now) -> None:
    async with db.unit_of_work() as uow:
        ids = list((await uow.session.execute(
            select(OutboxItem.id).where(OutboxItem.status == "pending"))).scalars())
        await outbox.mark_sent(uow.session, ids, now, None)
        await uow.commit()


async def test_announce_from_the_chat_then_a_reply_becomes_a_question(database) -> None:
    bot = make_bot(database)
    citizen, neighbour = bot.chat(6101), bot.chat(6102)
    for person in (citizen, neighbour):
        await person.consents()
        await person.says("/follow")
        await person.presses("area:SAODO")
        await person.presses("ward")
        await person.presses("all")
    world = World(database, bot.clock)
    officer = await world.official("SAODO_OFF1", chat="off-saodo", channel="loop")
    secretary = await world.official("UBND_SECRETARIAT", chat="off-sec", channel="loop")

    assert texts(await bot.chat(officer.chat).says("/announce")) == [  # type: ignore[arg-type]
        "Chỉ lãnh đạo, trưởng đơn vị hoặc thư ký lãnh đạo mới gửi được thông báo."]
    desk = bot.chat(secretary.chat)  # type: ignore[arg-type]
    replies = await desk.says("/announce")
    assert texts(replies) == ["Gửi thông báo tới người theo dõi khu vực nào?"]
    assert keys(replies[0])[:2] == ["city", "area:SAODO"]
    await desk.presses("area:SAODO")
    await desk.presses("topic:dien_nuoc")
    assert texts(await desk.says(TEXT)) == [
        "Gửi kèm một ảnh hoặc tài liệu (PDF, Word...) nếu cần, hoặc chọn «Không kèm tệp»."]
    await desk.presses("none")
    replies = await desk.presses("normal")
    assert texts(replies) == [f"Gửi tới 2 người theo dõi Sao Đỏ (Thông thường):\n{TEXT}"]
    assert texts(await desk.presses("send")) == [
        "Thông báo số 1 đang được gửi tới 2 người. Kết quả sẽ báo lại khi gửi xong."]
    async with database.unit_of_work(readonly=True) as uow:
        copy = (await uow.session.execute(
            select(OutboxItem).where(OutboxItem.chat_id == "6101", OutboxItem.purpose == "announcement")
        )).scalar_one()
    assert copy.dedup_key.startswith("ann:1:")
    assert copy.payload["text"] == (
        f"📢 Thông báo của UBND thành phố Chí Linh:\n{TEXT}\n\n"
        "Muốn hỏi thêm, bạn trả lời ngay tin này. Gõ /stop để dừng nhận thông báo.")
    await _mark_all_sent(database, bot.clock.now())

    # The citizen answers the notice: a question to the unit that sent it, with its tracking code.
    replies = texts(await citizen.says(QUESTION))
    assert replies[0].startswith(
        "Câu hỏi của bạn về thông báo đã được chuyển tới UBND thành phố Chí Linh.\nMã theo dõi: HD-2026-000001\n")
    assert replies[-1] == "Bạn muốn làm gì? Chọn một mục:"
    async with database.unit_of_work(readonly=True) as uow:
        case = (await uow.session.execute(select(Case))).scalar_one()
    assert (case.kind, case.text, case.details, case.area_id is not None) == (
        "question", QUESTION, {"announcement": 1}, True)
    assert world.app.org is not None
    async with world.services(commit=False) as s:
        assert s.org.units_by_id[case.unit_id].code == "UBND"

    # The neighbour stops; the next announcement reaches only the citizen; the summary reaches the secretary.
    assert texts(await neighbour.says("/stop"))[0].startswith("Đã dừng.")
    async with world.services() as s:
        second = await s.announcements.send(secretary.official_id, area="SAODO_MATSON", topic=None, text=TEXT,
                                            sender_identity_id=secretary.identity_id)
    assert second.recipients == 1
    await _mark_all_sent(database, bot.clock.now())
    assert await settle_announcements(database, bot.clock) == 2
    async with database.unit_of_work(readonly=True) as uow:
        summaries = list((await uow.session.execute(
            select(OutboxItem.payload).where(OutboxItem.chat_id == "off-sec", OutboxItem.purpose == "notice")
            .order_by(OutboxItem.id))).scalars())
    assert [p["text"] for p in summaries] == [
        "Thông báo số 1 đã gửi xong: đã gửi 2, không giữ lại tin nào, lỗi 0.",
        "Thông báo số 2 đã gửi xong: đã gửi 1, không giữ lại tin nào, lỗi 0."]


async def _delivered(bot) -> None:
    """Until no announcement copy is pending (each sent, failed or held)."""
    bot.sender.wake()
    deadline = time.monotonic() + 30
    while True:
        async with bot.db.unit_of_work(readonly=True) as uow:
            pending = (await uow.session.execute(select(OutboxItem.id).where(
                OutboxItem.status == "pending", OutboxItem.dedup_key.like("ann:%")))).first()
        if pending is None:
            return
        assert time.monotonic() < deadline, "announcement copies still pending"
        await asyncio.sleep(0.1)


async def test_a_notice_with_a_photo_from_the_chat(database) -> None:
    """The photo goes with every copy, only once it is in hand; a voice note is not a notice's file, nor a
    document too large."""
    bot = make_bot(database)
    bot.channel.files["map"] = jpeg_with_gps()
    citizen = bot.chat(6201)
    await citizen.consents()
    await citizen.says("/follow")
    await citizen.presses("area:SAODO")
    await citizen.presses("ward")
    await citizen.presses("all")
    world = World(database, bot.clock)
    secretary = await world.official("UBND_SECRETARIAT", chat="off-sec", channel="loop")
    desk = bot.chat(secretary.chat)  # type: ignore[arg-type]
    await desk.says("/announce")
    await desk.presses("area:SAODO")
    await desk.presses("all")
    await desk.says(TEXT)
    assert texts(await desk.sends_voice("voice-1"))[0] == "Xin gửi một ảnh hoặc tài liệu, hoặc chọn «Không kèm tệp»."
    assert texts(await desk.sends_document("big", size=200_000_000))[0] == (
        "Tệp này không nhận được (định dạng hoặc dung lượng). Xin gửi tệp khác.")
    replies = await desk.sends_photo("map")
    assert texts(replies)[0] == "Đã nhận ảnh, sẽ gửi kèm thông báo."
    assert keys(replies[-1]) == ["normal", "urgent"]
    replies = await desk.presses("normal")
    assert texts(replies) == [f"Gửi tới 1 người theo dõi Sao Đỏ (Thông thường):\n{TEXT}\nKèm theo: ảnh."]
    replies = await desk.presses("send")  # the photo is still being fetched: a moment more
    assert texts(replies)[0] == "Tệp vẫn đang được tải về, xin chờ vài giây rồi chọn «Gửi» lại."
    assert keys(replies[-1]) == ["send", "cancel"]
    registry = ChannelRegistry()
    registry.add(bot.channel)
    assert await MediaFetcher(database, registry, bot.clock, VN).fetch_due() == 1
    assert texts(await desk.presses("send")) == [
        "Thông báo số 1 đang được gửi tới 1 người. Kết quả sẽ báo lại khi gửi xong."]
    async with database.unit_of_work(readonly=True) as uow:
        photo = (await uow.session.execute(select(Attachment))).scalar_one()
        copy = (await uow.session.execute(select(OutboxItem).where(
            OutboxItem.chat_id == "6201", OutboxItem.purpose == "announcement"))).scalar_one()
    assert (photo.kind, photo.status, photo.owner_key) == ("photo", "stored", "announcement:1")
    assert copy.payload["attachment_ids"] == [photo.id]
    await _mark_all_sent(database, bot.clock.now())
    assert await settle_announcements(database, bot.clock) == 1
    summary = [r for r in await world.outbox("off-sec") if r.purpose == "notice"]
    assert [r.payload["text"] for r in summary] == [
        "Thông báo số 1 đã gửi xong: đã gửi 1, không giữ lại tin nào, lỗi 0."]


async def test_only_urgent_notices_use_the_verified_oa_s_quota(db_url: str) -> None:
    clock = FakeClock(NOW)
    oa = await FakeZaloOA().start()
    users = [f"oa-user-{i}" for i in range(5)]
    try:
        async with running_bot(db_url, None, polling=False, clock=clock,  # type: ignore[arg-type]
                               **oa.settings(zalo_oa_verified=True, zalo_oa_monthly_quota=3)) as bot:
            await oa.connect(bot.web_app())
            world = World(bot.db, clock)
            for user in users:
                account = await world.account(user, channel="zalo_oa")
                async with world.services() as s:
                    await s.following.follow(account.identity_id, account.citizen_id, None, [], clock.now())
            async with bot.db.unit_of_work() as uow:  # they last wrote three days ago: the window is closed
                await uow.session.execute(update(ChannelIdentity).where(ChannelIdentity.chat_id.in_(users))
                                          .values(last_inbound_at=clock.now() - timedelta(days=3)))
                await uow.commit()
            secretary = await world.official("UBND_SECRETARIAT", chat="sec-oa", channel="zalo_oa")
            async with world.services() as s:
                ordinary = await s.announcements.send(secretary.official_id, area=None, topic=None, text=TEXT,
                                                      sender_identity_id=secretary.identity_id)
            await _delivered(bot)
            async with world.services() as s:
                urgent = await s.announcements.send(secretary.official_id, area=None, topic="thien_tai",
                                                    text="Cảnh báo lũ", urgent=True,
                                                    sender_identity_id=secretary.identity_id)
            await _delivered(bot)
            assert await settle_announcements(bot.db, clock) == 2
            async with bot.db.unit_of_work(readonly=True) as uow:
                rows = {a.id: a.summary for a in (await uow.session.execute(select(Announcement))).scalars()}
            assert rows[ordinary.announcement_id] == {"sent": 0, "held": {"zalo_oa": 5}, "failed": 0, "proactive": 0}
            assert rows[urgent.announcement_id] == {"sent": 3, "held": {"zalo_oa": 2}, "failed": 0, "proactive": 3}
            got = sum(1 for u in users for x in oa.texts_to(u) if "Cảnh báo lũ" in x)
            assert got == 3 and not any(TEXT in x for u in users for x in oa.texts_to(u))
            summary = "\n\n".join(await oa.wait_for("sec-oa", 1))  # both summaries may go as one message
            assert f"Thông báo số {ordinary.announcement_id} đã gửi xong: đã gửi 0, giữ lại 5 trên Zalo OA, lỗi 0." \
                in summary
            assert f"Thông báo số {urgent.announcement_id} đã gửi xong: đã gửi 3, giữ lại 2 trên Zalo OA, lỗi 0.\n" \
                   "Trong đó 3 tin khẩn dùng hạn mức tin chủ động của Zalo OA." in summary
    finally:
        await oa.stop()
