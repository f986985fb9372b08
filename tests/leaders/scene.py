"""Leaders, the standing committee and overseers at their chats: the real conversation engine over a loopback
channel (tests/flows/chat_driver.py), the periodic job called with the fake clock, messages read back from
the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.channels.model import Outbound
from bot.services.work import run_work_jobs
from storage.models import OutboxItem
from storage.uow import Database
from tests.deadlines.support import link
from tests.flows.chat_driver import CHANNEL, VN, Bot, Chat, make_bot

CHATS = {"UBND_LEADER": 801, "UBND_COMMITTEE": 802, "HDND_OVERSEER": 803, "MTTQ_OVERSEER": 804,
         "VP_HEAD": 805, "SAODO_HEAD": 806, "PHALAI_HEAD": 807, "QLDT_HEAD": 808}


@dataclass
class Scene:
    db: Database
    bot: Bot

    def chat(self, seat: str) -> Chat:
        return self.bot.chat(CHATS[seat])

    def at(self, year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> None:
        self.bot.clock.set(datetime(year, month, day, hour, minute, tzinfo=VN))

    async def tick(self, year: int, month: int, day: int = 1, hour: int = 8) -> int:
        """The periodic job, as the ticker runs it at that moment."""
        self.at(year, month, day, hour)
        return await run_work_jobs(self.db, self.bot.clock, org=self.bot.app.org)

    async def texts_to(self, seat: str, since: int = 0) -> list[str]:
        async with self.db.unit_of_work(readonly=True) as uow:
            rows = (await uow.session.execute(
                select(OutboxItem).where(OutboxItem.channel == CHANNEL, OutboxItem.chat_id == str(CHATS[seat]),
                                         OutboxItem.id > since).order_by(OutboxItem.id))).scalars()
            return [Outbound.from_json(r.payload).text for r in rows]

    async def release_times(self, seat: str, since: int = 0) -> list[datetime]:
        """When each message to the seat may go out (a notice outside quiet hours waits for the morning)."""
        async with self.db.unit_of_work(readonly=True) as uow:
            return list((await uow.session.execute(
                select(OutboxItem.next_attempt_at).where(OutboxItem.chat_id == str(CHATS[seat]),
                                                         OutboxItem.id > since).order_by(OutboxItem.id))).scalars())

    async def last_id(self) -> int:
        async with self.db.unit_of_work(readonly=True) as uow:
            ids = (await uow.session.execute(select(OutboxItem.id).order_by(OutboxItem.id.desc()).limit(1))).scalars()
            return next(iter(ids), 0)


async def scene(db: Database, start: datetime, *seats: str) -> Scene:
    for seat in seats:
        await link(db, seat, CHATS[seat], channel=CHANNEL)
    return Scene(db, make_bot(db, start))


def texts(replies: list[Outbound]) -> list[str]:
    return [r.text for r in replies]
