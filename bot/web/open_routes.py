"""What the city may open: Open311, /metrics and the leaders' dashboard, installed on the web app in one call."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.web.dashboard import DashboardRoutes
from bot.web.metrics import MetricsRoutes
from bot.web.open311 import Open311Routes
from bot.web.signing import Signer

if TYPE_CHECKING:
    from bot.container import Container


def install_open(app: web.Application, container: Container, signer: Signer) -> None:
    settings = container.settings
    Open311Routes(container.db, container.app, jurisdiction=settings.open311_jurisdiction,
                  contact=settings.open311_contact, wake=container.sender.wake).install(app)
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    MetricsRoutes(container.db, container.clock, token).install(app)
    DashboardRoutes(container.db, container.app, signer, session_hours=settings.dashboard_session_hours,
                    columns_file=settings.export_columns_file, map_tiles=settings.dashboard_map_tiles,
                    map_attribution=settings.dashboard_map_attribution).install(app)
