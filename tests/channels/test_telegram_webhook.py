"""Webhook mode: verify, store, answer; repeats have one effect; per-chat order under concurrency."""

from __future__ import annotations

import asyncio
import json

import aiohttp
from aiohttp import web
from sqlalchemy import func, select

from storage.models import InboxItem
from tests.support.harness import fake_telegram, running_bot

SECRET = "s3cret-Webhook_token"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/telegram/webhook"


async def _inbox_count(bot) -> int:
    async with bot.db.unit_of_work(readonly=True) as uow:
        return (await uow.session.execute(select(func.count(InboxItem.id)))).scalar_one()


async def test_webhook_rejects_bad_requests_and_stores_nothing(db_url: str) -> None:
    async with fake_telegram() as tg, running_bot(db_url, tg, polling=False, webhook_secret=SECRET) as bot:
        runner, url = await _serve(bot.web_app())
        update = tg.message(1001, text="/start")
        try:
            async with aiohttp.ClientSession() as http:
                async def post(body: bytes | str, headers: dict[str, str]) -> int:
                    async with http.post(url, data=body, headers=headers) as response:
                        return response.status

                good = {HEADER: SECRET, "Content-Type": "application/json"}
                assert await post(json.dumps(update), {"Content-Type": "application/json"}) == 403
                assert await post(json.dumps(update), {**good, HEADER: "wrong-secret-value"}) == 403
                assert await post(json.dumps(update), {HEADER: SECRET, "Content-Type": "text/plain"}) == 415
                assert await post("{not json", good) == 400
                assert await post("[1, 2]", good) == 400
                assert await post(json.dumps({"update_id": "seven"}), good) == 400
                assert await post(json.dumps({"message": {}}), good) == 400
                assert await post(b"{" + b" " * (1024 * 1024 + 10) + b"}", good) == 413
                assert await _inbox_count(bot) == 0

                assert await post(json.dumps(update), good) == 200
                assert await post(json.dumps(update), good) == 200  # Telegram retried the same update
            await tg.wait_for(1001, 2)
            await asyncio.sleep(0.3)
            assert await _inbox_count(bot) == 1
            assert len(tg.texts_to(1001)) == 2  # one welcome and one notice, not two of each
        finally:
            await runner.cleanup()


async def test_hundred_updates_of_twenty_chats_keep_per_chat_order(db_url: str) -> None:
    async with fake_telegram() as tg, running_bot(db_url, tg, polling=False, webhook_secret=SECRET) as bot:
        runner, url = await _serve(bot.web_app())
        chats = [2000 + i for i in range(20)]
        # Five updates a chat whose answers differ, so any reordering shows.
        script = ["/start", "1", "/help", "/my", "/lang"]
        updates = {chat: [tg.message(chat, text=t) for t in script] for chat in chats}
        try:
            async with aiohttp.ClientSession() as http:
                async def deliver(chat: int) -> None:
                    for update in updates[chat]:  # a chat's own updates arrive in order, like Telegram's
                        async with http.post(url, json=update, headers={HEADER: SECRET}) as response:
                            assert response.status == 200

                await asyncio.gather(*(deliver(chat) for chat in chats))
            for chat in chats:
                await tg.wait_for(chat, 8, within=90)
        finally:
            await runner.cleanup()
        menu = "Bạn muốn làm gì? Chọn một mục:"
        for chat in chats:
            texts = tg.texts_to(chat)
            assert texts[0].startswith("Xin chào!")
            assert texts[1].startswith("Thông báo xử lý dữ liệu cá nhân")
            assert texts[2:] == [
                "Cảm ơn bạn. Bạn có thể bắt đầu.", menu,
                "Chọn một mục trong menu bằng nút hoặc số thứ tự.",
                "Bạn chưa gửi hồ sơ nào.", menu,
                "Chọn ngôn ngữ / Choose a language:",
            ]


async def test_serve_mode_points_telegram_at_the_webhook(db_url: str) -> None:
    async with fake_telegram() as tg, running_bot(db_url, tg, polling=False, webhook_secret=SECRET,
                                                  webhook_url="https://tiepdan.example.vn/") as bot:
        await bot.point_webhooks()
    assert tg.webhook["url"] == "https://tiepdan.example.vn/telegram/webhook"
    assert tg.webhook["secret_token"] == SECRET
    assert "callback_query" in str(tg.webhook["allowed_updates"])
