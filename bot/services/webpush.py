"""Calling a web chat visitor back (Web Push): the browsers that agreed, and one push per unseen message.

A visitor who filed a case may let the page subscribe its browser; the subscription (endpoint and the
browser's keys) is stored per web chat. When the bot writes to that chat and no page of it is open here, each
subscribed browser gets one push, encrypted for it (RFC 8291, aes128gcm) and signed with our VAPID key
(RFC 8292), so the citizen hears of an official's question or answer with the page closed. A push service
that answers 404 or 410 has forgotten the browser: its subscription is deleted. A `/privacy` deletion deletes
them with the chat.
"""

from __future__ import annotations

import base64
import json
import logging
from urllib.parse import urlsplit

import aiohttp
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid
from pywebpush import WebPushException, webpush_async
from sqlalchemy import delete, select

from bot.clock import Clock
from storage.models import WebPushSubscription
from storage.repositories.dialect import insert_for
from storage.uow import Database

log = logging.getLogger(__name__)

GONE = (404, 410)
MAX_BODY = 180  # a notification shows a line or two; the page has the rest
PUSH_TTL = 24 * 3600  # a phone that is off for a day still gets it


class WebPush:
    def __init__(self, db: Database, clock: Clock, *, private_key: str | None, subject: str,
                 allow_plain_http: bool = False) -> None:
        self.db, self.clock, self.subject = db, clock, subject
        self.allow_plain_http = allow_plain_http
        if private_key:
            self.vapid = Vapid.from_string(private_key=private_key)
        else:  # tests and one-off runs: a key that dies with the process (its subscriptions with it)
            self.vapid = Vapid()
            self.vapid.generate_keys()

    @property
    def public_key(self) -> str:
        """The applicationServerKey the page subscribes with (base64url, uncompressed P-256 point)."""
        raw = self.vapid.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    def takes(self, endpoint: str) -> bool:
        """Whether a browser's push endpoint is one we send to: https (http too when allowed), with a host."""
        try:
            parts = urlsplit(endpoint)
            host = parts.hostname
        except ValueError:  # an unclosed IPv6 bracket, a bad port
            return False
        schemes = ("https", "http") if self.allow_plain_http else ("https",)
        return parts.scheme in schemes and bool(host)

    async def subscribe(self, chat_id: str, endpoint: str, p256dh: str, auth: str) -> None:
        async with self.db.unit_of_work() as uow:
            await uow.session.execute(delete(WebPushSubscription).where(WebPushSubscription.endpoint == endpoint))
            await uow.session.execute(insert_for(uow.session, WebPushSubscription).values(
                chat_id=chat_id, endpoint=endpoint, p256dh=p256dh, auth=auth, created_at=self.clock.now()))
            await uow.commit()

    async def notify(self, chat_id: str, title: str, body: str) -> int:
        """One push to each browser of this chat; the number delivered. Never raises: a push is a courtesy."""
        async with self.db.unit_of_work(readonly=True) as uow:
            rows = list((await uow.session.execute(
                select(WebPushSubscription).where(WebPushSubscription.chat_id == chat_id))).scalars())
        payload = json.dumps({"title": title, "body": body[:MAX_BODY], "url": "/chat"}, ensure_ascii=False)
        delivered, gone = 0, []
        async with aiohttp.ClientSession() as session:
            for row in rows:
                status = await self._push(session, row, payload)
                if status in GONE:
                    gone.append(row.id)
                elif status is not None and status < 300:
                    delivered += 1
        if gone:
            async with self.db.unit_of_work() as uow:
                await uow.session.execute(delete(WebPushSubscription).where(WebPushSubscription.id.in_(gone)))
                await uow.commit()
        return delivered

    async def _push(self, session: aiohttp.ClientSession, row: WebPushSubscription, payload: str) -> int | None:
        info = {"endpoint": row.endpoint, "keys": {"p256dh": row.p256dh, "auth": row.auth}}
        try:
            response = await webpush_async(
                info, payload, vapid_private_key=self.vapid, vapid_claims={"sub": self.subject},
                ttl=PUSH_TTL, timeout=aiohttp.ClientTimeout(total=10), aiohttp_session=session,
            )
        except WebPushException as exc:
            status = getattr(exc.response, "status", None) or getattr(exc.response, "status_code", None)
            if status not in GONE:
                log.warning("web push refused (%s)", status)
            return int(status) if status is not None else None
        except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
            log.warning("web push failed: %s", type(exc).__name__)
            return None
        return int(getattr(response, "status", 0) or 0) or None
