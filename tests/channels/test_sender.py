"""The dispatcher against a local Bot API server that fails on purpose: nothing lost, nothing repeated.

Outbox rows are written the way a flow's transaction writes them, then the real Sender sends them through
the real Telegram adapter. Time is a FakeClock: a 429's `retry_after` and the back-off are waited out by
moving the clock, so no test sleeps through them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.channels.model import Choice, Outbound
from bot.channels.registry import ChannelRegistry
from bot.channels.sender import Sender
from bot.channels.telegram import TelegramChannel
from bot.clock import FakeClock
from storage.models import OutboxItem
from storage.repositories import outbox
from storage.uow import Database
from tests.support.fake_telegram import FakeTelegram, Fault
from tests.support.harness import fake_telegram, running_bot

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
TIEPDAN = str(Path(sys.executable).parent / "tiepdan")


@dataclass
class Rig:
    tg: FakeTelegram
    db: Database
    clock: FakeClock
    sender: Sender

    async def queue(self, chat: int, *messages: Outbound | str) -> None:
        """Outbox rows for one chat, committed together as a flow's turn commits them."""
        async with self.db.unit_of_work() as uow:
            for message in messages:
                body = Outbound(message) if isinstance(message, str) else message
                await outbox.add(uow.session, channel="telegram", chat_id=str(chat), payload=body.to_json(),
                                 now=self.clock.now())
            await uow.commit()

    async def settle(self, step: float = 400.0, rounds: int = 30) -> int:
        """Send what is due; move the clock past every back-off until no row is pending. Returns rounds."""
        for done in range(1, rounds + 1):
            await self.sender.drain()
            if not await self.pending():
                return done
            self.clock.advance(seconds=step)
        raise AssertionError(f"rows still pending after {rounds} rounds")

    async def pending(self) -> list[OutboxItem]:
        return [r for r in await self.rows() if r.status == "pending"]

    async def rows(self) -> list[OutboxItem]:
        async with self.db.unit_of_work(readonly=True) as uow:
            return list((await uow.session.execute(select(OutboxItem).order_by(OutboxItem.id))).scalars())

    def sends(self) -> list[str]:
        return [method for method, _ in self.tg.calls if method == "sendMessage"]


@contextlib.asynccontextmanager
async def rig(db_url: str, *, chat_pacing: bool = True) -> AsyncIterator[Rig]:
    async with fake_telegram() as tg:
        channel = TelegramChannel(tg.token, tg.base_url)
        if not chat_pacing:
            # Per-chat pacing sleeps in real time (1 s a message after a burst of 3); tests that send many
            # times to one chat, and are not about pacing, lift it. The retry rules stay Telegram's.
            channel.rules = replace(TelegramChannel.rules, chat_burst=1000, chat_per_second=1000.0)
        await channel.start()
        channels = ChannelRegistry()
        channels.add(channel)
        db = Database(db_url)
        clock = FakeClock(START)
        try:
            yield Rig(tg, db, clock, Sender(db, channels, clock))
        finally:
            await channel.stop()
            await db.dispose()


def with_choices(text: str) -> Outbound:
    return Outbound(text, (Choice("yes", "Có"), Choice("no", "Không")))


# --- transient faults ------------------------------------------------------------------------------------------


async def test_429_and_500_lose_nothing_and_repeat_nothing(db_url: str) -> None:
    chats = [600001, 600002, 600003, 600004, 600005]
    async with rig(db_url) as r:
        r.tg.faults.append(Fault("sendMessage", 429, retry_after=3, remaining=3))
        r.tg.fail_every = (4, 500)  # and every fourth send after those answers 500
        expected = {}
        for chat in chats:
            # Plain texts merge; the question with choices stands alone: three sends per chat when all goes well.
            messages = [f"Tin {chat}-1", f"Tin {chat}-2", with_choices(f"Hỏi {chat}-3"), f"Tin {chat}-4"]
            await r.queue(chat, *messages)
            expected[chat] = [f"Tin {chat}-1", f"Tin {chat}-2", f"Hỏi {chat}-3", f"Tin {chat}-4"]
        await r.settle()

        for chat in chats:
            # Once each, in order: whatever was merged or split apart by retries, the text reads the same.
            assert "\n\n".join(r.tg.texts_to(chat)) == "\n\n".join(expected[chat])
            markups = [m["reply_markup"] for m in r.tg.sent if m["chat_id"] == chat and m["reply_markup"]]
            assert len(markups) == 1  # the question's buttons went out once
        rows = await r.rows()
        assert [row.status for row in rows] == ["sent"] * 20
        failed_calls = len(r.sends()) - len(r.tg.sent)
        assert failed_calls >= 3 + 1  # the three 429s and at least one 500 really happened
        assert sum(row.attempts for row in rows) > len(rows)


async def test_429_waits_exactly_retry_after(db_url: str) -> None:
    async with rig(db_url) as r:
        r.tg.faults.append(Fault("sendMessage", 429, retry_after=7))
        await r.queue(600010, "Xin chào")
        await r.sender.drain()
        (row,) = await r.rows()
        assert (row.status, row.attempts, row.last_error) == ("pending", 1, "429 Too Many Requests")
        assert row.next_attempt_at == START + timedelta(seconds=7)

        r.clock.advance(seconds=6)
        await r.sender.drain()
        assert len(r.sends()) == 1  # not before the platform said

        r.clock.advance(seconds=1)
        await r.sender.drain()
        assert len(r.sends()) == 2
        assert r.tg.texts_to(600010) == ["Xin chào"]
        (row,) = await r.rows()
        assert (row.status, row.attempts, row.sent_at) == ("sent", 2, START + timedelta(seconds=7))


async def test_5xx_backs_off_and_retries(db_url: str) -> None:
    async with rig(db_url) as r:
        r.tg.faults.append(Fault("sendMessage", 500, remaining=2))
        await r.queue(600020, "Xin chào")
        await r.sender.drain()
        (row,) = await r.rows()
        assert (row.status, row.attempts) == ("pending", 1)
        first = (row.next_attempt_at - START).total_seconds()
        assert 0.8 <= first <= 1.2  # 1 s, with up to 20 % jitter

        r.clock.advance(seconds=2)
        await r.sender.drain()
        (row,) = await r.rows()
        assert (row.status, row.attempts) == ("pending", 2)
        second = (row.next_attempt_at - START - timedelta(seconds=2)).total_seconds()
        assert 1.6 <= second <= 2.4  # then 2 s

        r.clock.advance(seconds=3)
        await r.sender.drain()
        assert len(r.sends()) == 3
        assert r.tg.texts_to(600020) == ["Xin chào"]
        (row,) = await r.rows()
        assert (row.status, row.attempts) == ("sent", 3)


# --- final refusals and giving up ------------------------------------------------------------------------------


async def test_a_bad_request_is_final_and_shown_to_admins(db_url: str, tmp_path: Path) -> None:
    async with rig(db_url) as r:
        r.tg.faults.append(Fault("sendMessage", 400, description="Bad Request: chat not found"))
        await r.queue(600030, "Xin chào")
        await r.settle()
        await r.queue(600031, "Chào bạn")
        await r.settle()
        r.clock.advance(hours=1)
        await r.sender.drain()

        assert len(r.sends()) == 2  # one try for the refused message, one for the other chat
        assert r.tg.texts_to(600031) == ["Chào bạn"]
        refused, delivered = await r.rows()
        assert (refused.status, refused.attempts, refused.last_error) == (
            "failed", 1, "BadRequest: Chat not found")
        assert delivered.status == "sent"

    shown = await asyncio.create_subprocess_exec(
        TIEPDAN, "outbox", "failed", env=os.environ | {"DATABASE_URL": db_url, "LOG_LEVEL": "WARNING"},
        cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(shown.communicate(), 120)
    assert shown.returncode == 0, err.decode()
    assert out.decode().splitlines() == [
        "#1 telegram:600030 reply attempts=1: BadRequest: Chat not found",
        "1 failed message(s)",
    ]


async def test_a_message_that_keeps_failing_ends_failed(db_url: str) -> None:
    async with rig(db_url, chat_pacing=False) as r:
        r.tg.faults.append(Fault("sendMessage", 502, remaining=100, description="Bad Gateway"))
        await r.queue(600040, "Xin chào", "Tin thứ hai")
        await r.settle()
        first, second = await r.rows()
        # Telegram's rules: at most eight attempts a row. The pair went merged once, then row by row.
        assert (first.status, first.attempts, first.last_error) == ("failed", 8, "network: Bad Gateway")
        assert (second.status, second.attempts, second.last_error) == ("failed", 8, "network: Bad Gateway")
        assert len(r.sends()) == 1 + 7 + 7
        assert r.tg.texts_to(600040) == []


async def test_a_channel_that_is_not_running_fails_the_row(db_url: str) -> None:
    async with rig(db_url) as r:
        async with r.db.unit_of_work() as uow:
            await outbox.add(uow.session, channel="fax", chat_id="1", payload=Outbound("Xin chào").to_json(),
                             now=r.clock.now())
            await uow.commit()
        await r.settle()
        (row,) = await r.rows()
        assert (row.status, row.last_error) == ("failed", "channel fax is not configured")


# --- merging and splitting -------------------------------------------------------------------------------------


async def test_consecutive_plain_texts_go_as_one_message(db_url: str) -> None:
    async with rig(db_url) as r:
        await r.queue(600050, "Một", "Hai", "Ba")
        await r.settle()
        assert r.tg.texts_to(600050) == ["Một\n\nHai\n\nBa"]
        rows = await r.rows()
        assert [row.status for row in rows] == ["sent", "sent", "sent"]
        assert len({row.platform_message_id for row in rows}) == 1


async def test_choices_and_length_stop_a_merge(db_url: str) -> None:
    async with rig(db_url) as r:
        long_a, long_b = "a" * 3000, "b" * 3000
        await r.queue(600060, "Một", "Hai", with_choices("Ba?"), "Bốn", "Năm", long_a, long_b)
        await r.settle()
        # 3 008 characters fit in one message; adding 3 000 more would pass Telegram's 4 096.
        assert r.tg.texts_to(600060) == ["Một\n\nHai", "Ba?", f"Bốn\n\nNăm\n\n{long_a}", long_b]
        keyboards = [m["reply_markup"] for m in r.tg.sent]
        assert keyboards[1] == {"inline_keyboard": [[{"text": "Có", "callback_data": "yes"}],
                                                    [{"text": "Không", "callback_data": "no"}]]}
        assert [k for i, k in enumerate(keyboards) if i != 1] == [None, None, None]


PARAGRAPH_A = "A" * 3000
PARAGRAPH_B = "B" * 1500
PARAGRAPH_C = "C" * 1000


async def test_a_long_text_goes_in_parts_in_order(db_url: str) -> None:
    async with rig(db_url) as r:
        text = f"{PARAGRAPH_A}\n\n{PARAGRAPH_B}\n\n{PARAGRAPH_C}"  # 4504 characters; Telegram takes 4096
        await r.queue(600070, with_choices(text))
        await r.settle()
        assert r.tg.texts_to(600070) == [PARAGRAPH_A, f"{PARAGRAPH_B}\n\n{PARAGRAPH_C}"]
        first, last = r.tg.sent
        assert first["reply_markup"] is None  # the buttons ride on the last part
        assert [b["callback_data"] for row in last["reply_markup"]["inline_keyboard"] for b in row] == ["yes", "no"]


async def test_a_failed_part_is_retried_without_repeating_the_parts_before_it(db_url: str) -> None:
    async with rig(db_url, chat_pacing=False) as r:
        r.tg.fail_every = (2, 500)  # the second part fails once
        words = " ".join(f"từ{i:04d}" for i in range(1500))  # 10 499 characters, no paragraph breaks
        await r.queue(600080, words)
        await r.settle()
        parts = r.tg.texts_to(600080)
        assert [len(p) for p in parts] == [4094, 4094, 2309]  # cut at the last space before 4096
        assert " ".join(parts) == words
        assert len(r.sends()) == 5  # three parts, and the second and fourth calls answered 500
        (row,) = await r.rows()
        assert row.status == "sent"


# --- the whole application, with faults ------------------------------------------------------------------------


async def test_citizens_get_every_reply_once_in_order_despite_faults(db_url: str) -> None:
    """Eight citizens start at once while the Bot API answers 429 and 500 to some sends (real time)."""
    chats = [610001 + i for i in range(8)]
    async with fake_telegram() as tg:
        tg.faults.append(Fault("sendMessage", 429, retry_after=1, remaining=2))
        tg.fail_every = (5, 500)
        async with running_bot(db_url, tg):
            for chat in chats:
                tg.says(chat, "/start")
            for chat in chats:
                await tg.wait_for(chat, 2, within=90)
            for chat in chats:
                tg.presses(chat, "agree")
            for chat in chats:
                await tg.wait_for(chat, 4, within=90)
        for chat in chats:
            texts = tg.texts_to(chat)
            assert len(texts) == 4, texts
            assert texts[0].startswith("Xin chào!")
            assert texts[1].startswith("Thông báo xử lý dữ liệu cá nhân (phiên bản 2026-01)")
            assert texts[2:] == ["Cảm ơn bạn. Bạn có thể bắt đầu.", "Bạn muốn làm gì? Chọn một mục:"]
        assert len([m for m, _ in tg.calls if m == "sendMessage"]) > len(tg.sent)  # faults did happen


async def test_a_chat_waits_for_its_first_row_even_when_a_later_one_is_due(db_url: str) -> None:
    """After a merged pair fails, its head fails again alone: the later row is due, the head is not yet."""
    async with rig(db_url) as r:
        await r.queue(600090, "Một", "Hai")
        await r.queue(600091, "Ba")
        async with r.db.unit_of_work() as uow:
            head, _later = await outbox.head_of_chat(uow.session, "telegram", "600090", START)
            (other,) = await outbox.head_of_chat(uow.session, "telegram", "600091", START)
            await outbox.mark_retry(uow.session, [head.id], START + timedelta(seconds=100), "500")
            await outbox.mark_retry(uow.session, [other.id], START + timedelta(seconds=40), "500")
            await uow.commit()
        async with r.db.unit_of_work(readonly=True) as uow:
            assert await outbox.chats_due(uow.session, START) == []
            assert await outbox.next_due_at(uow.session, START) == START + timedelta(seconds=40)
            assert await outbox.chats_due(uow.session, START + timedelta(seconds=40)) == [("telegram", "600091")]
            assert await outbox.chats_due(uow.session, START + timedelta(seconds=100)) == [
                ("telegram", "600090"), ("telegram", "600091")]
        await r.sender.drain()  # returns: nothing is due, and nothing spins
        assert r.sends() == []
