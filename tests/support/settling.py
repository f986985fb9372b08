"""Waiting for the application to finish what it was given: no inbox row left new, no outbox row pending."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from storage.models import InboxItem, OutboxItem
from storage.uow import Database


async def _busy(db: Database) -> int:
    async with db.unit_of_work(readonly=True) as uow:
        s = uow.session
        new = (await s.execute(select(func.count(InboxItem.id)).where(InboxItem.status == "new"))).scalar_one()
        pending = (await s.execute(
            select(func.count(OutboxItem.id)).where(OutboxItem.status == "pending"))).scalar_one()
    return int(new) + int(pending)


async def idle(db: Database) -> bool:
    """No work now, and still none a moment later (a worker may be between two transactions)."""
    if await _busy(db):
        return False
    await asyncio.sleep(0.02)
    return await _busy(db) == 0


async def settled(db: Database, within: float = 60.0) -> None:
    """Until the database shows no work twice in a row (a worker may be between two transactions)."""
    quiet = 0
    for _ in range(int(within / 0.2)):
        quiet = quiet + 1 if await _busy(db) == 0 else 0
        if quiet >= 2:
            return
        await asyncio.sleep(0.2)
    raise AssertionError("the application still has inbox or outbox work")
