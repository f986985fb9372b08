"""Officials and the messenger accounts they are reached on."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChannelIdentity, Conversation, Official


class OfficialRepository:
    """The officials over one session (`uow.officials`); it never commits, the unit of work does."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _accounts(self, *conditions: Any) -> list[ChannelIdentity]:
        stmt = (
            select(ChannelIdentity)
            .join(Official, Official.id == ChannelIdentity.official_id)
            .where(Official.active.is_(True), *conditions)
            .order_by(Official.id, ChannelIdentity.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def accounts_in_unit(self, unit_id: int, roles: Sequence[str]) -> list[ChannelIdentity]:
        """The linked accounts of the unit's active officials in these roles."""
        return await self._accounts(Official.unit_id == unit_id, Official.role.in_(roles))

    async def accounts_of(self, official_ids: Iterable[int]) -> list[ChannelIdentity]:
        """The linked accounts of these officials, when active."""
        ids = sorted(set(official_ids))
        return await self._accounts(Official.id.in_(ids)) if ids else []

    async def reach(self, official_ids: Sequence[int]) -> list[tuple[int, str, str, int, str | None, bool]]:
        """(identity id, channel, chat, official id, chat language or None, quiet-hours opt-out) of the linked
        accounts of these officials, when active."""
        stmt = (
            select(ChannelIdentity.id, ChannelIdentity.channel, ChannelIdentity.chat_id,
                   Official.id, Conversation.language, Official.quiet_hours_opt_out)  # Official.id: never null
            .join(Official, Official.id == ChannelIdentity.official_id)
            .outerjoin(Conversation, and_(Conversation.channel == ChannelIdentity.channel,
                                          Conversation.chat_id == ChannelIdentity.chat_id))
            .where(ChannelIdentity.official_id.in_(official_ids), Official.active.is_(True))
            .order_by(ChannelIdentity.id)
        )
        return list((await self.session.execute(stmt)).all())

    async def active(self, role: str, *, unit_id: int | None = None) -> list[Official]:
        """The active officials in a role (of one unit, when given), by id."""
        stmt = select(Official).where(Official.role == role, Official.active.is_(True))
        if unit_id is not None:
            stmt = stmt.where(Official.unit_id == unit_id)
        return list((await self.session.execute(stmt.order_by(Official.id))).scalars())

    async def in_unit(self, unit_id: int, roles: Sequence[str]) -> list[tuple[int, str, int, str]]:
        """(id, name, unit id, role) of the unit's active officials in these roles."""
        stmt = (
            select(Official.id, Official.name, Official.unit_id, Official.role)
            .where(Official.unit_id == unit_id, Official.role.in_(roles), Official.active.is_(True))
            .order_by(Official.id)
        )
        return list((await self.session.execute(stmt)).all())

    async def linked(self, roles: Sequence[str]) -> list[tuple[int, int]]:
        """(id, unit id) of the active officials in these roles who have a linked account."""
        has_account = select(ChannelIdentity.id).where(ChannelIdentity.official_id == Official.id).exists()
        stmt = (select(Official.id, Official.unit_id)
                .where(Official.role.in_(roles), Official.active.is_(True), has_account).order_by(Official.id))
        return list((await self.session.execute(stmt)).all())

    async def names(self, official_ids: Iterable[int]) -> dict[int, str]:
        ids = set(official_ids)
        if not ids:
            return {}
        rows = await self.session.execute(select(Official.id, Official.name).where(Official.id.in_(ids)))
        return {i: n for i, n in rows.all()}

    async def get(self, official_id: int) -> Official | None:
        return await self.session.get(Official, official_id)

    async def by_seat(self, seat: str) -> Official | None:
        return (await self.session.execute(select(Official).where(Official.seat == seat))).scalar_one_or_none()

    async def seat_names(self, seats: Sequence[str] | None = None) -> dict[str, str]:
        """The names of the officials at these seats (every seat when None)."""
        stmt = select(Official.seat, Official.name)
        if seats is not None:
            stmt = stmt.where(Official.seat.in_(seats))
        return {seat: name for seat, name in (await self.session.execute(stmt)).all() if seat is not None}
