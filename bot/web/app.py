"""The aiohttp application: webhooks, health; channels add their routes through `add_routes`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

MAX_UPDATE_BYTES = 1024 * 1024
HealthCheck = Callable[[], Awaitable[dict[str, object]]]


def build_app(health: HealthCheck, *, client_max_size: int = MAX_UPDATE_BYTES) -> web.Application:
    app = web.Application(client_max_size=client_max_size)

    async def healthz(_request: web.Request) -> web.Response:
        try:
            report = await health()
        except Exception as exc:  # the database is down: say so, with 503
            return web.json_response({"status": "error", "error": type(exc).__name__}, status=503)
        return web.json_response({"status": "ok", **report})

    app.router.add_get("/healthz", healthz)
    return app
