"""One citizen writing more than 20 messages a minute gets one polite notice, and starts nothing for a while."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.container import Container
from bot.i18n import translator
from storage.models import CaseDraft, InboxItem
from tests.support.harness import fake_telegram, settings_for

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
CHAT = 830001


async def test_a_flood_is_slowed_down_with_one_notice_and_nothing_is_lost(db_url: str) -> None:
    clock = FakeClock(START)
    async with fake_telegram() as tg:
        container = Container(settings_for(db_url, tg), clock=clock)
        await container.start_channels()
        try:
            telegram = container.telegram
            assert telegram is not None

            async def say(*texts: str) -> None:
                for text in texts:
                    await container.receiver.store(telegram, [tg.message(CHAT, text=text)])
                    await container.consumer.drain()
                    clock.advance(seconds=1)
                await container.sender.drain()

            await say("/start", "1")
            before = len(tg.texts_to(CHAT))
            await say(*["/help"] * 18)  # 20 messages within the minute: all answered
            answered = len(tg.texts_to(CHAT))
            assert answered > before
            await say("/report", "Cống bị tắc", "/help", "/help")  # the 21st and after
            slow = translator("vi")("error.slow_down", minutes=5)
            assert tg.texts_to(CHAT)[answered:] == [slow]  # one notice, nothing else
            async with container.db.unit_of_work(readonly=True) as uow:
                drafts = (await uow.session.execute(select(func.count(CaseDraft.id)))).scalar_one()
                done = (await uow.session.execute(
                    select(func.count(InboxItem.id)).where(InboxItem.status == "done"))).scalar_one()
            assert drafts == 0  # the pause started no report
            assert done == 24  # every update stored and handled: none is lost or left waiting

            clock.advance(minutes=5)
            await say("/help")  # the pause is over
            assert len(tg.texts_to(CHAT)) == answered + 2
        finally:
            await container.stop()
