"""The Zalo Official Account's live tokens, one row per app."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ZaloOAToken
from storage.repositories.dialect import insert_for


async def load(session: AsyncSession, app_id: str) -> ZaloOAToken | None:
    return (await session.execute(select(ZaloOAToken).where(ZaloOAToken.app_id == app_id))).scalar_one_or_none()


async def seed(session: AsyncSession, app_id: str, access: str, refresh: str, fingerprint: str,
               now: datetime) -> bool:
    """Put bootstrap tokens in, unless these very tokens were put in before; True when the row changed."""
    await session.execute(
        insert_for(session, ZaloOAToken).values(
            app_id=app_id, access_token=access, refresh_token=refresh, seeded_from=fingerprint, updated_at=now,
        ).on_conflict_do_nothing(index_elements=["app_id"])
    )
    row = await load(session, app_id)
    assert row is not None
    if row.seeded_from == fingerprint:
        return row.updated_at == now
    # New tokens in the settings: the operator authorised the app again, so they replace the stored ones.
    row.access_token, row.refresh_token, row.access_expires_at = access, refresh, None
    row.seeded_from, row.updated_at = fingerprint, now
    return True


async def save(session: AsyncSession, app_id: str, access: str, refresh: str, expires_at: datetime | None,
               now: datetime) -> None:
    row = await load(session, app_id)
    if row is None:
        row = ZaloOAToken(app_id=app_id)
        session.add(row)
    row.access_token, row.refresh_token, row.access_expires_at, row.updated_at = access, refresh, expires_at, now
