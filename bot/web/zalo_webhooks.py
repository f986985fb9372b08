"""POST /zalo/webhook (Zalo Bot API) and POST /zalo-oa/webhook (Official Account): verify, store, answer 200.

A request that fails verification gets 403 and a body we cannot read 400; neither stores anything. Storing is
one short insert, so Zalo gets its answer well within its ~2 s; the flow runs later, in the consumer.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from aiohttp import web

from bot.channels.base import UpdateRejected
from bot.channels.zalo_bot import ZaloBotChannel, unwrap_update
from bot.channels.zalo_oa import SIGNATURE_HEADER, ZaloOAChannel
from bot.services.receiving import Receiver
from bot.web.app import MAX_UPDATE_BYTES

log = logging.getLogger(__name__)
BOT_SECRET_HEADER = "X-Bot-Api-Secret-Token"
ZALO_BOT_PATH = "/zalo/webhook"
ZALO_OA_PATH = "/zalo-oa/webhook"


def _answer(status: int, error: str | None = None) -> web.Response:
    return web.json_response({"ok": error is None, **({"error": error[:200]} if error else {})}, status=status)


async def _body(request: web.Request) -> bytes | web.Response:
    if request.content_length is not None and request.content_length > MAX_UPDATE_BYTES:
        return _answer(413, "too large")
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _answer(413, "too large")


def _json_object(body: bytes) -> dict[str, Any]:
    payload = json.loads(body)
    if not isinstance(payload, dict):
        raise UpdateRejected("an update is a JSON object")
    return payload


def add_zalo_bot_webhook(app: web.Application, channel: ZaloBotChannel, receiver: Receiver, secret: str) -> None:
    async def webhook(request: web.Request) -> web.Response:
        given = request.headers.get(BOT_SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return _answer(403, "forbidden")
        body = await _body(request)
        if isinstance(body, web.Response):
            return body
        try:
            update = unwrap_update(_json_object(body))  # bare, or wrapped as {"ok": .., "result": update}
            await receiver.store(channel, [update])
        except (ValueError, UpdateRejected) as exc:
            return _answer(400, f"malformed update: {exc}")
        return _answer(200)

    app.router.add_post(ZALO_BOT_PATH, webhook)


def add_zalo_oa_webhook(app: web.Application, channel: ZaloOAChannel, receiver: Receiver) -> None:
    async def webhook(request: web.Request) -> web.Response:
        body = await _body(request)
        if isinstance(body, web.Response):
            return body
        # The MAC covers the raw body and the timestamp inside it: checked on the raw bytes, before any parsing.
        timestamp = channel.verify(request.headers.get(SIGNATURE_HEADER), body)
        if timestamp is None:
            return _answer(403, "forbidden")
        try:
            payload = _json_object(body)
        except (ValueError, UpdateRejected) as exc:
            return _answer(400, f"malformed event: {exc}")
        if not channel.accept(timestamp, payload):
            return _answer(403, "stale or foreign event")
        try:
            await receiver.store(channel, [payload])
        except UpdateRejected as exc:
            return _answer(400, f"malformed event: {exc}")
        return _answer(200)

    app.router.add_post(ZALO_OA_PATH, webhook)
