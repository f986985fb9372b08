"""Per-chat pacing (Telegram: a burst of 3, then 1 message a second), driven by a hand-moved time source."""

from __future__ import annotations

from bot.channels.ratelimit import ChatBuckets, TokenBucket


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
