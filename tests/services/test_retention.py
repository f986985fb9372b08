"""The retention job: each kind of personal or abuse data goes after its own period, and nothing earlier."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.clock import FakeClock
from bot.services.retention import run_retention
from storage.models import AbuseCounter, Attachment, PinAttempt, PinGuard
from storage.uow import Database

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


async def test_each_kind_goes_after_its_period(database: Database) -> None:
    clock = FakeClock(NOW)
    old, recent = NOW - timedelta(days=2), NOW - timedelta(hours=2)
    async with database.unit_of_work() as uow:
        s = uow.session
        s.add_all([
            PinGuard(code="PA-2026-000001", failures=0, next_try_at=old, updated_at=old),  # clean: goes
            PinGuard(code="PA-2026-000002", failures=9, next_try_at=old, updated_at=old),  # a guesser paused: stays
            PinGuard(code="PA-2026-000003", failures=0, next_try_at=recent, updated_at=recent),
            PinAttempt(code="PA-2026-000002", address="203.0.113.9", at=old),
            PinAttempt(code="PA-2026-000002", address="203.0.113.9", at=recent),
            AbuseCounter(key="cases:a:x", window_start=NOW - timedelta(days=3), count=2),
            AbuseCounter(key="cases:a:x", window_start=NOW - timedelta(hours=2), count=1),
            Attachment(kind="photo", mime="image/png", size=1, sha256="a", storage="db", content=b"x",
                       owner_key="webupload:v1", created_at=old),
            Attachment(kind="photo", mime="image/png", size=1, sha256="b", storage="db", content=b"y",
                       owner_key="webupload:v1", created_at=recent),
        ])
        await uow.commit()
    purged = await run_retention(database, clock)
    assert (purged.pin_guards, purged.pin_attempts, purged.counters, purged.uploads) == (1, 1, 1, 1)
    async with database.unit_of_work(readonly=True) as uow:
        guards = (await uow.session.execute(select(PinGuard.code).order_by(PinGuard.code))).scalars().all()
    assert guards == ["PA-2026-000002", "PA-2026-000003"]
    clock.advance(days=31)
    purged = await run_retention(database, clock)
    assert purged.pin_guards == 2
