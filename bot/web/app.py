"""The aiohttp application: webhooks, health; channels add their routes through `add_routes`.

Every response carries the security headers (no framing by other sites, no MIME sniffing, no referrer: a
/track link's token must not leak to another site); HSTS when the request came over https. Every request
gets a correlation id for its log lines. The access log (SafeAccessLog) records neither the client address
nor any query string (a /track query holds a code or a signed link).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from bot.logs import CORRELATION, new_correlation

MAX_UPDATE_BYTES = 1024 * 1024
HealthCheck = Callable[[], Awaitable[dict[str, object]]]
HSTS = "max-age=31536000; includeSubDomains"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def security_headers(frame_ancestors: str = "'none'") -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
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


def build_app(health: HealthCheck, *, client_max_size: int = MAX_UPDATE_BYTES,
              frame_ancestors: str = "'none'") -> web.Application:
    app = web.Application(client_max_size=client_max_size, middlewares=[security_headers(frame_ancestors)])

    async def healthz(_request: web.Request) -> web.Response:
        try:
            report = await health()
        except Exception as exc:  # the database is down: say so, with 503
            return web.json_response({"status": "error", "error": type(exc).__name__}, status=503)
        return web.json_response({"status": "ok", **report})

    app.router.add_get("/healthz", healthz)
    return app
