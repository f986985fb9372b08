"""GET /metrics in Prometheus' text format: the process's counters plus figures read from the database now.

Protected by METRICS_TOKEN ("Authorization: Bearer ...") when it is set; without a token only a client on
this machine (127.0.0.1, ::1) is answered, so a scraper elsewhere needs the token (behind a reverse proxy on
the same machine, set the token: the proxy's address is local).
"""

from __future__ import annotations

import hmac
import logging
from datetime import datetime

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select

from bot import metrics
from bot.clock import Clock
from storage.models import Case, InboxItem, OutboxItem
from storage.uow import Database

log = logging.getLogger(__name__)
LOCAL = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})


class MetricsRoutes:
    def __init__(self, db: Database, clock: Clock, token: str | None) -> None:
        self.db, self.clock, self.token = db, clock, token

    def install(self, app: web.Application) -> None:
        app.router.add_get("/metrics", self.scrape)

    def allowed(self, request: web.Request) -> bool:
        if self.token:
            given = request.headers.get("Authorization", "")
            return hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode())
        return request.remote in LOCAL

    async def scrape(self, request: web.Request) -> web.Response:
        if not self.allowed(request):
            return web.Response(status=403, text="forbidden\n")
        try:
            await read_database_figures(self.db, self.clock.now())
        except Exception:  # the counters are still worth serving while the database is away
            metrics.SCRAPE_ERRORS.inc()
            log.warning("metrics: the database figures could not be read", exc_info=True)
        return web.Response(body=generate_latest(metrics.REGISTRY),
                            headers={"Content-Type": CONTENT_TYPE_LATEST})


async def read_database_figures(db: Database, now: datetime) -> None:
    async with db.unit_of_work(readonly=True) as uow:
        session = uow.session
        inbox = dict((await session.execute(
            select(InboxItem.status, func.count(InboxItem.id)).group_by(InboxItem.status))).all())
        oldest_in = (await session.execute(
            select(func.min(InboxItem.received_at)).where(InboxItem.status == "new"))).scalar_one()
        outbox = dict((await session.execute(
            select(OutboxItem.status, func.count(OutboxItem.id)).group_by(OutboxItem.status))).all())
        oldest_out = (await session.execute(
            select(func.min(OutboxItem.created_at)).where(OutboxItem.status == "pending"))).scalar_one()
        cases = dict((await session.execute(
            select(Case.status, func.count(Case.id)).group_by(Case.status))).all())
    _set(metrics.INBOX_DEPTH, inbox, ("new", "done", "failed"))
    _set(metrics.OUTBOX_DEPTH, outbox, ("pending", "sent", "failed", "held"))
    _set(metrics.CASES, cases, ())
    metrics.INBOX_OLDEST.set(_age(now, oldest_in))
    metrics.OUTBOX_OLDEST.set(_age(now, oldest_out))


def _set(gauge: metrics.Gauge, counts: dict[str, int], always: tuple[str, ...]) -> None:
    gauge.clear()  # a status with no rows left must not keep its last value
    for status in {*always, *counts}:
        gauge.labels(status).set(counts.get(status, 0))


def _age(now: datetime, oldest: datetime | None) -> float:
    return 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
