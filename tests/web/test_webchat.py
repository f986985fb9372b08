"""The web chat end to end: a real server on 127.0.0.1, a real WebSocket client, the real engine and database."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from PIL import Image
from sqlalchemy import func, select
from yarl import URL

from bot.channels.model import Rendered
from bot.clock import FakeClock
from bot.container import Container
from storage.models import (
    Area,
    Attachment,
    Case,
    Category,
    ChannelIdentity,
    InboxItem,
    Official,
    Unit,
    WebMessage,
)
from tests.support.harness import settings_for
from tests.support.web_client import DESCRIPTION, WebVisitor, report_flooding, serving

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# Friday 13/02/2026 16:00 in Hanoi time, as in the Telegram journey.
FRIDAY = datetime(2026, 2, 13, 16, 0, tzinfo=VN).astimezone(UTC)
WELCOME = (
    "Xin chào! Đây là kênh tiếp nhận phản ánh, kiến nghị của Thành phố Chí Linh (demo). Mọi phản ánh đều được "
    "ghi nhận, có mã theo dõi, có đơn vị và thời hạn trả lời rõ ràng."
)


def web_container(db_url: str, **extra: object) -> Container:
    return Container(settings_for(db_url, **extra), clock=FakeClock(FRIDAY))


async def count(container: Container, model: type, *where: object) -> int:
    async with container.db.unit_of_work(readonly=True) as uow:
        return int((await uow.session.execute(select(func.count()).select_from(model).where(*where))).scalar_one())


async def test_a_citizen_reports_through_the_web_chat(db_url: str) -> None:
    container = web_container(db_url)
    async with serving(container) as base:
        visitor = await WebVisitor(base).open()
        try:
            assert visitor.history == []
            await visitor.start()
            texts = await visitor.wait_for(2)
            assert texts[0] == WELCOME
            assert texts[1].startswith("Thông báo xử lý dữ liệu cá nhân (phiên bản 2026-01)")
            assert [k for k, _ in visitor.last_buttons()] == ["agree", "decline"]  # buttons stay buttons

            code = await report_flooding(visitor)
            assert code == "PA-2026-000001"
            receipt = next(t for t in visitor.bot_texts() if code in t)
            assert "UBND phường Sao Đỏ" in receipt

            async with container.db.unit_of_work(readonly=True) as uow:
                s = uow.session
                case = (await s.execute(select(Case))).scalar_one()
                unit = await s.get(Unit, case.unit_id)
                category = await s.get(Category, case.category_id)
                area = await s.get(Area, case.area_id)
                ward = await s.get(Area, area.parent_id) if area.kind == "residential" else area
                identity = await s.get(ChannelIdentity, case.reply_identity_id)
                lines = (await s.execute(select(WebMessage).order_by(WebMessage.id))).scalars().all()
            assert (case.code, case.kind, case.status) == ("PA-2026-000001", "report", "submitted")
            # The place is Sao Đỏ ward (the intake may narrow it to the residential area the text names).
            assert (unit.code, category.code, ward.code) == ("P_SAODO", "ngap_nuoc", "SAODO")
            assert case.text.startswith(DESCRIPTION)
            assert case.due_at == datetime(2026, 2, 27, 17, 0, tzinfo=VN)
            assert (identity.channel, identity.citizen_id) == ("web", case.citizen_id)
            # The transcript holds both sides: what the page showed the visitor is what the database kept.
            assert [line.direction for line in lines][:3] == ["out", "out", "in"]
            assert lines[2].payload["text"] == "Tôi đồng ý"
            assert [m["texts"] for m in visitor.bot_messages()] == [
                line.payload["texts"] for line in lines if line.direction == "out"
            ]
        finally:
            await visitor.close()


async def test_a_reload_shows_the_conversation_and_greets_only_once(db_url: str) -> None:
    container = web_container(db_url)
    async with serving(container) as base:
        visitor = await WebVisitor(base).open()
        try:
            texts = await visitor.agree()
            before = sorted(visitor.messages.items())

            await visitor.disconnect()  # the page reloads: same cookie, new socket
            await visitor.connect()
            assert [(m["id"], m["dir"], m.get("texts"), m.get("text")) for m in visitor.history] == [
                (i, m["dir"], m.get("texts"), m.get("text")) for i, m in before
            ]
            assert [m["text"] for m in visitor.history if m["dir"] == "in"] == ["Tôi đồng ý"]
            assert visitor.bot_texts() == texts
            assert texts[2:] == ["Cảm ơn bạn. Bạn có thể bắt đầu.", "Bạn muốn làm gì? Chọn một mục:"]

            await visitor.start()  # a page that asks for the greeting again gets nothing new
            assert (await visitor.wait_frame("ack", "start"))["duplicate"] is True
            await visitor.settle()
            assert len(visitor.bot_messages()) == 4
        finally:
            await visitor.close()


async def test_a_resent_message_is_handled_once(db_url: str) -> None:
    container = web_container(db_url)
    async with serving(container) as base:
        visitor = await WebVisitor(base).open()
        try:
            await visitor.start()
            await visitor.wait_for(2)
            frame = {"type": "choice", "id": "resend-0001", "key": "agree", "label": "Tôi đồng ý"}
            await visitor.send(dict(frame))
            assert (await visitor.wait_frame("ack", "resend-0001")) == {
                "type": "ack", "client_id": "resend-0001", "duplicate": False}
            await visitor.send(dict(frame))  # the page reconnected before its acknowledgement arrived
            assert (await visitor.wait_frame("ack", "resend-0001"))["duplicate"] is True
            await visitor.settle()
            assert len(visitor.bot_messages()) == 4
            assert await count(container, InboxItem) == 2  # the greeting and one press
            assert await count(container, WebMessage, WebMessage.direction == "in") == 1
        finally:
            await visitor.close()


async def test_a_forged_cookie_or_a_foreign_page_is_refused(db_url: str) -> None:
    container = web_container(db_url)
    async with serving(container) as base:
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as session:
            async with session.get(f"{base}/chat") as page:
                cookie = page.cookies["tiepdan_web"]
                assert cookie["httponly"] is True
                assert cookie["samesite"] == "Lax"
            visitor_id = cookie.value.split(".")[0]
            forged = f"{visitor_id}.{'A' * 32}"
            async with aiohttp.ClientSession(cookies={"tiepdan_web": forged}) as forger:
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await forger.ws_connect(f"{base}/chat/ws", origin=base)
                assert refused.value.status == 403
                async with forger.get(f"{base}/chat") as page:  # the page hands out a fresh visitor instead
                    assert page.cookies["tiepdan_web"].value.split(".")[0] != visitor_id
            for origin in ("http://evil.example", None):
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await session.ws_connect(f"{base}/chat/ws", origin=origin)
                assert refused.value.status == 403
            async with session.ws_connect(f"{base}/chat/ws", origin=base) as ws:  # the real page still works
                assert (await ws.receive_json(timeout=30))["type"] == "hello"
    assert await count(container, InboxItem) == 0


async def test_an_oversized_message_gets_a_clear_answer_and_nothing_is_stored(db_url: str) -> None:
    container = web_container(db_url)
    async with serving(container) as base:
        visitor = await WebVisitor(base).open()
        try:
            client_id = await visitor.say("ngập " * 801)  # 4004 characters once trimmed
            error = await visitor.wait_frame("error")
            assert error == {
                "type": "error", "client_id": client_id,
                "text": "Tin nhắn quá dài (4004 ký tự). Mỗi tin nhắn tối đa 4000 ký tự; xin chia thành nhiều tin.",
            }
            await visitor.send({"type": "text", "text": "   "})
            assert (await visitor.wait_frame("error"))["text"] == "Tin nhắn đang trống."
            await visitor.send({"type": "launch"})
            assert (await visitor.wait_frame("error"))["text"] == "Trang này chưa gửi được loại tin nhắn đó."
            assert visitor.ws is not None
            await visitor.ws.send_str("{not json")
            assert (await visitor.wait_frame("error"))["text"] == "Tin nhắn không đọc được. Xin thử lại."
            assert await count(container, InboxItem) == 0

            await visitor.ws.send_str("x" * (70 * 1024))  # beyond any frame the page sends: the socket closes
            assert await visitor.closed_by_server() == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
            assert await count(container, InboxItem) == 0
        finally:
            await visitor.close()


def photo_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (21.0, 6.0, 30.0), 3: "E", 4: (106.0, 24.0, 0.0)}  # GPS IFD: Chí Linh
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


async def test_a_photo_is_checked_stripped_and_only_its_chat_sees_it(db_url: str) -> None:
    container = web_container(db_url)
    async with serving(container) as base:
        visitor, stranger = await WebVisitor(base).open(), await WebVisitor(base).open()
        try:
            original = photo_with_gps()
            assert Image.open(io.BytesIO(original)).getexif()  # the test photo does carry EXIF
            async with await visitor.upload(original, "image/jpeg") as response:
                assert response.status == 200
                attachment_id = (await response.json())["attachment"]
            async with container.db.unit_of_work(readonly=True) as uow:
                stored = await uow.session.get(Attachment, attachment_id)
            assert (stored.kind, stored.mime, stored.case_id) == ("photo", "image/jpeg", None)
            assert dict(Image.open(io.BytesIO(stored.content)).getexif()) == {}

            async with await visitor.upload(b"%PDF-1.4 not a photo", "application/pdf", "a.pdf") as response:
                assert (response.status, await response.json()) == (
                    415, {"error": "Chỉ nhận ảnh JPEG, PNG hoặc WebP."})
            async with await visitor.upload(b"\xff\xd8 broken", "image/jpeg") as response:
                assert (response.status, await response.json()) == (
                    415, {"error": "Không đọc được ảnh này. Xin chụp lại hoặc chọn ảnh khác."})
            async with await visitor.upload(b"\0" * (10 * 1024 * 1024 + 1), "image/jpeg") as response:
                assert (response.status, await response.json()) == (413, {"error": "Ảnh quá lớn. Mỗi ảnh tối đa 10 MB."})

            assert visitor.session is not None and stranger.session is not None
            async with visitor.session.post(f"{base}/chat/upload", data=b"{}", headers={
                    "Origin": base, "Content-Type": "application/json"}) as response:
                assert (response.status, await response.json()) == (
                    400, {"error": "Tin nhắn không đọc được. Xin thử lại."})
            foreign = aiohttp.FormData()
            foreign.add_field("photo", original, content_type="image/jpeg", filename="p.jpg")
            async with visitor.session.post(f"{base}/chat/upload", data=foreign,
                                            headers={"Origin": "http://evil.example"}) as response:
                assert response.status == 403
            async with visitor.session.get(f"{base}/chat/media/{attachment_id}") as mine:
                assert (mine.status, await mine.read()) == (200, stored.content)
            async with stranger.session.get(f"{base}/chat/media/{attachment_id}") as theirs:
                assert theirs.status == 404
            # Someone else's upload cannot be sent as one's own photo either.
            await stranger.send({"type": "photo", "attachment": attachment_id})
            assert (await stranger.wait_frame("error"))["text"] == "Không tìm thấy ảnh vừa tải lên. Xin gửi lại ảnh."

            await visitor.start()
            await visitor.wait_for(2)
            sent = await visitor.send({"type": "photo", "attachment": attachment_id})
            assert (await visitor.wait_frame("ack", sent))["duplicate"] is False
            async with container.db.unit_of_work(readonly=True) as uow:
                row = (await uow.session.execute(select(InboxItem).order_by(InboxItem.id.desc()))).scalars().first()
            inbound = container.web_chat.channel.to_inbound(row.payload)
            assert (inbound.kind, inbound.media[0].ref, inbound.media[0].mime) == (
                "photo", str(attachment_id), "image/jpeg")
            assert await container.web_chat.channel.fetch_media(inbound.media[0].ref) == stored.content
        finally:
            await visitor.close()
            await stranger.close()


async def test_a_message_written_by_another_process_reaches_the_open_page(db_url: str) -> None:
    here, elsewhere = web_container(db_url), web_container(db_url)
    async with serving(here) as base:
        visitor = await WebVisitor(base).open()
        try:
            await visitor.start()
            await visitor.wait_for(2)
            chat = next(iter(here.web_chat.channel.open_chats()))
            # Another process's dispatcher sends to this chat: it writes the transcript; this page is told.
            result = await elsewhere.web_chat.channel.send(chat, Rendered(texts=["Cán bộ đã nhận hồ sơ của bạn."]))
            assert result.outcome == "sent"
            texts = await visitor.wait_for(3)
            assert texts[2] == "Cán bộ đã nhận hồ sơ của bạn."
        finally:
            await visitor.close()
            await elsewhere.db.dispose()


async def test_demo_mode_lets_a_visitor_act_as_a_demo_official(db_url: str) -> None:
    container = web_container(db_url, demo=True)
    async with serving(container) as base:
        official = await WebVisitor(base, seat="SAODO_OFF1").open()
        citizen = WebVisitor(base)
        citizen.session = official.session  # the same browser: one visitor, two identities
        try:
            await official.start()
            await official.wait_for(1)
            await citizen.connect()
            assert citizen.history == []  # the citizen's chat is another conversation
            async with container.db.unit_of_work(readonly=True) as uow:
                identity = (await uow.session.execute(
                    select(ChannelIdentity).where(ChannelIdentity.official_id.is_not(None)))).scalar_one()
                seat = (await uow.session.get(Official, identity.official_id)).seat
            assert (identity.channel, seat, identity.citizen_id) == ("web", "SAODO_OFF1", None)
            assert identity.external_id.endswith(".SAODO_OFF1")
            assert official.session is not None
            async with official.session.get(f"{base}/chat?as=SAODO_OFF1") as response:
                page = await response.text()
            assert "<summary>Bản dùng thử - vai trò: Trần Thị Mai (cán bộ)</summary>" in page
            assert '<option value="SAODO_OFF1" selected>Trần Thị Mai (cán bộ)</option>' in page
            assert 'href="/chat?as=SAODO_OFF1&amp;lang=en"' in page  # switching language keeps the seat
        finally:
            await citizen.disconnect()
            await official.close()


async def test_without_demo_mode_nobody_can_act_as_an_official(db_url: str) -> None:
    container = web_container(db_url)
    async with serving(container) as base:
        visitor = await WebVisitor(base).open()
        try:
            assert visitor.session is not None
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await visitor.session.ws_connect(f"{base}/chat/ws?as=SAODO_OFF1", origin=base)
            assert refused.value.status == 403
            async with visitor.session.get(f"{base}/chat?as=SAODO_OFF1") as page:
                assert "demo-seat" not in await page.text()
        finally:
            await visitor.close()
        assert await count(container, ChannelIdentity, ChannelIdentity.official_id.is_not(None)) == 0


async def test_a_flood_of_messages_is_slowed_down_with_a_clear_answer(db_url: str) -> None:
    container = web_container(db_url)
    async with serving(container) as base:
        visitor = await WebVisitor(base).open()
        try:
            sent = [await visitor.say(f"Tin nhắn số {n}") for n in range(1, 26)]
            answers = [await visitor.wait_frame("ack" if i < 20 else "error", client_id)
                       for i, client_id in enumerate(sent)]
            assert [a["type"] for a in answers] == ["ack"] * 20 + ["error"] * 5
            assert answers[-1]["text"] == "Bạn gửi nhanh quá. Xin đợi vài giây rồi gửi lại."
            assert await count(container, InboxItem) == 20
        finally:
            await visitor.close()


async def test_a_location_from_the_browser_reaches_the_bot_as_a_location(db_url: str) -> None:
    container = web_container(db_url)
    async with serving(container) as base:
        visitor = await WebVisitor(base).open()
        try:
            for bad in ({"lat": 91.0, "lon": 106.4}, {"lat": "21.1", "lon": 106.4}, {"lat": True, "lon": 1}):
                refused = await visitor.send({"type": "location", **bad})
                assert (await visitor.wait_frame("error", refused))["text"] == "Tin nhắn không đọc được. Xin thử lại."
            sent = await visitor.send({"type": "location", "lat": 21.1325, "lon": 106.3967})
            assert (await visitor.wait_frame("ack", sent))["duplicate"] is False
            async with container.db.unit_of_work(readonly=True) as uow:
                row = (await uow.session.execute(select(InboxItem))).scalar_one()
                line = (await uow.session.execute(select(WebMessage))).scalar_one()
            inbound = container.web_chat.channel.to_inbound(row.payload)
            assert (inbound.kind, inbound.lat, inbound.lon, inbound.chat_id) == (
                "location", 21.1325, 106.3967, line.chat_id)
            assert line.payload == {"client_id": sent, "location": [21.1325, 106.3967]}
        finally:
            await visitor.close()


async def test_a_cookie_from_before_the_signing_change_keeps_its_conversation(db_url: str) -> None:
    """A visitor whose cookie was signed the first way (`VISITOR~ISSUED.HMAC`) keeps their conversation."""
    container = web_container(db_url)
    async with serving(container) as base:
        visitor = await WebVisitor(base).open()
        try:
            await visitor.agree()
            before = sorted(visitor.messages)
            assert visitor.session is not None
            cookie = next(c for c in visitor.session.cookie_jar if c.key == "tiepdan_web")
            visitor_id = cookie.value.split(".")[0]
            value = f"{visitor_id}~{int(container.clock.now().timestamp()) - 86400}"
            first_format = f"{value}.{container.signer.first_format('web-visitor', value)}"
            await visitor.disconnect()
            visitor.session.cookie_jar.clear()
            visitor.session.cookie_jar.update_cookies({"tiepdan_web": first_format}, URL(base))
            await visitor.connect()
            assert sorted(m["id"] for m in visitor.history) == before
            forged = first_format[:-3] + ("AAA" if not first_format.endswith("AAA") else "BBB")
            await visitor.disconnect()
            visitor.session.cookie_jar.clear()
            visitor.session.cookie_jar.update_cookies({"tiepdan_web": forged}, URL(base))
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await visitor.connect()
        finally:
            await visitor.close()
