"""Limits on the web chat's public edge, per visitor (the signed cookie) and per address (IPv4, or IPv6 /64):
open sockets, frames and uploads. Kept in this process's memory: each process enforces them for the sockets it
holds (a deployment with N web processes allows up to N times as much per address). Cases filed per day are
counted in the database instead (bot.services.abuse), since the consumer that files them may run anywhere.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EdgeRules:
    sockets_per_visitor: int = 4
    sockets_per_address: int = 30
    frames_per_visitor: int = 20  # within FRAME_WINDOW, across all the visitor's sockets
    frames_per_address: int = 60
    frame_window: float = 10.0
    uploads_per_visitor: int = 20  # within UPLOAD_WINDOW
    uploads_per_address: int = 60
    upload_window: float = 3600.0


class _Windows:
    """Sliding-window counters by key."""

    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def take(self, key: str, limit: int, window: float, now: float) -> bool:
        hits = self._hits[key]
        while hits and now - hits[0] > window:
            hits.popleft()
        if len(hits) >= limit:
            return False
        hits.append(now)
        return True

    def prune(self, now: float, window: float) -> None:
        for key in [k for k, hits in self._hits.items() if not hits or now - hits[-1] > window]:
            del self._hits[key]


class EdgeLimits:
    def __init__(self, rules: EdgeRules | None = None) -> None:
        self.rules = rules or EdgeRules()
        self._sockets: dict[str, int] = defaultdict(int)
        self._frames, self._uploads = _Windows(), _Windows()
        self._last_prune = time.monotonic()

    def open_socket(self, visitor: str, address: str) -> bool:
        r = self.rules
        if self._sockets[f"v:{visitor}"] >= r.sockets_per_visitor or self._sockets[f"a:{address}"] >= r.sockets_per_address:
            return False
        self._sockets[f"v:{visitor}"] += 1
        self._sockets[f"a:{address}"] += 1
        return True

    def close_socket(self, visitor: str, address: str) -> None:
        for key in (f"v:{visitor}", f"a:{address}"):
            self._sockets[key] -= 1
            if self._sockets[key] <= 0:
                del self._sockets[key]

    def frame(self, visitor: str, address: str) -> bool:
        r, now = self.rules, self._now()
        return (self._frames.take(f"a:{address}", r.frames_per_address, r.frame_window, now)
                and self._frames.take(f"v:{visitor}", r.frames_per_visitor, r.frame_window, now))

    def upload(self, visitor: str, address: str) -> bool:
        r, now = self.rules, self._now()
        return (self._uploads.take(f"a:{address}", r.uploads_per_address, r.upload_window, now)
                and self._uploads.take(f"v:{visitor}", r.uploads_per_visitor, r.upload_window, now))

    def _now(self) -> float:
        now = time.monotonic()
        if now - self._last_prune > 300:  # forget idle keys now and then: memory stays bounded
            self._frames.prune(now, self.rules.frame_window)
            self._uploads.prune(now, self.rules.upload_window)
            self._last_prune = now
        return now
