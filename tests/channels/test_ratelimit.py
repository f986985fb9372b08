"""Per-chat pacing (Telegram: a burst of 3, then 1 message a second), driven by a hand-moved time source."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable

from bot.channels.ratelimit import ChatBuckets, Pacer, TokenBucket


class Ticks:
    """A monotonic time source the test moves by hand."""

    def __init__(self) -> None:
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at


def test_burst_of_three_then_one_a_second() -> None:
    ticks = Ticks()
    bucket = TokenBucket(rate=1.0, burst=3, now=ticks)
    # Three go at once; each further one waits one second more than the one before it.
    assert [bucket.reserve() for _ in range(5)] == [0.0, 0.0, 0.0, 1.0, 2.0]


def test_tokens_come_back_at_the_rate() -> None:
    ticks = Ticks()
    bucket = TokenBucket(rate=1.0, burst=3, now=ticks)
    assert [bucket.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]
    ticks.at += 1.0
    assert bucket.reserve() == 0.0  # one token refilled in one second
    assert bucket.reserve() == 1.0
    ticks.at += 0.5
    assert bucket.reserve() == 1.5  # half a token back; the reservation above still counts


def test_a_long_pause_refills_only_up_to_the_burst() -> None:
    ticks = Ticks()
    bucket = TokenBucket(rate=1.0, burst=3, now=ticks)
    bucket.reserve()
    ticks.at += 3600.0
    assert [bucket.reserve() for _ in range(4)] == [0.0, 0.0, 0.0, 1.0]


def test_overall_rate_of_thirty_a_second() -> None:
    ticks = Ticks()
    bucket = TokenBucket(rate=30.0, burst=30, now=ticks)
    waits = [bucket.reserve() for _ in range(32)]
    assert waits[:30] == [0.0] * 30
    assert waits[30:] == [1 / 30, 2 / 30]


def test_each_chat_has_its_own_bucket() -> None:
    ticks = Ticks()
    chats = ChatBuckets(rate=1.0, burst=3, now=ticks)
    assert [chats.reserve("a") for _ in range(4)] == [0.0, 0.0, 0.0, 1.0]
    assert [chats.reserve("b") for _ in range(3)] == [0.0, 0.0, 0.0]  # chat a's burst does not slow b
    assert chats.reserve("a") == 2.0


def test_buckets_beyond_the_size_are_forgotten_least_recent_first() -> None:
    ticks = Ticks()
    chats = ChatBuckets(rate=1.0, burst=1, size=2, now=ticks)
    assert chats.reserve("a") == 0.0
    assert chats.reserve("b") == 0.0
    assert chats.reserve("a") == 1.0  # a is now the most recently used
    assert chats.reserve("c") == 0.0  # a third chat: b, the least recently used, is forgotten
    assert chats.reserve("a") == 2.0  # a kept its reservations
    assert chats.reserve("b") == 0.0  # b starts again with a full bucket


class VirtualTime:
    """Time that moves only when every task waits on it: sleeps end in order, instantly."""

    def __init__(self) -> None:
        self.at = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._count = itertools.count()

    def __call__(self) -> float:
        return self.at

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.at + seconds, next(self._count), future))
        await future

    async def run(self, *coroutines: Awaitable[None]) -> None:
        tasks = [asyncio.ensure_future(c) for c in coroutines]
        while not all(t.done() for t in tasks):
            for _ in range(5):  # let every task run on to its next sleep
                await asyncio.sleep(0)
            if self._sleepers:
                self.at, _, future = heapq.heappop(self._sleepers)
                future.set_result(None)
        for task in tasks:
            task.result()


async def test_the_platform_never_counts_more_than_its_limits() -> None:
    """An official's chat with a queue of cards (paced per chat) beside 90 citizens' replies (paced overall):
    replayed through the platform's own buckets (Telegram: 30/s with the same burst, 1/s per chat after 3),
    no send is over either limit. Sleeping for the longer of two waits taken together failed this: the
    official's cards spent overall tokens at once and went a second later, on top of the citizens'."""
    time = VirtualTime()
    pacer = Pacer(30.0, 3, 1.0, 3, now=time, sleep=time.sleep)
    sends: list[tuple[float, str]] = []

    async def chat(name: str, messages: int) -> None:
        for _ in range(messages):
            await pacer.turn(name)
            sends.append((time.at, name))
            await time.sleep(0.05)  # the request's round trip; a chat's sends are one at a time

    await time.run(chat("official", 12), *(chat(f"citizen{i}", 2) for i in range(90)))
    assert len(sends) == 12 + 180
    end, time.at = time.at, 0.0
    platform = TokenBucket(30.0, 3 + 1e-9, now=time)
    per_chat = ChatBuckets(1.0, 3 + 1e-9, now=time)
    over = []
    for at, name in sorted(sends):
        time.at = at
        if platform.reserve() > 0 or per_chat.reserve(name) > 0:
            over.append((at, name))
    assert over == []
    # And no slot was wasted: the citizens' 180 and the official's first ones all went within 6.4 s (192
    # messages at 30 a second); the official's last cards follow at 1 a second, as the platform allows.
    assert max(at for at, name in sends if name != "official") <= 192 / 30
    assert 9.0 <= end <= 14.0
