"""Web Push against a local fake push service: the subscription is stored, an answer while the page is closed
is one push whose aes128gcm payload the test decrypts with the browser's keys, a 410 removes the subscription,
and a /privacy deletion removes it too."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import http_ece
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import select

from bot.channels.model import Choice, Rendered
from bot.services.privacy import Privacy
from storage.models import ChannelIdentity, WebMessage, WebPushSubscription
from tests.officials.world import World
from tests.support.web_client import WebVisitor, serving
from tests.web.test_webchat import web_container


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


class FakePushService:
    """Speaks the push service's side of RFC 8030: 201 for a push, or the status the test sets."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 201
        self.arrived = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        self.arrived.set()
        return web.Response(status=self.status)


@asynccontextmanager
async def push_service() -> AsyncIterator[tuple[FakePushService, str]]:
    fake = FakePushService()
    app = web.Application()
    app.router.add_post("/push/{token}", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield fake, f"http://127.0.0.1:{port}/push/browser-1"
    finally:
        await runner.cleanup()


async def subscriptions(container: Any) -> list[WebPushSubscription]:
    async with container.db.unit_of_work(readonly=True) as uow:
        return list((await uow.session.execute(select(WebPushSubscription))).scalars())


async def test_an_answer_with_the_page_closed_is_one_push_and_a_gone_browser_is_forgotten(db_url: str) -> None:
    browser_key = ec.generate_private_key(ec.SECP256R1())
    auth = os.urandom(16)
    public = browser_key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    container = web_container(db_url, web_push_plain_http=True)
    async with push_service() as (fake, endpoint), serving(container) as base:
        visitor = await WebVisitor(base).open()
        try:
            assert visitor.session is not None
            subscription = {"endpoint": endpoint, "keys": {"p256dh": b64(public), "auth": b64(auth)}}
            async with visitor.session.post(f"{base}/chat/push", json=subscription,
                                            headers={"Origin": base}) as response:
                assert response.status == 201
            async with visitor.session.post(f"{base}/chat/push", json={**subscription, "endpoint": "file:///x"},
                                            headers={"Origin": base}) as response:
                assert response.status == 400
            async with visitor.session.post(f"{base}/chat/push", json=subscription,
                                            headers={"Origin": "https://evil.example"}) as response:
                assert response.status == 403
            stored = await subscriptions(container)
            assert [(s.endpoint, s.p256dh, s.auth) for s in stored] == [(endpoint, b64(public), b64(auth))]
            chat = stored[0].chat_id

            await container.web_chat.channel.send(chat, Rendered(texts=["Câu hỏi từ cán bộ?"], call_back=True))
            assert fake.received == []  # the page is open: it shows the message, no push
            await visitor.disconnect()

            answer = "Trả lời hồ sơ PA-2026-000001 của UBND phường Sao Đỏ:\nĐã nạo vét 50 mét cống."
            await container.web_chat.channel.send(chat, Rendered(texts=[answer], buttons=[Choice("satisfied", "Hài lòng")],
                                                        call_back=True))
            await asyncio.wait_for(fake.arrived.wait(), 30)
            assert len(fake.received) == 1
            headers, body = fake.received[0]
            assert headers["Content-Encoding"] == "aes128gcm"
            assert headers["Authorization"].startswith("vapid t=")
            assert f"k={container.web_push.public_key}" in headers["Authorization"]
            clear = http_ece.decrypt(body, private_key=browser_key, auth_secret=auth, version="aes128gcm")
            assert json.loads(clear) == {"title": "Tiếp Dân", "body": answer, "url": "/chat"}

            fake.status = 410  # the browser unsubscribed: the push service forgot it
            await container.web_chat.channel.send(chat, Rendered(texts=["Nhắc lại"], call_back=True))
            assert len(fake.received) == 2
            assert await subscriptions(container) == []
        finally:
            await visitor.close()


async def test_deleting_the_account_forgets_the_browsers(db_url: str) -> None:
    container = web_container(db_url, web_push_plain_http=True)
    async with serving(container) as base:
        visitor = await WebVisitor(base).open()
        try:
            await visitor.start()
            await visitor.wait_for(2)
            await visitor.press("agree")
            await visitor.wait_for(4)
            assert visitor.session is not None
            subscription = {"endpoint": "https://push.example/abc", "keys": {"p256dh": "BPk", "auth": "c2VjcmV0"}}
            async with visitor.session.post(f"{base}/chat/push", json=subscription,
                                            headers={"Origin": base}) as response:
                assert response.status == 201
            chat = (await subscriptions(container))[0].chat_id
            async with container.db.unit_of_work() as uow:
                citizen_id = (await uow.session.execute(select(ChannelIdentity.citizen_id).where(
                    ChannelIdentity.channel == "web", ChannelIdentity.chat_id == chat))).scalar_one()
                org = await container.app.org.get(uow.session, container.clock.now().date())
                await Privacy(uow.session, container.app, org).delete_account(citizen_id, container.clock.now())
                await uow.commit()
            assert await subscriptions(container) == []
        finally:
            await visitor.close()


async def push_subscription(visitor: WebVisitor, base: str, endpoint: str) -> tuple[ec.EllipticCurvePrivateKey, bytes]:
    """The browser's side: a key pair and an auth secret, subscribed for this visitor's chat."""
    browser_key, auth = ec.generate_private_key(ec.SECP256R1()), os.urandom(16)
    public = browser_key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    assert visitor.session is not None
    async with visitor.session.post(f"{base}/chat/push", headers={"Origin": base}, json={
            "endpoint": endpoint, "keys": {"p256dh": b64(public), "auth": b64(auth)}}) as response:
        assert response.status == 201
    return browser_key, auth


async def test_only_an_officials_question_or_answer_calls_the_citizen_back(db_url: str) -> None:
    """Through the real services and the sender: a transfer notice to the closed page is written to the
    transcript without a push; the question that follows it is one push, an answer to another case the next."""
    container = web_container(db_url, web_push_plain_http=True)
    async with push_service() as (fake, endpoint), serving(container) as base:
        visitor = await WebVisitor(base).open()
        try:
            browser_key, auth = await push_subscription(visitor, base, endpoint)
            chat = (await subscriptions(container))[0].chat_id
            await visitor.disconnect()  # the page is closed from here on
            world = World(container.db, container.clock)  # type: ignore[arg-type]
            citizen = await world.account(chat, "web")
            async with world.services() as s:
                await s.identities.grant_consent(citizen.citizen_id or 0, s.org.notice_version, world.clock.now())
            case_id = await world.submit(citizen)
            mai, son = await world.official("SAODO_OFF1"), await world.official("QLDT_OFF1")
            async with world.services() as s:
                await s.case_actions.transfer(mai.official_id, case_id, "QLDT", "Cống do thành phố quản lý.")
            async with world.services() as s:
                await s.case_actions.accept(son.official_id, case_id)
                await s.case_actions.ask(son.official_id, case_id, "Chỗ ngập cách ngã tư bao xa?")
            container.sender.wake()
            await asyncio.wait_for(fake.arrived.wait(), 60)
            async with container.db.unit_of_work(readonly=True) as uow:
                shown = list((await uow.session.execute(select(WebMessage.payload).where(
                    WebMessage.chat_id == chat, WebMessage.direction == "out").order_by(WebMessage.id))).scalars())
            texts = ["\n".join(p["texts"]) for p in shown]
            assert len(texts) == 2 and "Phòng Quản lý đô thị" in texts[0], texts  # the notice, then the question
            assert "Chỗ ngập cách ngã tư bao xa?" in texts[1]
            assert len(fake.received) == 1  # the notice was not pushed
            clear = http_ece.decrypt(fake.received[0][1], private_key=browser_key, auth_secret=auth,
                                     version="aes128gcm")
            assert json.loads(clear) == {"title": "Tiếp Dân", "body": texts[1], "url": "/chat"}

            fake.arrived.clear()  # another case answered: the answer calls the citizen back too
            answered = await world.submit(citizen)
            async with world.services() as s:
                await s.case_actions.accept(mai.official_id, answered)
                await s.case_actions.answer(mai.official_id, answered, "Đã nạo vét 50 mét cống.")
            container.sender.wake()
            await asyncio.wait_for(fake.arrived.wait(), 60)
            assert len(fake.received) == 2
            clear = http_ece.decrypt(fake.received[1][1], private_key=browser_key, auth_secret=auth,
                                     version="aes128gcm")
            assert "Đã nạo vét 50 mét cống." in json.loads(clear)["body"]
        finally:
            await visitor.close()
