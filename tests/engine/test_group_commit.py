"""Group commit: chats whose messages are ready together are answered from one transaction, each chat in order,
and a chat whose step fails (a bug in the flow, a statement the database refuses) loses only its own part."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select

from bot.clock import FakeClock
from bot.container import Container
from bot.workers.group_commit import GroupCommit
from storage.models import Conversation, InboxItem, OutboxItem
from tests.support.harness import fake_telegram, settings_for

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
CHATS = [830001, 830002, 830003, 830004, 830005]
BUGGY, REFUSED = CHATS[2], CHATS[3]  # a bug in the flow; a row the database refuses (unique key)


async def _state(container: Container) -> tuple[dict[str, list[tuple[str, int]]], dict[str, int], set[str]]:
    async with container.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        rows = (await s.execute(select(InboxItem).order_by(InboxItem.id))).scalars().all()
        out = (await s.execute(select(OutboxItem.chat_id))).scalars().all()
        talked = set((await s.execute(select(Conversation.chat_id))).scalars().all())
    inbox: dict[str, list[tuple[str, int]]] = {}
    for row in rows:
        inbox.setdefault(row.chat_key, []).append((row.status, row.attempts))
    replies: dict[str, int] = {}
    for chat in out:
        replies[chat] = replies.get(chat, 0) + 1
    return inbox, replies, talked


async def test_chats_ready_together_share_a_transaction_and_a_failing_one_loses_only_its_part(db_url: str) -> None:
    clock = FakeClock(START)
    async with fake_telegram() as tg:
        container = Container(settings_for(db_url, tg, group_commit_chats=8), clock=clock)
        consumer = container.consumer
        real, broken = consumer._process, [True]

        async def process(uow, row):  # the flow runs in full, then fails: its writes must all be undone
            await real(uow, row)
            if broken[0] and row.chat_key == str(BUGGY):
                raise ValueError("a bug in the flow")
            if broken[0] and row.chat_key == str(REFUSED):
                uow.session.add(InboxItem(channel=row.channel, platform_id=row.platform_id, chat_key=row.chat_key,
                                          payload={}, received_at=row.received_at))

        consumer._process = process
        await container.start_channels()
        try:
            telegram = container.telegram
            assert telegram is not None
            first = CHATS[0]
            updates = [tg.message(chat, text="/start") for chat in CHATS] + [tg.message(first, text="/help")]
            await container.receiver.store(telegram, updates)

            await consumer.drain()
            inbox, replies, talked = await _state(container)
            assert consumer.group_commit.largest == len(CHATS)  # the five first steps went together
            assert inbox[str(first)] == [("done", 0), ("done", 0)]  # its /help came after, in a batch of its own
            for chat in (CHATS[1], CHATS[4]):
                assert inbox[str(chat)] == [("done", 0)]
            for chat in (BUGGY, REFUSED):  # undone, counted as one attempt, waiting for the next
                assert inbox[str(chat)] == [("new", 1)]
                assert str(chat) not in replies and str(chat) not in talked
            answered = {str(c) for c in CHATS if c not in (BUGGY, REFUSED)}
            assert set(replies) == answered and talked == answered

            broken[0] = False
            clock.advance(seconds=1.5)
            await consumer.drain()
            await container.sender.drain()
            inbox, replies, _ = await _state(container)
            assert inbox[str(BUGGY)] == inbox[str(REFUSED)] == [("done", 1)]
            # Each citizen got the welcome once (nothing of the undone parts was sent, nothing twice).
            welcome = {tuple(tg.texts_to(chat)) for chat in CHATS[1:]}
            assert len(welcome) == 1, welcome
            texts = tg.texts_to(first)
            assert list(texts[:len(texts) - 1]) == list(next(iter(welcome)))  # the welcome, then /help's answer
        finally:
            await container.stop()


async def test_a_batch_never_waits_to_fill_and_a_step_that_breaks_its_batch_fails_alone() -> None:
    batches: list[list[str]] = []
    started, release = asyncio.Event(), asyncio.Event()

    async def run(keys: list[str]) -> list[str]:
        batches.append(keys)
        if len(batches) == 1:
            started.set()
            await release.wait()
        if "x" in keys:
            raise ValueError("x breaks any batch it is in")
        return [f"{key}!" for key in keys]

    group: GroupCommit[str, str] = GroupCommit(run, size=3)
    alone = asyncio.create_task(group.ask("a"))
    await started.wait()  # the first step started a batch of its own at once
    later = [asyncio.create_task(group.ask(key)) for key in "bxcde"]
    await asyncio.sleep(0)  # they all ask while the first batch runs
    release.set()
    assert await alone == "a!"
    outcomes = await asyncio.gather(*later, return_exceptions=True)
    assert outcomes[0] == "b!" and isinstance(outcomes[1], ValueError) and outcomes[2:] == ["c!", "d!", "e!"]
    # At most `size` a batch, in the order asked; the broken batch again one step at a time.
    assert batches == [["a"], ["b", "x", "c"], ["b"], ["x"], ["c"], ["d", "e"]]
