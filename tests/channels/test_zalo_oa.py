"""The Zalo Official Account channel against a local fake platform: signed events, token refresh, the
48-hour reply window, held answers and the proactive quota."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import func, select

from bot.channels.model import InboundKind, MediaRef, Outbound, Rendered, SendOutcome
from bot.channels.zalo_oa import ZaloOAChannel
from bot.clock import FakeClock, SystemClock
from storage.models import Case, ChannelIdentity, Consent, InboxItem, OutboxItem, ProactiveQuota, Unit
from storage.repositories import outbox
from storage.uow import Database
from tests.support.fake_zalo_oa import FakeZaloOA
from tests.support.harness import running_bot
from tests.support.settling import settled

VN = ZoneInfo("Asia/Ho_Chi_Minh")
USER = "2468135790123456789"
ANSWER = "Trả lời hồ sơ PA-2026-000001: đơn vị đã nạo vét cống, đường đã hết ngập."
NOTE = (
    "Tin nhắn dưới đây được viết lúc 09:00 05/03/2026. Ứng dụng nhắn tin này chỉ cho phép chúng tôi gửi tin "
    "trong một thời gian ngắn sau khi bạn nhắn cho chúng tôi, nên đến bây giờ mới gửi được. Lần sau, bạn có "
    "thể xem ngay hồ sơ PA-2026-000001 tại http://127.0.0.1:8080/track bằng mã theo dõi và mã PIN."
)


def fake_oa(**options) -> FakeZaloOA:
    return FakeZaloOA(**options)  # `async with` starts it and stops it


async def _count(bot, model) -> int:
    async with bot.db.unit_of_work(readonly=True) as uow:
        return (await uow.session.execute(select(func.count()).select_from(model))).scalar_one()


async def _row(bot, row_id: int, until: str | None = None) -> OutboxItem:
    """The outbox row, once its status is `until` (or no longer pending)."""
    for _ in range(150):
        async with bot.db.unit_of_work(readonly=True) as uow:
            row = await uow.session.get(OutboxItem, row_id)
        assert row is not None
        if (row.status == until) if until else row.status != "pending":
            return row
        await asyncio.sleep(0.2)
    raise AssertionError(f"outbox row {row_id} is {row.status}")


async def _onboard(bot, oa: FakeZaloOA) -> int:
    """The citizen starts and agrees; how many messages the platform had been asked to send by then."""
    oa.says(USER, "/start")
    await oa.wait_for(USER, 2)
    oa.says(USER, "1")
    await oa.wait_for(USER, 3)
    await oa.all_delivered()
    await settled(bot.db)
    return len(oa.send_attempts)


async def _case_of(bot, user: str) -> int:
    """A case of the citizen behind `user`, as intake would have left it (written directly: the officials'
    answer action is built elsewhere)."""
    async with bot.db.unit_of_work() as uow:
        s = uow.session
        identity = (await s.execute(select(ChannelIdentity).where(ChannelIdentity.external_id == user))).scalar_one()
        unit = (await s.execute(select(Unit).where(Unit.code == "P_SAODO"))).scalar_one()
        case = Case(code="PA-2026-000001", kind="report", status="submitted", unit_id=unit.id,
                    citizen_id=identity.citizen_id, reply_identity_id=identity.id, text="Đường ngập sâu 40cm.",
                    created_at=bot.clock.now(), details={})
        s.add(case)
        await s.flush()
        case_id = case.id
        await uow.commit()
    return case_id


async def _queue(bot, text: str, purpose: str, case_id: int | None = None) -> int:
    async with bot.db.unit_of_work() as uow:
        await outbox.add(uow.session, channel="zalo_oa", chat_id=USER, payload=Outbound(text).to_json(),
                         now=bot.clock.now(), purpose=purpose, case_id=case_id, dedup_key=f"{purpose}:{text}")
        row_id = (await uow.session.execute(select(func.max(OutboxItem.id)))).scalar_one()
        uow.after_commit(bot.sender.wake)
        await uow.commit()
    return row_id


# --- the webhook -------------------------------------------------------------------------------------------


def _mac(oa: FakeZaloOA, body: bytes, timestamp: str) -> dict[str, str]:
    mac = hashlib.sha256(oa.app_id.encode() + body + timestamp.encode() + oa.secret_key.encode()).hexdigest()
    return {"X-ZEvent-Signature": f"mac={mac}", "Content-Type": "application/json"}


async def test_webhook_verifies_the_signature_and_stores_nothing_it_refuses(db_url: str) -> None:
    async with fake_oa() as oa, running_bot(db_url, None, polling=False, **oa.settings()) as bot:
        url = await oa.connect(bot.web_app())
        event = oa.event(USER, "user_send_text", {"text": "/start"})
        body, headers = oa.signed(event)
        async with aiohttp.ClientSession() as http:
            async def post(data: bytes, extra: dict[str, str]) -> int:
                async with http.post(url, data=data, headers=extra) as response:
                    return response.status

            plain = {"Content-Type": "application/json"}
            assert await post(body, plain) == 403  # no signature
            assert await post(body, oa.signed(event, secret_key="someone-elses-key")[1]) == 403
            assert await post(body.replace(b"/start", b"/help!"), headers) == 403  # altered on the way
            assert await post(body, {**headers, "X-ZEvent-Signature": headers["X-ZEvent-Signature"][4:]}) == 403
            other_app = {**event, "app_id": "1111111111"}
            assert await post(*oa.signed(other_app)) == 403
            # Nothing is parsed before the MAC holds: junk under someone's header is refused, not parsed.
            assert await post(b"{not json", headers) == 403
            assert await post(b"[1, 2]", headers) == 403
            stamp = event["timestamp"]
            junk = f'{{"timestamp": "{stamp}", oops'.encode()
            assert await post(junk, _mac(oa, junk, stamp)) == 400  # Zalo's own bytes, broken: malformed
            stale = {**event, "timestamp": str(int(stamp) - 2 * 3600 * 1000)}  # a replay from two hours ago
            assert await post(*oa.signed(stale)) == 403
            twice = body[:-1] + f', "timestamp": "{int(stamp) + 1}"}}'.encode()  # one stamp for the MAC...
            assert await post(twice, _mac(oa, twice, stamp)) == 403  # ...another for the parser: refused
            no_id = oa.event(USER, "user_send_text", {"text": "x"})
            del no_id["message"]["msg_id"]
            assert await post(*oa.signed(no_id)) == 400
            assert await _count(bot, InboxItem) == 0

            assert await post(body, headers) == 200
            assert await post(body, headers) == 200  # Zalo delivered the same event twice
        oa.says("control", "/start")  # a second citizen, once, through the fake
        await oa.all_delivered()
        await settled(bot.db)
        assert await _count(bot, InboxItem) == 2
        # The repeated event had no second effect: its citizen got exactly what the control citizen got.
        assert oa.texts_to(USER) == oa.texts_to("control")
        assert oa.texts_to(USER)[1].endswith("Bạn có đồng ý không?\n\n1. Tôi đồng ý\n2. Tôi không đồng ý")


async def test_choices_by_number_label_and_label_without_diacritics(db_url: str) -> None:
    answers = {"u-number": "1", "u-label": "Tôi đồng ý", "u-plain": "toi dong y", "u-wrong": "3"}
    async with fake_oa() as oa, running_bot(db_url, None, polling=False, **oa.settings()) as bot:
        await oa.connect(bot.web_app())
        for user in answers:
            oa.says(user, "/start")
        for user in answers:
            await oa.wait_for(user, 2)
        for user, answer in answers.items():
            oa.says(user, answer)
        for user in answers:
            await oa.wait_for(user, 3)
        await oa.all_delivered()
        await settled(bot.db)
        async with bot.db.unit_of_work(readonly=True) as uow:
            agreed = (await uow.session.execute(
                select(ChannelIdentity.external_id).join(Consent, Consent.citizen_id == ChannelIdentity.citizen_id)
            )).scalars().all()
    assert sorted(agreed) == ["u-label", "u-number", "u-plain"]
    # "3" is no choice: that citizen got an answer (waited for above) but gave no consent.
    assert {user: oa.texts_to(user)[2] for user in answers if user != "u-wrong"} == {
        "u-number": "Cảm ơn bạn. Bạn có thể bắt đầu.",
        "u-label": "Cảm ơn bạn. Bạn có thể bắt đầu.",
        "u-plain": "Cảm ơn bạn. Bạn có thể bắt đầu.",
    }
    assert oa.deliveries == [200] * 8


def test_events_become_neutral_inbounds() -> None:
    oa = FakeZaloOA()
    channel = ZaloOAChannel(Database("sqlite+aiosqlite://"), SystemClock(), app_id=oa.app_id,
                            app_secret=oa.app_secret, secret_key=oa.secret_key, api_base="http://127.0.0.1:9",
                            oauth_base="http://127.0.0.1:9")
    location = oa.event(USER, "user_send_location", {"attachments": [
        {"type": "location", "payload": {"coordinates": {"latitude": "21.0833", "longitude": "106.3912"}}}]})
    inbound = channel.to_inbound(location)
    assert inbound is not None
    assert (inbound.kind, inbound.lat, inbound.lon, inbound.chat_id) == (InboundKind.LOCATION, 21.0833, 106.3912, USER)
    image = oa.event(USER, "user_send_image", {"text": "Cống tắc", "attachments": [
        {"type": "image", "payload": {"thumbnail": "https://z.zdn.vn/t.jpg", "url": "https://z.zdn.vn/1.jpg"}}]})
    inbound = channel.to_inbound(image)
    assert inbound is not None
    assert (inbound.kind, inbound.text, inbound.media) == (
        InboundKind.PHOTO, "Cống tắc", (MediaRef("photo", "https://z.zdn.vn/1.jpg"),))
    assert channel.identify(image) == (image["message"]["msg_id"], USER)
    sticker = channel.to_inbound(oa.event(USER, "user_send_sticker", {"attachments": []}))
    assert sticker is not None and sticker.kind is InboundKind.UNSUPPORTED
    follow = {"app_id": oa.app_id, "event_name": "follow", "oa_id": "oa-1", "follower": {"id": USER},
              "timestamp": "1771000000000"}
    assert channel.identify(follow) == (f"follow:{USER}:1771000000000", "-")
    assert channel.to_inbound(follow) is None
    echo = oa.event("oa-1", "oa_send_text", {"text": "Cảm ơn bạn."})
    assert channel.to_inbound(echo) is None


# --- tokens ------------------------------------------------------------------------------------------------


async def test_an_expired_token_is_refreshed_stored_at_once_and_the_send_retried(db_url: str) -> None:
    async with fake_oa() as oa, running_bot(db_url, None, polling=False, **oa.settings()) as bot:
        stored_when_used: list[str] = []

        async def stored_refresh_token(access_token: str) -> None:
            if access_token == "access-2-abcdefgh" and not stored_when_used:
                stored = await bot.zalo_oa.tokens.stored()
                stored_when_used.append(stored[1])

        oa.before_send = stored_refresh_token
        await oa.connect(bot.web_app())
        oa.expire_access_token()
        oa.says(USER, "/start")
        await oa.wait_for(USER, 2)
        await settled(bot.db)
        stored = await bot.zalo_oa.tokens.stored()
    assert oa.refreshes == ["refresh-1-abcdefgh"]
    # The new refresh token was in the database before the new access token was first used.
    assert stored_when_used == ["refresh-2-abcdefgh"]
    used = [a["access_token"] for a in oa.send_attempts]
    assert used[:2] == ["access-1-abcdefgh", "access-2-abcdefgh"]  # refused, then the same message again
    assert set(used[2:]) == {"access-2-abcdefgh"}
    assert len(oa.sent) == len(used) - 1
    assert stored[:2] == ("access-2-abcdefgh", "refresh-2-abcdefgh")
    assert stored[2] is not None


async def test_two_workers_refresh_once_and_never_spend_a_refresh_token_twice(database: Database) -> None:
    async with fake_oa(refresh_delay=0.5) as oa:
        settings = oa.settings()

        def worker() -> ZaloOAChannel:
            return ZaloOAChannel(
                database, SystemClock(), app_id=oa.app_id, app_secret=oa.app_secret, secret_key=oa.secret_key,
                api_base=oa.base_url, oauth_base=oa.base_url, access_token=settings["zalo_oa_access_token"],
                refresh_token=settings["zalo_oa_refresh_token"])

        first, second = worker(), worker()  # as in two processes: separate caches, one database
        try:
            await first.start()
            await second.start()
            oa.expire_access_token()
            results = await asyncio.gather(first.send("u1", Rendered(["Một"])), second.send("u2", Rendered(["Hai"])),
                                           first.send("u3", Rendered(["Ba"])))
            assert [r.outcome for r in results] == [SendOutcome.SENT] * 3
            assert oa.refreshes == ["refresh-1-abcdefgh"]
            assert oa.reused_refresh_tokens == []
            assert sorted(m["text"] for m in oa.sent) == ["Ba", "Hai", "Một"]

            # A restart with the same bootstrap settings keeps the newer tokens from the database.
            third = worker()
            await third.start()
            assert (await third.tokens.stored())[:2] == ("access-2-abcdefgh", "refresh-2-abcdefgh")
            assert (await third.send("u4", Rendered(["Bốn"]))).outcome is SendOutcome.SENT
            assert oa.send_attempts[-1]["access_token"] == "access-2-abcdefgh"
            await third.stop()
        finally:
            await first.stop()
            await second.stop()


# --- the reply window --------------------------------------------------------------------------------------


async def test_an_answer_after_three_days_is_held_then_delivered_when_the_citizen_writes(db_url: str) -> None:
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=VN).astimezone(UTC))  # Monday 09:00 in Hanoi
    async with fake_oa(clock=clock) as oa, running_bot(db_url, None, polling=False, clock=clock,
                                                         **oa.settings()) as bot:
        await oa.connect(bot.web_app())
        before = await _onboard(bot, oa)
        case_id = await _case_of(bot, USER)
        clock.advance(days=3)  # Thursday: the 48-hour window closed a day ago
        row_id = await _queue(bot, ANSWER, "answer", case_id)

        held = await _row(bot, row_id, until="held")
        assert (held.attempts, held.last_error, held.held_at) == (
            1, "reply window closed; no proactive quota", clock.now())
        # Held is final for the attempt: more sender passes, and the application at rest, send nothing.
        for _ in range(3):
            await bot.sender.poll_once()
        await settled(bot.db)
        assert len(oa.send_attempts) == before
        assert (await _row(bot, row_id, until="held")).attempts == 1
        # Meanwhile the case and its answer are in the database for the tracking page (/track, built with the
        # web chat), which does not depend on any messenger's window.

        clock.advance(hours=2)
        oa.says(USER, "/my")
        texts = await oa.wait_for(USER, before + 2)
        delivered = await _row(bot, row_id, until="sent")
    # First the held answer, with when it was written and where to look the case up; then the reply to /my.
    assert texts[before] == f"{NOTE}\n\n{ANSWER}"
    assert "PA-2026-000001" in texts[before + 1]  # /my lists the case
    assert (delivered.sent_as, delivered.attempts) == ("reply", 2)


async def test_a_verified_oa_spends_its_quota_only_on_what_matters(db_url: str) -> None:
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=VN).astimezone(UTC))
    settings = {"zalo_oa_verified": True, "zalo_oa_monthly_quota": 1}
    async with fake_oa(clock=clock) as oa, running_bot(db_url, None, polling=False, clock=clock,
                                            **oa.settings(**settings)) as bot:
        await oa.connect(bot.web_app())
        before = await _onboard(bot, oa)
        case_id = await _case_of(bot, USER)
        clock.advance(days=3)
        notice = await _row(bot, await _queue(bot, "Nhắc: hãy đánh giá câu trả lời.", "notice", case_id))
        answer = await _row(bot, await _queue(bot, ANSWER, "answer", case_id))
        question = await _row(bot, await _queue(bot, "Bạn cho biết số nhà chính xác?", "question", case_id))
        async with bot.db.unit_of_work(readonly=True) as uow:
            quota = (await uow.session.execute(select(ProactiveQuota))).scalars().all()
    assert (notice.status, notice.last_error) == ("held", "reply window closed; not worth a proactive message")
    assert (answer.status, answer.sent_as) == ("sent", "proactive")
    assert (question.status, question.last_error) == (
        "held", "reply window closed; proactive quota for 2026-03 spent")
    assert [(q.channel, q.period, q.used) for q in quota] == [("zalo_oa", "2026-03", 1)]
    assert oa.texts_to(USER)[before:] == [ANSWER]


async def test_eight_replies_per_window_then_hold(db_url: str) -> None:
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=VN).astimezone(UTC))
    async with fake_oa(clock=clock) as oa, running_bot(db_url, None, polling=False, clock=clock,
                                                         **oa.settings()) as bot:
        await oa.connect(bot.web_app())
        oa.says(USER, "/start")
        await oa.wait_for(USER, 1)
        await oa.all_delivered()
        await settled(bot.db)
        async with bot.db.unit_of_work(readonly=True) as uow:
            spent = (await uow.session.execute(select(ChannelIdentity.replies_since_inbound))).scalar_one()
        before = len(oa.texts_to(USER))
        assert spent == before
        rows = [await _row(bot, await _queue(bot, f"Tin {i}", "reply")) for i in range(1, 10 - spent)]
        assert [r.status for r in rows] == ["sent"] * (8 - spent) + ["held"]
        assert rows[-1].last_error == "8 replies already sent since the chat last wrote; not worth a proactive message"
        assert oa.texts_to(USER)[before:] == [f"Tin {i}" for i in range(1, 9 - spent)]
        assert rows[-1].held_at == clock.now()


async def test_an_image_is_fetched_from_the_address_in_the_event() -> None:
    async with fake_oa() as oa:
        channel = ZaloOAChannel(Database("sqlite+aiosqlite://"), SystemClock(), app_id=oa.app_id,
                                app_secret=oa.app_secret, secret_key=oa.secret_key, api_base=oa.base_url,
                                oauth_base=oa.base_url)
        try:
            event = oa.event(USER, "user_send_image", {"text": "", "attachments": [
                {"type": "image", "payload": {"url": f"{oa.base_url}/files/a.jpg"}}]})
            oa.files["a.jpg"] = b"\xff\xd8\xff\xe0 a jpeg"
            inbound = channel.to_inbound(event)
            assert inbound is not None and inbound.kind is InboundKind.PHOTO
            assert await channel.fetch_media(inbound.media[0].ref) == b"\xff\xd8\xff\xe0 a jpeg"
        finally:
            await channel.stop()
