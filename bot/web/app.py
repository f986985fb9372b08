"""The aiohttp application: webhooks, health; channels add their routes through `add_routes`.

Every response carries the security headers (no framing by other sites, no MIME sniffing, no referrer: a
/track link's token must not leak to another site); HSTS when the request came over https. Every request
gets a correlation id for its log lines. The access log (SafeAccessLog) records neither the client address
nor any query string (a /track query holds a code or a signed link).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from ipaddress import ip_address
from typing import Any, Protocol

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.typedefs import Middleware

from bot.logs import CORRELATION, new_correlation

MAX_UPDATE_BYTES = 1024 * 1024
HSTS = "max-age=31536000; includeSubDomains"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def security_headers(frame_ancestors: str = "'none'") -> Middleware:
    """The middleware; `frame_ancestors` lists the sites allowed to frame our pages (the city portal that
    embeds the chat, FRAME_ANCESTORS), by default none."""
    headers = {
        "Content-Security-Policy": f"frame-ancestors {frame_ancestors}",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    if frame_ancestors.strip() == "'none'":
        headers["X-Frame-Options"] = "DENY"  # for browsers that predate frame-ancestors

    def harden(response: web.StreamResponse, request: web.Request) -> None:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        policy = response.headers["Content-Security-Policy"]
        if "frame-ancestors" not in policy:  # a page's own policy gets the framing rule added
            response.headers["Content-Security-Policy"] = f"{policy}; frame-ancestors {frame_ancestors}"
        if request.secure or request.headers.get("X-Forwarded-Proto", "") == "https":
            response.headers.setdefault("Strict-Transport-Security", HSTS)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        token = CORRELATION.set(CORRELATION.get())
        new_correlation()
        try:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                harden(exc, request)
                raise
            if not response.prepared:  # a WebSocket or a stream has sent its headers already
                harden(response, request)
            return response
        finally:
            CORRELATION.reset(token)

    return middleware


class SafeAccessLog(AbstractAccessLogger):
    """Method, path without its query, status, size, time: no address, no user agent, no query string."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info("%s %s %s %s %.1fms", request.method, request.rel_url.path, response.status,
                         response.body_length, time * 1000)


class HealthSource(Protocol):
    def alive(self) -> dict[str, object]: ...

    async def ready(self) -> tuple[bool, dict[str, Any]]: ...


def build_app(health: HealthSource, *, client_max_size: int = MAX_UPDATE_BYTES,
              health_token: str | None = None, frame_ancestors: str = "'none'") -> web.Application:
    app = web.Application(client_max_size=client_max_size, middlewares=[security_headers(frame_ancestors)])
    add_health_routes(app, health, health_token)
    return app


def add_health_routes(app: web.Application, health: HealthSource, token: str | None) -> None:
    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response(health.alive())

    async def readyz(request: web.Request) -> web.Response:
        ok, detail = await health.ready()
        body: dict[str, Any] = {"status": "ready" if ok else "not ready"}
        if _may_see_detail(request, token):
            body.update(detail)
        return web.json_response(body, status=200 if ok else 503)

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)


def _may_see_detail(request: web.Request, token: str | None) -> bool:
    """Queue depths and ages are for operators: a caller on this machine, or one with the health token."""
    if token is not None:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if given and hmac.compare_digest(given.encode(), token.encode()):
            return True
    if request.headers.get("X-Forwarded-For"):  # came through a proxy: not local, whatever the peer says
        return False
    try:
        return ip_address(request.remote or "").is_loopback
    except ValueError:
        return False
