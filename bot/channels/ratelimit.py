"""Token buckets for the platforms' sending limits (in memory: they pace, they do not decide)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

Now = Callable[[], float]


class TokenBucket:
    """`burst` tokens at most, refilled at `rate` per second; `now` is a monotonic time source (seconds)."""

    def __init__(self, rate: float, burst: float, now: Now = time.monotonic) -> None:
        self.rate, self.burst, self._now = rate, burst, now
        self.tokens = burst
        self.stamp = now()

    def reserve(self) -> float:
        """Take one token; returns how long to wait before using it (0 when one was there)."""
        now = self._now()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


class ChatBuckets:
    """One bucket per chat, forgetting the least recently used beyond `size` chats."""

    def __init__(self, rate: float, burst: float, size: int = 10_000, now: Now = time.monotonic) -> None:
        self.rate, self.burst, self.size, self._now = rate, burst, size, now
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def reserve(self, chat: str) -> float:
        bucket = self._buckets.pop(chat, None) or TokenBucket(self.rate, self.burst, self._now)
        self._buckets[chat] = bucket
        if len(self._buckets) > self.size:
            self._buckets.popitem(last=False)
        return bucket.reserve()
