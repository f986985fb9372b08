"""Helpers for the deadline tests: officials with linked accounts, cases submitted through intake, the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from bot.clock import FakeClock
from bot.domain.cases import CaseKind
from bot.services import Services
from bot.services.context import AppContext
from bot.services.intake import Draft, Receipt
from bot.services.org_view import OrgCache
from storage.models import Case, ChannelIdentity, Official, OutboxItem, Unit
from storage.uow import Database

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A local (Hanoi) moment, as the UTC instant the application stores."""
    return datetime(year, month, day, hour, minute, tzinfo=VN).astimezone(UTC)


def local(moment: datetime) -> str:
    return moment.astimezone(VN).strftime("%a %d/%m/%Y %H:%M")


async def link(db: Database, seat: str, chat: int, *, opt_out: bool = False, channel: str = "telegram") -> int:
    """Link a messenger account to the official in `seat` (as the invite flow would); returns the official id."""
    async with db.unit_of_work() as uow:
        official = (await uow.session.execute(select(Official).where(Official.seat == seat))).scalar_one()
        official.quiet_hours_opt_out = opt_out
        uow.session.add(ChannelIdentity(channel=channel, external_id=str(chat), chat_id=str(chat),
                                        official_id=official.id, created_at=datetime(2026, 1, 5, tzinfo=UTC)))
        await uow.commit()
        return official.id


def app_context(clock: FakeClock) -> AppContext:
    return AppContext(clock=clock, tz=VN, org=OrgCache())


async def submit(db: Database, clock: FakeClock, *, kind: CaseKind = CaseKind.REPORT, category: str = "ngap_nuoc",
                 area: str = "SAODO", text: str = "Nước ngập sâu trước số nhà 12 đường Nguyễn Trãi.") -> Receipt:
    app = app_context(clock)
    async with db.unit_of_work() as uow:
        org = await app.org.get(uow.session, clock.now().astimezone(VN).date())
        receipt = await Services(uow, app, org).intake.submit(
            Draft(kind=kind, text=text, category=category, area=area), citizen_id=None, identity_id=None)
        await uow.commit()
    return receipt


@dataclass(frozen=True)
class Sent:
    """An outbox row as the tests read it: when it was written, to whom, when it may go, its first line."""

    written: str
    chat: str
    release: str
    status: str
    first_line: str
    choices: tuple[str, ...]


async def outbox(db: Database, purpose: str = "deadline") -> list[Sent]:
    async with db.unit_of_work(readonly=True) as uow:
        rows = (await uow.session.execute(
            select(OutboxItem).where(OutboxItem.purpose == purpose).order_by(OutboxItem.id))).scalars().all()
    return [
        Sent(local(r.created_at), r.chat_id, local(r.next_attempt_at), r.status,
             r.payload["text"].split("\n", 1)[0], tuple(k for k, _ in r.payload.get("choices", [])))
        for r in rows
    ]


async def unit_ids(db: Database) -> dict[str, int]:
    async with db.unit_of_work(readonly=True) as uow:
        return {code: id_ for code, id_ in (await uow.session.execute(select(Unit.code, Unit.id))).all()}


def case_row(number: int, unit_id: int, *, created: datetime, due: datetime, next_action: datetime | None,
             accept_due: datetime | None = None, status: str = "submitted", kind: str = "report",
             **extra: object) -> dict[str, object]:
    """One row for a bulk insert into `cases` (every row of one insert must name the same columns)."""
    return {
        "code": f"PA-2026-{number:06d}", "kind": kind, "status": status, "unit_id": unit_id,
        "text": "Phản ánh thử nghiệm", "created_at": created, "accept_due_at": accept_due, "due_at": due,
        "original_due_at": due, "next_action_at": next_action, **extra,
    }


async def insert_cases(db: Database, rows: list[dict[str, object]]) -> None:
    """Many cases at once: one executemany (batched multi-row VALUES), not one round trip per case."""
    async with db.unit_of_work() as uow:
        await uow.session.execute(insert(Case), rows)
        await uow.commit()
