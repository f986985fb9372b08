"""The web chat's routes: GET /chat (the page), GET /chat/ws (the WebSocket), POST /chat/upload (a photo),
GET /chat/media/{id} (a photo of this chat).

Who is writing: a random visitor id in a signed, HttpOnly, SameSite=Lax cookie; a forged or missing cookie
gets a fresh visitor (page) or 403 (socket, upload, media). Every frame is untrusted: its size is capped by the
socket, its kind and fields are validated by bot.web.frames, and what the bot receives is an update our server
writes, never the frame itself. In demo mode (never in production) `?as=SEAT` makes the visitor's socket one of
the demo officials' accounts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from aiohttp import BodyPartReader, WSCloseCode, WSMsgType, web

from bot.channels.webchat import frame_of
from bot.domain.media import MAX_PHOTO_BYTES, PHOTO_TYPES, MediaRejected
from bot.i18n import LANGUAGES, translator
from bot.services.webchat import DemoSeat, WebChat
from bot.services.webpush import WebPush
from bot.web import proof
from bot.web.addresses import ClientAddress
from bot.web.frames import (
    MAX_TEXT,
    ChoiceFrame,
    Frame,
    LanguageFrame,
    LocationFrame,
    ProofFrame,
    Refused,
    StartFrame,
    TextFrame,
    VoiceFrame,
    read_frame,
    read_subscription,
)
from bot.web.limits import EdgeLimits
from bot.web.pages import STATIC, html_response, language_links, page_language, render, text
from bot.web.signing import CLOCK_SKEW, VISITOR_ID, Signer, new_visitor_id

log = logging.getLogger(__name__)

COOKIE = "tiepdan_web"
COOKIE_PURPOSE = "web-visitor"
COOKIE_MAX_AGE = 180 * 24 * 3600
MAX_FRAME_BYTES = 64 * 1024  # larger frames close the socket (1009); texts are checked well below this
MAX_UPLOAD_BYTES = MAX_PHOTO_BYTES + 64 * 1024  # the photo plus the multipart envelope
# A voice message from the page: Opus in WebM, at most 2 minutes (the page stops there; ~32 kbit/s fits 1 MB).
MAX_WEB_VOICE_BYTES, MAX_VOICE_SECONDS = 1024 * 1024, 120
WEBM_MAGIC = b"\x1aE\xdf\xa3"  # EBML: the start of every WebM file
MAX_UNPROVEN = 10  # frames a socket may send before solving its challenge, then it is closed
SEAT = re.compile(r"^[A-Z][A-Z0-9_]{1,63}$")
# Page texts the script needs, sent with the page from the catalogs.
SCRIPT_TEXTS = (
    "web.js.connecting", "web.js.connected", "web.js.reconnecting", "web.js.sending", "web.js.queued", "web.js.failed",
    "web.js.you", "web.js.bot", "web.js.share_location", "web.js.locating", "web.js.location_denied",
    "web.js.location_unavailable", "web.js.location_sent", "web.js.uploading", "web.js.choices",
    "web.js.photo_alt", "web.js.notify", "web.js.notify_on", "web.js.notify_off", "web.js.voice", "web.js.voice_stop",
    "web.js.voice_alt", "web.upload.too_large", "web.upload.wrong_type", "web.error.too_long",
)
STATIC_FILES = {  # only these; the pages are rendered from bot/web/templates
    "site.css": "text/css", "chat.js": "text/javascript", "manifest.webmanifest": "application/manifest+json",
    "icon-192.png": "image/png", "icon-512.png": "image/png",
}


@dataclass(frozen=True, slots=True)
class Visit:
    visitor: str
    account: str  # the web account (and chat) this request speaks as
    seat: str | None


class Connection:
    """One open page: frames go out one at a time. It may speak once it has solved its challenge."""

    def __init__(self, ws: web.WebSocketResponse, chat_id: str, challenge: str = "") -> None:
        self.ws, self.chat_id, self.last_id = ws, chat_id, 0
        self.challenge, self.proven, self.unproven = challenge, not challenge, 0
        self._lock = asyncio.Lock()

    async def push(self, frame: dict[str, Any]) -> None:
        if self.ws.closed:
            raise ConnectionError("socket closed")
        async with self._lock:
            await self.ws.send_json(frame)


class WebChatRoutes:
    def __init__(self, chat: WebChat, signer: Signer, *, demo: bool, public_base_url: str,
                 default_language: str, addresses: ClientAddress | None = None, limits: EdgeLimits | None = None,
                 proof_bits: int = proof.DEFAULT_BITS, push: WebPush | None = None) -> None:
        self.chat, self.signer, self.demo, self.push = chat, signer, demo, push
        self.default_language = default_language
        self._public_origin = _origin_of(public_base_url)
        self._open: set[Connection] = set()
        self.addresses = addresses or ClientAddress()
        self.limits = limits or EdgeLimits()
        self.proof_bits = proof_bits

    def install(self, app: web.Application) -> None:
        app.router.add_get("/chat", self.page)
        app.router.add_get("/chat/ws", self.socket)
        app.router.add_post("/chat/upload", self.upload)
        app.router.add_post("/chat/push", self.subscribe)
        app.router.add_get(r"/chat/media/{attachment:\d{1,12}}", self.media)
        app.router.add_get("/static/{name}", static_file)
        app.router.add_get("/chat/sw.js", service_worker)
        app.on_shutdown.append(self._close_sockets)

    async def _close_sockets(self, _app: web.Application) -> None:
        """A stopping server says goodbye; the pages reconnect (to another process, or after the restart)."""
        for connection in list(self._open):
            await connection.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server stopping")

    # --- who is asking -----------------------------------------------------------------------------------

    def visitor_of(self, request: web.Request) -> str | None:
        """The visitor of a cookie we signed within COOKIE_MAX_AGE: the browser's expiry is not trusted, the
        signing time inside the cookie is (an old, copied cookie is refused)."""
        cookie = request.cookies.get(COOKIE)
        visitor = self.signer.unsign(COOKIE_PURPOSE, cookie, timedelta(seconds=COOKIE_MAX_AGE))
        if visitor is None and cookie is not None:
            visitor = self._first_format_visitor(cookie)
        return visitor if visitor is not None and VISITOR_ID.match(visitor) else None

    def _first_format_visitor(self, cookie: str) -> str | None:
        """A cookie from before the move to itsdangerous (`VISITOR~ISSUED.SIGNATURE`): read until it ages out,
        so a citizen in the middle of a conversation keeps it and their transcript."""
        value, _, signature = cookie.rpartition(".")
        if len(cookie) > 512 or value.count("~") != 1:
            return None
        if not self.signer.is_first_format(COOKIE_PURPOSE, value, signature):
            return None
        visitor, issued = value.split("~")
        if not issued.isdigit():
            return None
        age = self.chat.clock.now().timestamp() - int(issued)
        return visitor if -CLOCK_SKEW.total_seconds() <= age <= COOKIE_MAX_AGE else None

    def cookie_for(self, visitor: str) -> str:
        return self.signer.sign(COOKIE_PURPOSE, visitor)

    async def visit_of(self, request: web.Request) -> Visit | None:
        visitor = self.visitor_of(request)
        if visitor is None:
            return None
        seat = request.query.get("as") or None
        if seat is None:
            return Visit(visitor, visitor, None)
        if not self.demo or not SEAT.match(seat):
            return None
        account = f"{visitor}.{seat}"
        return Visit(visitor, account, seat) if await self.chat.sit_at(account, seat) else None

    def same_origin(self, request: web.Request) -> bool:
        """Cross-site pages must not drive a visitor's chat: the Origin must be this site."""
        origin = request.headers.get("Origin")
        if not origin:
            return False
        if origin == self._public_origin:
            return True
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and parts.netloc == request.host

    # --- the page ----------------------------------------------------------------------------------------

    async def page(self, request: web.Request) -> web.Response:
        visitor = self.visitor_of(request)
        fresh = visitor is None
        visitor = visitor or new_visitor_id()
        seat = request.query.get("as") if self.demo else None
        seats = await self.chat.demo_seats() if self.demo else []
        if seat not in {s.seat for s in seats}:
            seat = None
        # The page speaks the conversation's language; a switch (?lang=) is sent to the bot as well, so the
        # page and the bot's replies never disagree, and a cookie left by another visit does not override it.
        talking = None if fresh else await self.chat.conversation_language(f"{visitor}.{seat}" if seat else visitor)
        asked = request.query.get("lang")
        language = (asked if asked in LANGUAGES else talking) or page_language(request, self.default_language)
        config = {
            "lang": language, "seat": seat, "maxText": MAX_TEXT, "maxPhotoBytes": MAX_PHOTO_BYTES,
            "switchTo": language if asked in LANGUAGES and asked != talking else None,
            "photoTypes": sorted(PHOTO_TYPES), "maxVoiceBytes": MAX_WEB_VOICE_BYTES,
            "maxVoiceSeconds": MAX_VOICE_SECONDS, "pushKey": self.push.public_key if self.push else None,
            "texts": {k: text(translator(language), k) for k in SCRIPT_TEXTS},
        }
        body = render("chat.html", language, config=config,
                      languages=language_links("/chat", language, {"as": seat} if seat else None),
                      demo=_demo_switch(seats, seat, language) if self.demo else None)
        response = html_response(body, request, language)
        if fresh:
            response.set_cookie(
                COOKIE, self.cookie_for(visitor), max_age=COOKIE_MAX_AGE, path="/",
                httponly=True, samesite="Lax", secure=_secure(request),
            )
        return response

    # --- the socket --------------------------------------------------------------------------------------

    async def socket(self, request: web.Request) -> web.StreamResponse:
        if not self.same_origin(request):
            return web.json_response({"error": "origin"}, status=403)
        visit = await self.visit_of(request)
        if visit is None:
            return web.json_response({"error": "visitor"}, status=403)
        language = page_language(request, self.default_language)
        address = self.addresses.key(request)
        if not self.limits.open_socket(visit.visitor, address):  # a crowd of sockets from one place
            return web.json_response({"error": "too many connections"}, status=429)
        try:
            return await self._serve_socket(request, visit, language, address)
        finally:
            self.limits.close_socket(visit.visitor, address)

    async def _serve_socket(self, request: web.Request, visit: Visit, language: str,
                            address: str) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=MAX_FRAME_BYTES, heartbeat=30.0)
        await ws.prepare(request)
        challenge = proof.new_challenge() if self.proof_bits > 0 else ""
        connection = Connection(ws, visit.account, challenge)
        self.chat.channel.attach(connection)
        self._open.add(connection)
        origin = self.signer.digest("origin", address)
        try:
            hello: dict[str, Any] = {"type": "hello", "as": visit.seat}
            if challenge:
                hello["proof"] = {"challenge": challenge, "bits": self.proof_bits}
            await connection.push(hello)
            rows = await self.chat.transcript(visit.account)
            await connection.push({"type": "history", "messages": [frame_of(r) for r in rows]})
            connection.last_id = max(connection.last_id, rows[-1].id if rows else 0)
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    await self._on_frame(connection, visit, language, message.data, address, origin)
                elif message.type is WSMsgType.ERROR:
                    break
        except ConnectionError:
            pass  # the page went away mid-answer; what it sent is stored, what it missed is in the transcript
        finally:
            self.chat.channel.detach(connection)
            self._open.discard(connection)
        return ws

    async def _on_frame(self, connection: Connection, visit: Visit, language: str, raw: str, address: str,
                        origin: str) -> None:
        t = translator(language)
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            await connection.push({"type": "error", "client_id": None, "text": t("web.error.malformed")})
            return
        client_id = data.get("id") if isinstance(data.get("id"), str) else None
        frame = read_frame(data)
        if not connection.proven:
            if isinstance(frame, ProofFrame) and proof.valid(connection.challenge, frame.nonce, self.proof_bits):
                connection.proven = True
                await connection.push({"type": "proven"})
                return
            connection.unproven += 1
            if connection.unproven > MAX_UNPROVEN:  # a script that will not do the work: goodbye
                await connection.ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"human check")
                return
            await connection.push({"type": "error", "client_id": client_id, "text": t("web.error.checking")})
            return
        if isinstance(frame, ProofFrame):
            return
        if not self.limits.frame(visit.visitor, address):  # per visitor and per address, across sockets
            await connection.push({"type": "error", "client_id": client_id, "text": t("web.error.too_fast")})
            return
        built = frame if isinstance(frame, Refused) else await self._update_of(frame, visit, language)
        if isinstance(built, Refused):
            await connection.push({"type": "error", "client_id": client_id, "text": t(built.key, **built.params)})
            return
        update, shown = built
        update["origin"] = origin  # the address as a keyed hash: cases a day are counted per address too
        new = await self.chat.receive(update, shown)
        await connection.push({"type": "ack", "client_id": update["id"], "duplicate": not new})

    async def _update_of(self, frame: Frame, visit: Visit,
                         language: str) -> tuple[dict[str, Any], dict[str, Any] | None] | Refused:
        """The inbox update and the transcript line for a valid frame (bot.web.frames), or why it is refused."""
        base: dict[str, Any] = {"v": 1, "chat": visit.account, "user": visit.account, "language": language}
        if isinstance(frame, StartFrame):
            return {**base, "id": "start", "kind": "start"}, None
        if isinstance(frame, LanguageFrame):
            return {**base, "id": frame.id, "kind": "language", "lang": frame.lang}, None
        if isinstance(frame, ProofFrame):
            return Refused("web.error.unsupported")
        base["id"] = frame.id
        shown: dict[str, Any] = {"client_id": frame.id}
        if isinstance(frame, TextFrame):
            return {**base, "kind": "text", "text": frame.text}, {**shown, "text": frame.text}
        if isinstance(frame, ChoiceFrame):
            return {**base, "kind": "choice", "key": frame.key}, {**shown, "text": frame.shown, "choice": frame.key}
        if isinstance(frame, LocationFrame):
            return ({**base, "kind": "location", "lat": frame.lat, "lon": frame.lon},
                    {**shown, "location": [round(frame.lat, 6), round(frame.lon, 6)]})
        row = await self.chat.own_upload(visit.account, frame.attachment)
        if row is None or (isinstance(frame, VoiceFrame) and row.kind != "voice"):
            return Refused("web.error.photo_missing")
        if isinstance(frame, VoiceFrame):
            return ({**base, "kind": "voice", "attachment": row.id, "mime": row.mime, "size": row.size},
                    {**shown, "attachments": [row.id], "voice": True})
        return ({**base, "kind": "photo", "attachment": row.id, "mime": row.mime, "size": row.size,
                 "text": frame.text},
                {**shown, "attachments": [row.id], "text": frame.text})

    # --- Web Push: the browser asks to be called back ------------------------------------------------------

    async def subscribe(self, request: web.Request) -> web.Response:
        if self.push is None or not self.same_origin(request):
            return web.json_response({"error": "forbidden"}, status=403)
        visit = await self.visit_of(request)
        if visit is None or visit.seat is not None:  # citizens only: officials have their desk
            return web.json_response({"error": "visitor"}, status=403)
        if request.content_length is None or request.content_length > 4096:
            return web.json_response({"error": "size"}, status=413)
        try:
            subscription = await request.json()
        except ValueError:
            subscription = None
        browser = read_subscription(subscription)
        if browser is None or not self.push.takes(browser.endpoint):
            return web.json_response({"error": "malformed"}, status=400)
        await self.push.subscribe(visit.account, browser.endpoint, browser.keys.p256dh, browser.keys.auth)
        return web.json_response({"ok": True}, status=201)

    # --- photos ------------------------------------------------------------------------------------------

    async def upload(self, request: web.Request) -> web.Response:
        language = page_language(request, self.default_language)
        t = translator(language)
        if not self.same_origin(request):
            return web.json_response({"error": t("web.error.forbidden")}, status=403)
        visit = await self.visit_of(request)
        if visit is None:
            return web.json_response({"error": t("web.error.forbidden")}, status=403)
        if not self.limits.upload(visit.visitor, self.addresses.key(request)):
            return web.json_response({"error": t("web.upload.too_many")}, status=429)
        if request.content_length is not None and request.content_length > MAX_UPLOAD_BYTES:
            return web.json_response({"error": t("web.upload.too_large")}, status=413)
        try:
            reader = await request.multipart()
            part = await reader.next()
        except (ValueError, AssertionError, KeyError):
            part = None
        kind = part.name if isinstance(part, BodyPartReader) else None  # a nested multipart is no file
        if not isinstance(part, BodyPartReader) or kind not in ("photo", "voice"):
            return web.json_response({"error": t("web.error.malformed")}, status=400)
        limit = MAX_PHOTO_BYTES if kind == "photo" else MAX_WEB_VOICE_BYTES
        content = bytearray()
        while chunk := await part.read_chunk(64 * 1024):
            content += chunk
            if len(content) > limit:
                return web.json_response({"error": t("web.upload.too_large")}, status=413)
        mime = part.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind == "voice" and (mime != "audio/webm" or not bytes(content[:4]) == WEBM_MAGIC):
            return web.json_response({"error": t("web.upload.wrong_type")}, status=415)  # checked by content
        try:
            row = await self.chat.keep_upload(visit.account, bytes(content), mime, kind)
        except MediaRejected as exc:
            status = 413 if exc.reason == "too_large" else 415
            return web.json_response({"error": t(f"web.upload.{exc.reason}")}, status=status)
        return web.json_response({"attachment": row.id, "mime": row.mime, "size": row.size})

    async def media(self, request: web.Request) -> web.Response:
        visit = await self.visit_of(request)
        if visit is None:
            raise web.HTTPForbidden()
        row = await self.chat.visible_media(visit.account, int(request.match_info["attachment"]))
        if row is None or row.content is None:
            raise web.HTTPNotFound()
        return web.Response(body=row.content, content_type=row.mime, headers={
            "Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "inline",
        })


async def static_file(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in STATIC_FILES:
        raise web.HTTPNotFound()
    kind = STATIC_FILES[name]
    return web.Response(body=(STATIC / name).read_bytes(), content_type=kind,
                        charset=None if kind.startswith("image/") else "utf-8",
                        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"})


async def service_worker(_request: web.Request) -> web.Response:
    """The offline shell and the push handler; served under /chat so it may control the page."""
    return web.Response(body=(STATIC / "sw.js").read_bytes(), content_type="text/javascript", charset="utf-8",
                        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff",
                                 "Service-Worker-Allowed": "/chat"})


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _secure(request: web.Request) -> bool:
    return request.secure or request.headers.get("X-Forwarded-Proto", "") == "https"


@dataclass(frozen=True, slots=True)
class SeatOption:
    seat: str
    label: str  # "name (role)" in the page's language


@dataclass(frozen=True, slots=True)
class DemoSwitch:
    """The demo's "act as" switch: the visitor as a citizen, or as one of the demo officials, by unit."""
    units: list[tuple[str, list[SeatOption]]]
    current: str | None  # the seat taken, None for the citizen
    acting: str  # who the visitor is acting as, in words


def _demo_switch(seats: list[DemoSeat], current: str | None, language: str) -> DemoSwitch:
    t = translator(language)

    def label(seat: DemoSeat) -> str:
        return text(t, "web.demo.seat", name=seat.name, role=text(t, f"web.role.{seat.role}"))

    units: dict[str, list[SeatOption]] = {}
    for seat in seats:
        unit = seat.unit_en if language == "en" else seat.unit_vi
        units.setdefault(unit, []).append(SeatOption(seat.seat, label(seat)))
    acting = next((s for s in seats if s.seat == current), None)
    return DemoSwitch(list(units.items()), current, label(acting) if acting else text(t, "web.demo.citizen"))
