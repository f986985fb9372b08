"""POST /telegram/webhook: verify, store in the inbox, answer 200. Slow work happens elsewhere."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging

from aiohttp import web

from bot.channels.base import UpdateRejected
from bot.channels.telegram import TelegramChannel
from bot.services.receiving import Receiver
from bot.web.app import MAX_UPDATE_BYTES

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def add_telegram_webhook(app: web.Application, channel: TelegramChannel, receiver: Receiver, secret: str) -> None:
    pending: set[asyncio.Task[None]] = set()

    async def webhook(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.json_response({"ok": False, "error": "forbidden"}, status=403)
        if request.content_type != "application/json":
            return web.json_response({"ok": False, "error": "unsupported media type"}, status=415)
        if request.content_length is not None and request.content_length > MAX_UPDATE_BYTES:
            return web.json_response({"ok": False, "error": "too large"}, status=413)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return web.json_response({"ok": False, "error": "too large"}, status=413)
        try:
            payload = json.loads(body)
            if not isinstance(payload, dict):
                raise UpdateRejected("an update is a JSON object")
            await receiver.store(channel, [payload])
        except (ValueError, UpdateRejected) as exc:
            return web.json_response({"ok": False, "error": f"malformed update: {exc}"[:200]}, status=400)
        if "callback_query" in payload:  # stop the button's spinner; the press is already stored
            task = asyncio.create_task(channel.answer_query(payload))
            pending.add(task)
            task.add_done_callback(pending.discard)
        return web.json_response({"ok": True})

    app.router.add_post("/telegram/webhook", webhook)
