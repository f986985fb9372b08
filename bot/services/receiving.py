"""The receiving edge: store raw updates in the inbox, then (and only then) let the caller acknowledge."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot import metrics
from bot.channels.base import Channel, UpdateRejected
from bot.clock import Clock
from bot.faults import crash_point
from storage.repositories import inbox
from storage.uow import Database

log = logging.getLogger(__name__)
MAX_PLATFORM_ID, MAX_CHAT_KEY = 128, 160  # what the inbox's columns hold (storage.models.InboxItem)


class Receiver:
    def __init__(self, db: Database, clock: Clock, wake: Callable[[], None] = lambda: None) -> None:
        self.db, self.clock, self._wake = db, clock, wake

    async def store(self, channel: Channel, payloads: list[dict[str, Any]]) -> int:
        """Store a batch in one transaction; returns how many were new. Raises UpdateRejected first."""
        keyed = [(channel.identify(p), p) for p in payloads]
        for (platform_id, chat_key), _ in keyed:
            # What the inbox can hold: a forged id longer than that would fail the insert (a 500) on PostgreSQL.
            if not 0 < len(platform_id) <= MAX_PLATFORM_ID or not 0 < len(chat_key) <= MAX_CHAT_KEY:
                raise UpdateRejected("the update's or the chat's id is empty or too long")
        new = 0
        async with self.db.unit_of_work() as uow:
            for (platform_id, chat_key), payload in keyed:
                new += await inbox.store(
                    uow.session, channel=channel.name, platform_id=platform_id, chat_key=chat_key,
                    payload=payload, now=self.clock.now(),
                )
            uow.after_commit(self._wake)
            await uow.commit()
        crash_point("after_store")
        metrics.update_received(channel.name, new)
        metrics.update_repeated(channel.name, len(payloads) - new)
        if new < len(payloads):
            log.info("%s: %d repeated update(s) dropped", channel.name, len(payloads) - new)
        return new


__all__ = ["Receiver", "UpdateRejected"]
