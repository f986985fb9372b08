"""Token buckets for the platforms' sending limits (in memory: they pace, they do not decide)."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

Now = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class TokenBucket:
    """`burst` tokens at most, refilled at `rate` per second; `now` is a monotonic time source (seconds)."""

    def __init__(self, rate: float, burst: float, now: Now = time.monotonic) -> None:
        self.rate, self.burst, self._now = rate, burst, now
        self.tokens = burst
        self.stamp = now()

    def reserve(self) -> float:
        """Take one token; returns how long to wait before using it (0 when one was there)."""
        self._refill()
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def delay(self) -> float:
        """How long until a token is there, taking none."""
        self._refill()
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def _refill(self) -> None:
        now = self._now()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now


class ChatBuckets:
    """One bucket per chat, forgetting the least recently used beyond `size` chats."""

    def __init__(self, rate: float, burst: float, size: int = 10_000, now: Now = time.monotonic) -> None:
        self.rate, self.burst, self.size, self._now = rate, burst, size, now
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def reserve(self, chat: str) -> float:
        return self.bucket(chat).reserve()

    def bucket(self, chat: str) -> TokenBucket:
        """The chat's bucket, made the most recently used."""
        bucket = self._buckets.pop(chat, None) or TokenBucket(self.rate, self.burst, self._now)
        self._buckets[chat] = bucket
        if len(self._buckets) > self.size:
            self._buckets.popitem(last=False)
        return bucket


class Pacer:
    """A channel's pace: `per_chat` tokens a second per chat after a burst, `overall` a second in all.

    Each send waits for its chat's turn, then for a slot of the channel's, so that both tokens count the
    moment the message really leaves. Taking both at once and sleeping for the longer wait would spend the
    channel's token early and send later, on top of the tokens others take meanwhile, and the platform would
    count more than its limit in that second. A chat's sends go one at a time (the sender's rule), so a chat
    token seen free stays free until it is taken.
    """

    def __init__(self, overall: float, overall_burst: int, per_chat: float, chat_burst: int, *,
                 now: Now = time.monotonic, sleep: Sleep = asyncio.sleep) -> None:
        self._overall = TokenBucket(overall, overall_burst, now)
        self._chats = ChatBuckets(per_chat, chat_burst, now=now)
        self._sleep = sleep

    async def turn(self, chat: str) -> None:
        """Return when a message to `chat` may go."""
        bucket = self._chats.bucket(chat)
        wait = bucket.delay()
        if wait > 0:
            await self._sleep(wait)
        wait = self._overall.reserve()
        if wait > 0:
            await self._sleep(wait)
        bucket.reserve()
