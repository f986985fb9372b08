"""The Zalo Bot API channel against a local fake server: polling, the webhook, numbered choices, long replies."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.channels.base import UpdateRejected
from bot.channels.model import InboundKind, MediaRef, Outbound, SendOutcome
from bot.channels.zalo_bot import ZaloBotChannel, ZaloBotError, classify_error
from storage.models import ChannelIdentity, Consent, InboxItem, OutboxItem
from storage.repositories import outbox
from tests.support.fake_zalo_bot import FakeZaloBot, Fault
from tests.support.harness import running_bot
from tests.support.settling import settled

USER = "7f3a9c1e2b4d"
SECRET = "zalo-Webhook_secret-42"


def fake_zalo_bot() -> FakeZaloBot:
    return FakeZaloBot()  # `async with` starts it and stops it


async def _count(bot, model) -> int:
    async with bot.db.unit_of_work(readonly=True) as uow:
        return (await uow.session.execute(select(func.count()).select_from(model))).scalar_one()


async def _settled(bot, condition) -> OutboxItem:
    """The outbox row matching `condition`, once the dispatcher has recorded its outcome."""
    for _ in range(150):
        async with bot.db.unit_of_work(readonly=True) as uow:
            row = (await uow.session.execute(select(OutboxItem).where(condition))).scalar_one()
        if row.status != "pending":
            return row
        await asyncio.sleep(0.2)
    raise AssertionError(f"outbox row {row.id} still pending")


async def test_choices_answered_by_number_label_and_label_without_diacritics(db_url: str) -> None:
    answers = {"u-number": "1", "u-label": "Tôi đồng ý", "u-plain": "toi dong y", "u-wrong": "3"}
    async with fake_zalo_bot() as zb, running_bot(db_url, None, **zb.settings()) as bot:
        for user in answers:
            zb.says(user, "/start")
        for user in answers:
            texts = await zb.wait_for(user, 2)
            assert texts[0].startswith("Xin chào! Đây là kênh tiếp nhận phản ánh, kiến nghị của ")
            # No buttons on Zalo: the choices are a numbered list inside the text.
            assert texts[1].startswith("Thông báo xử lý dữ liệu cá nhân (phiên bản 2026-01)")
            assert texts[1].endswith("Bạn có đồng ý không?\n\n1. Tôi đồng ý\n2. Tôi không đồng ý")
        for user, answer in answers.items():
            zb.says(user, answer)
        for user in answers:
            await zb.wait_for(user, 3)
        await zb.all_delivered()
        await settled(bot.db)
        async with bot.db.unit_of_work(readonly=True) as uow:
            agreed = (await uow.session.execute(
                select(ChannelIdentity.external_id).join(Consent, Consent.citizen_id == ChannelIdentity.citizen_id)
            )).scalars().all()
    assert sorted(agreed) == ["u-label", "u-number", "u-plain"]
    # "3" is no choice: that citizen got an answer (waited for above) but gave no consent.
    assert {user: zb.texts_to(user)[2] for user in answers if user != "u-wrong"} == {
        "u-number": "Cảm ơn bạn. Bạn có thể bắt đầu.",
        "u-label": "Cảm ơn bạn. Bạn có thể bắt đầu.",
        "u-plain": "Cảm ơn bạn. Bạn có thể bắt đầu.",
    }
    assert [m for m, _ in zb.calls if m != "getUpdates"][:2] == ["getMe", "deleteWebhook"]
    assert {m["method"] for m in zb.sent} == {"sendMessage"}


async def test_a_long_reply_is_split_under_the_limit_and_each_part_counts(db_url: str) -> None:
    paragraphs = [f"Đoạn {i}: " + "nội dung trả lời " * 52 for i in range(1, 6)]  # 5 x 891 characters
    long_text = "\n\n".join(p.strip() for p in paragraphs)
    assert len(long_text) == 4463
    async with fake_zalo_bot() as zb, running_bot(db_url, None, **zb.settings()) as bot:
        zb.says(USER, "/start")
        await zb.wait_for(USER, 1)
        await settled(bot.db)
        before = len(zb.texts_to(USER))
        async with bot.db.unit_of_work() as uow:
            await outbox.add(uow.session, channel="zalo", chat_id=USER, payload=Outbound(long_text).to_json(),
                             now=bot.clock.now(), purpose="answer")
            uow.after_commit(bot.sender.wake)
            await uow.commit()
        texts = await zb.wait_for(USER, before + 3)
        row = await _settled(bot, OutboxItem.purpose == "answer")
        async with bot.db.unit_of_work(readonly=True) as uow:
            identity = (await uow.session.execute(select(ChannelIdentity))).scalar_one()
    parts = texts[before:]
    assert [len(p) for p in parts] == [1784, 1784, 891]
    assert parts[0].startswith("Đoạn 1:") and parts[1].startswith("Đoạn 3:") and parts[2].startswith("Đoạn 5:")
    assert "\n\n".join(parts) == long_text
    assert (row.status, row.sent_as) == ("sent", "reply")
    assert identity.replies_since_inbound == before + 3  # each part is a message of its own


async def test_webhook_checks_the_secret_reads_both_shapes_and_drops_repeats(db_url: str) -> None:
    async with fake_zalo_bot() as zb, running_bot(db_url, None, polling=False, zalo_webhook_secret=SECRET,
                                                   **zb.settings()) as bot:
        url = await zb.connect(bot.web_app(), SECRET)
        first = zb.message(USER, text="/start")
        async with aiohttp.ClientSession() as http:
            async def post(body: bytes | str, headers: dict[str, str]) -> int:
                async with http.post(url, data=body, headers=headers) as response:
                    return response.status

            good = {"X-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
            assert await post(json.dumps(first), {"Content-Type": "application/json"}) == 403
            assert await post(json.dumps(first), {**good, "X-Bot-Api-Secret-Token": "wrong-secret-0"}) == 403
            assert await post(json.dumps(first), {**good, "X-Bot-Api-Secret-Token": SECRET + "x"}) == 403
            assert await post("{not json", good) == 400
            assert await post("[1, 2]", good) == 400
            assert await post(json.dumps({"event_name": "message.text.received"}), good) == 400
            assert await post(json.dumps({"ok": False, "result": None}), good) == 400
            assert await post(json.dumps({**first, "message": {**first["message"], "message_id": ""}}), good) == 400
            assert await _count(bot, InboxItem) == 0

            assert await post(json.dumps(first), good) == 200  # bare
            assert await post(json.dumps({"ok": True, "result": first}), good) == 200  # the same, wrapped
        zb.delivers(zb.message("control", text="/start"))  # a second citizen, once, through the fake
        await zb.all_delivered()
        await settled(bot.db)
        assert await _count(bot, InboxItem) == 2
        # The repeated update had no second effect: its citizen got exactly what the control citizen got.
        assert zb.texts_to(USER) == zb.texts_to("control")
        assert zb.texts_to(USER)[0].startswith("Xin chào!")
        assert zb.deliveries == [200]


async def test_wrapped_webhook_deliveries_are_read(db_url: str) -> None:
    async with fake_zalo_bot() as zb, running_bot(db_url, None, polling=False, zalo_webhook_secret=SECRET,
                                                   **zb.settings()) as bot:
        await zb.connect(bot.web_app(), SECRET, wrapped=True)
        zb.says(USER, "/start")
        texts = await zb.wait_for(USER, 2)
        assert texts[0].startswith("Xin chào!")
        assert zb.deliveries == [200]


def test_updates_become_neutral_inbounds() -> None:
    channel = ZaloBotChannel("1234567890:token-x", "http://127.0.0.1:9")
    fake = FakeZaloBot()
    photo = fake.message(USER, "message.image.received", photo="https://f.zalo.me/p/1.jpg", caption="Ổ gà")
    inbound = channel.to_inbound({"ok": True, "result": photo})
    assert inbound is not None
    assert (inbound.kind, inbound.text, inbound.media) == (
        InboundKind.PHOTO, "Ổ gà", (MediaRef("photo", "https://f.zalo.me/p/1.jpg", "image/jpeg"),))
    assert (inbound.chat_id, inbound.user_id, inbound.display_name) == (USER, USER, "Nguyễn Văn An")
    assert channel.identify(photo) == (photo["message"]["message_id"], USER)
    sticker = channel.to_inbound(fake.message(USER, "message.sticker.received", sticker="abc"))
    assert sticker is not None and sticker.kind is InboundKind.UNSUPPORTED
    unsupported = channel.to_inbound(fake.message(USER, "message.unsupported.received"))
    assert unsupported is not None and unsupported.kind is InboundKind.UNSUPPORTED
    group = fake.message(USER, text="hi")
    group["message"]["chat"]["chat_type"] = "GROUP"
    assert channel.to_inbound(group) is None
    own = fake.message(USER, text="hi")
    own["message"]["from"]["is_bot"] = True
    assert channel.to_inbound(own) is None


def test_platform_refusals_are_classified() -> None:
    assert classify_error(ZaloBotError(429, "Too many requests")).outcome is SendOutcome.RETRY
    assert classify_error(ZaloBotError(502, "Bad gateway")).outcome is SendOutcome.RETRY
    refused = classify_error(ZaloBotError(400, "text is too long"))
    assert (refused.outcome, refused.reason) == (SendOutcome.FINAL, "400: text is too long")


async def test_a_transient_error_is_retried_and_a_refusal_is_not(db_url: str) -> None:
    async with fake_zalo_bot() as zb, running_bot(db_url, None, **zb.settings()) as bot:
        zb.says(USER, "/start")
        await zb.wait_for(USER, 1)
        await settled(bot.db)
        before = zb.send_calls()
        zb.faults += [Fault("sendMessage", 500, http_status=500), Fault("sendMessage", 403)]
        async with bot.db.unit_of_work() as uow:
            for text in ("Tin thứ nhất", "Tin thứ hai"):
                await outbox.add(uow.session, channel="zalo", chat_id=USER, payload=Outbound(text).to_json(),
                                 now=bot.clock.now(), dedup_key=text)
            uow.after_commit(bot.sender.wake)
            await uow.commit()
        # Merged, the two texts meet the 500 and are retried one by one: the first meets the 403 (final), the
        # second goes through.
        for _ in range(100):
            async with bot.db.unit_of_work(readonly=True) as uow:
                rows = (await uow.session.execute(
                    select(OutboxItem).where(OutboxItem.dedup_key.is_not(None)).order_by(OutboxItem.id)
                )).scalars().all()
            if all(r.status != "pending" for r in rows):
                break
            await asyncio.sleep(0.2)
        assert [(r.status, r.attempts, r.last_error) for r in rows] == [
            ("failed", 2, "403: Scripted fault"), ("sent", 2, "500: Scripted fault")]
        assert zb.send_calls() == before + 3  # the 500, the 403, and the second text
        assert zb.texts_to(USER)[-1] == "Tin thứ hai"


async def test_a_photo_is_fetched_from_the_address_in_the_update() -> None:
    async with fake_zalo_bot() as zb:
        channel = ZaloBotChannel(zb.token, zb.base_url)
        try:
            update = zb.sends_photo(USER, b"\xff\xd8\xff\xe0 a jpeg", caption="Cống tắc")
            inbound = channel.to_inbound(update)
            assert inbound is not None and inbound.kind is InboundKind.PHOTO
            assert await channel.fetch_media(inbound.media[0].ref) == b"\xff\xd8\xff\xe0 a jpeg"
        finally:
            await channel.stop()


async def test_serve_mode_points_zalo_at_the_webhook(db_url: str) -> None:
    async with fake_zalo_bot() as zb, running_bot(db_url, None, polling=False, zalo_webhook_secret=SECRET,
                                                   webhook_url="https://tiepdan.example.vn/", **zb.settings()) as bot:
        await bot.point_webhooks()
    assert zb.webhook == {"url": "https://tiepdan.example.vn/zalo/webhook", "secret_token": SECRET}


async def test_a_get_me_result_that_is_no_object_does_not_stop_the_channel_starting() -> None:
    async with fake_zalo_bot() as zb:
        zb.me = True  # an envelope that says ok, with no account in it
        channel = ZaloBotChannel(zb.token, zb.base_url)
        try:
            await channel.start()
            assert await channel.api.get_me() == {}
        finally:
            await channel.stop()
    assert [m for m, _ in zb.calls] == ["getMe", "getMe"]


async def test_an_update_with_an_id_too_long_for_the_inbox_is_refused_and_stores_nothing(db_url: str) -> None:
    """Found by the 10,000-payload fuzz on PostgreSQL: a forged 300-character chat id failed the insert (500)."""
    async with fake_zalo_bot() as zb, running_bot(db_url, None, polling=False, zalo_webhook_secret=SECRET,
                                                   **zb.settings()) as bot:
        zalo = bot.zalo
        assert zalo is not None
        with pytest.raises(UpdateRejected):
            await bot.receiver.store(zalo, [zb.message("x" * 300, text="Xin chào")])
        assert await bot.receiver.store(zalo, [zb.message("x" * 160, text="Xin chào")]) == 1
        async with bot.db.unit_of_work(readonly=True) as uow:
            keys = list((await uow.session.execute(select(InboxItem.chat_key))).scalars())
        assert keys == ["x" * 160]


def test_a_nul_character_never_reaches_the_flows() -> None:
    """Found by the 10,000-payload fuzz on PostgreSQL: text cannot hold NUL there, and the step failed for good."""
    inbound = ZaloBotChannel("t", "http://127.0.0.1").to_inbound(
        FakeZaloBot().says("u1", "Đèn\x00 đường hỏng"))
    assert inbound is not None and inbound.text == "Đèn đường hỏng"
