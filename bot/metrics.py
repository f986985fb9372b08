"""Prometheus metrics: named counters and histograms, and the calls that move them.

Counters live in one registry per process (a Prometheus counter is per process by nature; several processes
are scraped one by one). Call sites use the small functions below, never the metric objects, so a name or a
label can change in one place:

    metrics.update_received(channel, count)       the receiving edge stored `count` new updates
    metrics.update_repeated(channel, count)       ... and dropped `count` repeated deliveries
    metrics.update_processed(channel, seconds, ok=True)   the consumer finished one inbox row
    metrics.send_result(channel, outcome)         the dispatcher's result for one outbox row:
                                                  sent | retry | failed | held | refused
    metrics.rate_limited(channel)                 a platform answered 429 (or its flood-control twin)
    metrics.job_finished(job, seconds, ok=True)   a periodic job ran (sweep, digest, ...)
    metrics.open311_request(endpoint, status)     an Open311 call was answered

Figures that are state rather than events (inbox and outbox depth and oldest age, cases by status) are read
from the database at scrape time: see `bot.web.metrics`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["Gauge"]

REGISTRY = CollectorRegistry(auto_describe=True)
SEND_OUTCOMES = ("sent", "retry", "failed", "held", "refused")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
JOB_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0)

UPDATES_RECEIVED = Counter("tiepdan_updates_received", "Platform updates stored in the inbox (new ones).",
                           ["channel"], registry=REGISTRY)
UPDATES_REPEATED = Counter("tiepdan_updates_repeated", "Repeated platform deliveries dropped by the inbox key.",
                           ["channel"], registry=REGISTRY)
UPDATES_PROCESSED = Counter("tiepdan_updates_processed", "Inbox rows the consumer finished, by outcome.",
                            ["channel", "outcome"], registry=REGISTRY)
PROCESSING_SECONDS = Histogram("tiepdan_update_processing_seconds",
                               "Time from taking an inbox row to committing its effects.",
                               ["channel"], buckets=LATENCY_BUCKETS, registry=REGISTRY)
GROUP_COMMIT_STEPS = Histogram("tiepdan_group_commit_steps", "Conversation steps committed together in one transaction.",
                               buckets=(1, 2, 4, 8, 16, 32, 64), registry=REGISTRY)
SENDS = Counter("tiepdan_sends", "Outbox rows the dispatcher handled, by result.", ["channel", "result"],
                registry=REGISTRY)
RATE_LIMITED = Counter("tiepdan_rate_limited", "429 (too many requests) answers from a platform.", ["channel"],
                       registry=REGISTRY)
JOB_SECONDS = Histogram("tiepdan_job_duration_seconds", "Duration of a periodic job's run.", ["job"],
                        buckets=JOB_BUCKETS, registry=REGISTRY)
JOB_RUNS = Counter("tiepdan_job_runs", "Periodic job runs, by outcome.", ["job", "outcome"], registry=REGISTRY)
OPEN311_REQUESTS = Counter("tiepdan_open311_requests", "Open311 calls answered, by endpoint and HTTP status.",
                           ["endpoint", "status"], registry=REGISTRY)

# Read from the database at scrape time.
INBOX_DEPTH = Gauge("tiepdan_inbox_depth", "Inbox rows by status.", ["status"], registry=REGISTRY)
INBOX_OLDEST = Gauge("tiepdan_inbox_oldest_age_seconds", "Age of the oldest unprocessed inbox row.",
                     registry=REGISTRY)
OUTBOX_DEPTH = Gauge("tiepdan_outbox_depth", "Outbox rows by status.", ["status"], registry=REGISTRY)
OUTBOX_OLDEST = Gauge("tiepdan_outbox_oldest_age_seconds", "Age of the oldest pending outbox row.",
                      registry=REGISTRY)
CASES = Gauge("tiepdan_cases", "Cases by status.", ["status"], registry=REGISTRY)
SCRAPE_ERRORS = Counter("tiepdan_metrics_database_errors", "Scrapes whose database figures could not be read.",
                        registry=REGISTRY)

T = TypeVar("T")


def update_received(channel: str, count: int = 1) -> None:
    if count > 0:
        UPDATES_RECEIVED.labels(channel).inc(count)


def update_repeated(channel: str, count: int = 1) -> None:
    if count > 0:
        UPDATES_REPEATED.labels(channel).inc(count)


def update_processed(channel: str, seconds: float, ok: bool = True) -> None:
    UPDATES_PROCESSED.labels(channel, "ok" if ok else "failed").inc()
    PROCESSING_SECONDS.labels(channel).observe(max(0.0, seconds))


def group_committed(steps: int) -> None:
    GROUP_COMMIT_STEPS.observe(steps)


def send_result(channel: str, outcome: str, count: int = 1) -> None:
    SENDS.labels(channel, outcome if outcome in SEND_OUTCOMES else "other").inc(count)


def rate_limited(channel: str) -> None:
    RATE_LIMITED.labels(channel).inc()


def job_finished(job: str, seconds: float, ok: bool = True) -> None:
    JOB_RUNS.labels(job, "ok" if ok else "failed").inc()
    JOB_SECONDS.labels(job).observe(max(0.0, seconds))


def open311_request(endpoint: str, status: int) -> None:
    OPEN311_REQUESTS.labels(endpoint, str(status)).inc()


def timed_job(job: str, run: Callable[[], Awaitable[T]]) -> Callable[[], Awaitable[T]]:
    """`run` that records its duration and outcome as `job` (for the ticker's periodic jobs)."""

    @wraps(run)
    async def timed() -> T:
        started = time.perf_counter()
        ok = False
        try:
            result = await run()
            ok = True
            return result
        finally:
            job_finished(job, time.perf_counter() - started, ok)

    return timed


def sample(name: str, labels: dict[str, str] | None = None) -> float:
    """The current value of one sample (tests and the CLI); 0 when it was never set."""
    value: Any = REGISTRY.get_sample_value(name, labels or {})
    return float(value or 0.0)
