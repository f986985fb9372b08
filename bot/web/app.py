"""The aiohttp application: webhooks, health; channels add their routes through `add_routes`."""

from __future__ import annotations

import hmac
from ipaddress import ip_address
from typing import Any, Protocol

from aiohttp import web

MAX_UPDATE_BYTES = 1024 * 1024


class HealthSource(Protocol):
    def alive(self) -> dict[str, object]: ...

    async def ready(self) -> tuple[bool, dict[str, Any]]: ...


def build_app(health: HealthSource, *, client_max_size: int = MAX_UPDATE_BYTES,
              health_token: str | None = None) -> web.Application:
    app = web.Application(client_max_size=client_max_size)
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
