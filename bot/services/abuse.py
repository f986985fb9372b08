"""Durable abuse counters: how many cases one web visitor, or one address, filed today.

One UPDATE ... WHERE count < limit per key takes a unit atomically on both databases, so concurrent
submissions from one script cannot pass the limit between a read and a write.
"""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AbuseCounter
from storage.repositories.dialect import insert_for, rowcount


class DailyLimit(Exception):
    """This visitor or address has filed as many cases today as allowed."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


def day_start(now: datetime) -> datetime:
    return datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)


async def take(session: AsyncSession, key: str, limit: int, now: datetime) -> bool:
    """Count one for `key` today if it is below `limit`; False when the limit is reached."""
    window = day_start(now)
    await session.execute(
        insert_for(session, AbuseCounter).values(key=key[:160], window_start=window, count=0)
        .on_conflict_do_nothing(index_elements=["key", "window_start"])
    )
    result = await session.execute(
        update(AbuseCounter)
        .where(AbuseCounter.key == key[:160], AbuseCounter.window_start == window, AbuseCounter.count < limit)
        .values(count=AbuseCounter.count + 1)
    )
    return bool(rowcount(result))


async def take_all(session: AsyncSession, limits: dict[str, int], now: datetime) -> None:
    """Take one under every key, or none of them and raise DailyLimit."""
    taken: list[str] = []
    for key, limit in limits.items():
        if not await take(session, key, limit, now):
            for done in taken:  # give back what this attempt took
                await session.execute(
                    update(AbuseCounter)
                    .where(AbuseCounter.key == done[:160], AbuseCounter.window_start == day_start(now))
                    .values(count=AbuseCounter.count - 1)
                )
            raise DailyLimit(limit)
        taken.append(key)
