"""/metrics: Prometheus' text format that its own parser reads, counters that move as a journey runs, and
figures read from the database at scrape time; a token guards it."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot import metrics
from bot.clock import FakeClock
from bot.container import Container
from bot.jobs.scheduler import application_ticks
from bot.services.open311 import ApiKeys
from tests.officials.world import MONDAY_9
from tests.support.harness import settings_for
from tests.support.web_client import WebVisitor, serving

TOKEN = "metrics-token-for-tests"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the exposition, parsed by prometheus_client's own parser."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def scrape(http: aiohttp.ClientSession, base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with http.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        return samples(await response.text())


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_counters_move_through_a_journey(db_url: str) -> None:
    clock = FakeClock(MONDAY_9)
    container = Container(settings_for(db_url, metrics_token=TOKEN), clock=clock)
    async with container.db.unit_of_work() as uow:
        _, key = await ApiKeys(uow.session).create("portal", clock.now())
        await uow.commit()
    async with serving(container) as base, aiohttp.ClientSession() as http:
        async with http.get(f"{base}/metrics") as refused:
            assert refused.status == 403  # a token is set: nobody reads without it
        async with http.get(f"{base}/metrics", headers={"Authorization": "Bearer wrong"}) as refused:
            assert refused.status == 403
        before = await scrape(http, base)
        assert value(before, "tiepdan_cases", status="submitted") == 0
        assert value(before, "tiepdan_inbox_depth", status="new") == 0

        visitor = await WebVisitor(base).open()
        try:
            await visitor.start()
            await visitor.wait_for(1)
            await visitor.say("Đường Nguyễn Trãi ngập nước")
            await visitor.wait_for(2)
        finally:
            await visitor.close()
        async with http.post(f"{base}/open311/v2/requests.json", data={
                "api_key": key, "service_code": "ngap_nuoc", "lat": "21.1105", "long": "106.3935"}) as filed:
            assert filed.status == 201
        async with http.get(f"{base}/open311/v2/services/none.json") as missing:
            assert missing.status == 404
        sweep = next(t for t in application_ticks(container.db, clock, container.org, container.settings.tz)
                     if t.name == "deadline-sweep")
        await sweep.run()

        after = await scrape(http, base)
    received = (value(after, "tiepdan_updates_received_total", channel="web")
                - value(before, "tiepdan_updates_received_total", channel="web"))
    assert received == 2  # the visitor's start and words
    assert value(after, "tiepdan_cases", status="submitted") == 1  # the Open311 case
    stored = value(after, "tiepdan_inbox_depth", status="done") + value(after, "tiepdan_inbox_depth", status="new")
    assert stored == received  # the rows are in the inbox, done or about to be
    assert value(after, "tiepdan_inbox_oldest_age_seconds") >= 0
    assert value(after, "tiepdan_outbox_depth", status="sent") >= 1
    assert (value(after, "tiepdan_open311_requests_total", endpoint="post", status="201")
            - value(before, "tiepdan_open311_requests_total", endpoint="post", status="201")) == 1
    assert (value(after, "tiepdan_open311_requests_total", endpoint="definition", status="404")
            - value(before, "tiepdan_open311_requests_total", endpoint="definition", status="404")) == 1
    assert (value(after, "tiepdan_job_duration_seconds_count", job="sweep")
            - value(before, "tiepdan_job_duration_seconds_count", job="sweep")) == 1
    assert (value(after, "tiepdan_job_runs_total", job="sweep", outcome="ok")
            - value(before, "tiepdan_job_runs_total", job="sweep", outcome="ok")) == 1


def test_the_engine_and_sender_calls_show_in_the_exposition() -> None:
    """The calls the consumer and the dispatcher make (see bot/metrics.py) land in the right families."""
    from prometheus_client import generate_latest

    before = samples(generate_latest(metrics.REGISTRY).decode())
    metrics.update_processed("zalo", 0.03)
    metrics.update_processed("zalo", 2.0, ok=False)
    metrics.send_result("zalo", "sent")
    metrics.send_result("zalo", "retry")
    metrics.send_result("zalo", "weird")
    metrics.rate_limited("zalo")
    after = samples(generate_latest(metrics.REGISTRY).decode())

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("tiepdan_updates_processed_total", channel="zalo", outcome="ok") == 1
    assert moved("tiepdan_updates_processed_total", channel="zalo", outcome="failed") == 1
    assert moved("tiepdan_update_processing_seconds_bucket", channel="zalo", le="0.05") == 1
    assert moved("tiepdan_update_processing_seconds_count", channel="zalo") == 2
    assert moved("tiepdan_sends_total", channel="zalo", result="sent") == 1
    assert moved("tiepdan_sends_total", channel="zalo", result="other") == 1
    assert moved("tiepdan_rate_limited_total", channel="zalo") == 1


async def test_without_a_token_only_this_machine_reads(db_url: str) -> None:
    container = Container(settings_for(db_url), clock=FakeClock(MONDAY_9))
    async with serving(container) as base, aiohttp.ClientSession() as http:
        async with http.get(f"{base}/metrics") as response:  # the test client is on 127.0.0.1
            assert response.status == 200
            assert "tiepdan_cases" in await response.text()


async def test_a_worker_serves_metrics_on_its_own_port(db_url: str) -> None:
    from aiohttp.test_utils import TestServer

    container = Container(settings_for(db_url, metrics_token=TOKEN), clock=FakeClock(MONDAY_9))
    server = TestServer(container.health_app())  # what `tiepdan worker` serves on WORKER_PORT
    await server.start_server()
    try:
        base = f"http://127.0.0.1:{server.port}"
        async with aiohttp.ClientSession() as http:
            found = await scrape(http, base)
            async with http.get(f"{base}/metrics") as refused:
                assert refused.status == 403
            async with http.get(f"{base}/readyz") as ready:
                assert ready.status in (200, 503)
        assert value(found, "tiepdan_outbox_depth", status="pending") == 0
        assert ("tiepdan_inbox_oldest_age_seconds", ()) in found
    finally:
        await server.close()
        await container.stop()
