"""A small world for the officials' service tests: citizens and officials with chat accounts, cases, the
outbox - everything through the real services and the real database, one unit of work at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.channels.model import Inbound, InboundKind
from bot.clock import FakeClock
from bot.domain.cases import CaseKind
from bot.services import Services
from bot.services.context import AppContext
from bot.services.intake import Draft
from bot.services.org_view import OrgCache
from storage.models import Case, CaseEvent, Official, OutboxItem
from storage.uow import Database

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=VN).astimezone(UTC)  # an ordinary working Monday


@dataclass(frozen=True)
class Account:
    identity_id: int
    citizen_id: int | None
    official_id: int | None
    chat: str


class World:
    def __init__(self, db: Database, clock: FakeClock | None = None) -> None:
        self.db = db
        self.clock = clock or FakeClock(MONDAY_9)
        self.app = AppContext(clock=self.clock, tz=VN, org=OrgCache())

    @asynccontextmanager
    async def services(self, *, commit: bool = True) -> AsyncIterator[Services]:
        async with self.db.unit_of_work() as uow:
            org = await self.app.org.get(uow.session, self.clock.now().astimezone(VN).date())
            yield Services(uow, self.app, org)
            if commit:
                await uow.commit()

    async def account(self, chat: str, channel: str = "telegram") -> Account:
        """A messenger account as the engine creates it on first contact (a pseudonymous citizen)."""
        async with self.services() as s:
            identity = await s.identities.arrive(
                Inbound(channel=channel, chat_id=chat, user_id=chat, kind=InboundKind.TEXT, text="hi"),
                self.clock.now(), "vi")
            return Account(identity.id, identity.citizen_id, identity.official_id, chat)

    async def official(self, seat: str, chat: str | None = None, channel: str = "telegram") -> Account:
        """The official in `seat`, linked to a chat account through a one-time invite."""
        account = await self.account(chat or f"off-{seat.lower()}", channel)
        async with self.services() as s:
            issued = await s.officials.invite(seat=seat)
            pending = await s.officials.check(issued.code, account.identity_id)
            linked = await s.officials.link(pending.invite_id, account.identity_id, None, phone_checked=False)
        return Account(account.identity_id, account.citizen_id, linked.official_id, account.chat)

    async def new_official(self, unit: str, role: str, name: str) -> Account:
        """An official who is not a seat of the organisation file (invited by name), with a chat account."""
        async with self.services() as s:
            issued = await s.officials.invite(unit=unit, role=role, name=name)
        account = await self.account(f"new-{issued.official_id}")
        async with self.services() as s:
            pending = await s.officials.check(issued.code, account.identity_id)
            await s.officials.link(pending.invite_id, account.identity_id, None, phone_checked=False)
        return Account(account.identity_id, account.citizen_id, issued.official_id, account.chat)

    async def submit(self, citizen: Account | None, *, kind: CaseKind = CaseKind.REPORT,
                     category: str = "ngap_nuoc", area: str = "SAODO",
                     text: str = "Nước ngập sâu 40cm trước số nhà 12 đường Nguyễn Trãi.") -> int:
        async with self.services() as s:
            receipt = await s.intake.submit(
                Draft(kind=kind, text=text, category=category, area=area),
                citizen_id=citizen.citizen_id if citizen else None,
                identity_id=citizen.identity_id if citizen else None)
            return receipt.case_id

    async def case(self, case_id: int) -> Case:
        async with self.db.unit_of_work(readonly=True) as uow:
            case = await uow.session.get(Case, case_id)
            assert case is not None
            return case

    async def events(self, case_id: int) -> list[tuple[str, str, str | None]]:
        """(action, actor kind, actor name or None) of the case's history, in order."""
        async with self.db.unit_of_work(readonly=True) as uow:
            rows = (await uow.session.execute(
                select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.at, CaseEvent.id)
            )).scalars().all()
            names = {o.id: o.name for o in (await uow.session.execute(select(Official))).scalars()}
        return [(e.action, e.actor_kind, names.get(e.actor_id or 0) if e.actor_kind == "official" else None)
                for e in rows]

    async def outbox(self, chat: str | None = None) -> list[OutboxItem]:
        async with self.db.unit_of_work(readonly=True) as uow:
            stmt = select(OutboxItem).order_by(OutboxItem.id)
            if chat is not None:
                stmt = stmt.where(OutboxItem.chat_id == chat)
            return list((await uow.session.execute(stmt)).scalars())

    async def texts_to(self, chat: str) -> list[str]:
        return [row.payload["text"] for row in await self.outbox(chat)]
