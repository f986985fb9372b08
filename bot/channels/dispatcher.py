"""The dispatcher: sends outbox rows through their channel, in order per chat, within the platform's limits.

Transient failures (429, 5xx, timeouts) come back later with back-off; a final refusal is recorded and not
retried; "window closed / quota spent" holds the row until the citizen writes again. Rows end `sent`,
`failed` (visible to admins) or `held`; none is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from datetime import timedelta

from bot.channels.model import Outbound, Rendered, SendOutcome, SendResult
from bot.channels.ratelimit import ChatBuckets, TokenBucket
from bot.channels.registry import ChannelRegistry, UnknownChannel
from bot.channels.render import merge_plain, render
from bot.channels.windows import Delivery, Grant, SendingWindows
from bot.clock import Clock
from bot.faults import crash_point
from storage.models import OutboxItem
from storage.repositories import leases, outbox, sending
from storage.uow import Database

log = logging.getLogger(__name__)

MAX_BACKOFF = 300.0


def backoff(attempts: int) -> float:
    """Seconds before the next try after `attempts` failures: 1, 2, 4 ... 300, with a little jitter."""
    return min(MAX_BACKOFF, 2.0 ** max(0, attempts - 1)) * random.uniform(0.8, 1.2)


class Dispatcher:
    def __init__(
        self,
        db: Database,
        channels: ChannelRegistry,
        clock: Clock,
        *,
        lease_seconds: float = 30.0,
        concurrency: int = 8,
        idle_poll: float = 1.0,
        windows: SendingWindows | None = None,
    ) -> None:
        self.db, self.channels, self.clock = db, channels, clock
        self.windows = windows or SendingWindows(db, clock)
        self.owner = f"dispatcher-{uuid.uuid4().hex[:12]}"
        self._ttl = timedelta(seconds=lease_seconds)
        self._slots = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._busy: set[tuple[str, str]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle_poll = idle_poll
        self._stopping = False
        self._overall: dict[str, TokenBucket] = {}
        self._per_chat: dict[str, ChatBuckets] = {}

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Finish the unit in hand, start no other; `run` then returns."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        try:
            while not self._stopping:
                self._wake.clear()
                started = await self.poll_once()
                if started:
                    await asyncio.sleep(0)
                    continue
                idle = await self._idle_for()  # first: a cancel here must not leave a wait() un-awaited
                try:
                    await asyncio.wait_for(self._wake.wait(), idle)
                except TimeoutError:
                    pass
        finally:
            if not self._stopping:
                for task in list(self._tasks):
                    task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _idle_for(self) -> float:
        async with self.db.unit_of_work(readonly=True) as uow:
            due = await outbox.next_due_at(uow.session)
        if due is None:
            return self._idle_poll
        return max(0.01, min(self._idle_poll, (due - self.clock.now()).total_seconds()))

    async def poll_once(self) -> int:
        async with self.db.unit_of_work(readonly=True) as uow:
            chats = await outbox.chats_due(uow.session, self.clock.now())
        started = 0
        for chat in chats:
            if chat in self._busy or self._slots.locked():
                continue
            if await self._acquire(chat):
                started += 1
                self._busy.add(chat)
                task = asyncio.create_task(self._work_chat(chat))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        return started

    async def drain(self) -> None:
        """Send everything due now (tests and one-shot commands)."""
        while await self.poll_once() or self._tasks:
            if self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _lease(self, chat: tuple[str, str]) -> str:
        return f"out:{chat[0]}:{chat[1]}"

    async def _acquire(self, chat: tuple[str, str]) -> bool:
        async with self.db.unit_of_work() as uow:
            ok = await leases.acquire(uow.session, self._lease(chat), self.owner, self.clock.now(), self._ttl)
            await uow.commit()
        return ok

    async def _work_chat(self, chat: tuple[str, str]) -> None:
        async with self._slots:
            try:
                while not self._stopping and await self._send_next(chat):
                    pass
            except Exception:
                log.exception("dispatcher stopped on chat %s:%s", *chat)
            finally:
                self._busy.discard(chat)
                try:
                    async with self.db.unit_of_work() as uow:
                        await leases.release(uow.session, self._lease(chat), self.owner)
                        await uow.commit()
                except Exception:
                    log.exception("could not release lease %s", self._lease(chat))
                self._wake.set()

    async def _send_next(self, chat: tuple[str, str]) -> bool:
        """Send the chat's next due message (merging plain texts); False when the chat must wait."""
        name, chat_id = chat
        async with self.db.unit_of_work() as uow:
            if not await leases.renew(uow.session, self._lease(chat), self.owner, self.clock.now(), self._ttl):
                return False
            rows = await outbox.head_of_chat(uow.session, name, chat_id)
        if not rows or rows[0].next_attempt_at > self.clock.now():
            return False
        try:
            channel = self.channels.get(name)
        except UnknownChannel:
            await self._finish([rows[0]], SendResult.final(f"channel {name} is not configured"))
            return True
        group, message = self._group(rows, channel.capabilities.max_text)
        note = await self.windows.held_note(name, chat_id, group)
        if note is not None:
            message = Outbound(f"{note}\n\n{message.text}", message.choices, message.attachment_ids,
                               message.request, message.request_label, message.caption)
        parts = self._parts(render(message, channel.capabilities))
        done = int(group[0].payload.get("_sent_parts", 0)) if len(group) == 1 else 0
        # Inside the reply window, on the proactive quota, or held: a hold is final for this attempt.
        grant = await self.windows.admit(name, channel.rules, chat_id, group, len(parts) - done)
        if grant.delivery is Delivery.HELD:
            await self._finish(group, SendResult.held(grant.reason or "held"))
            return True
        result = SendResult.sent()
        sent = 0
        for index in range(done, len(parts)):
            await self._pace(name, chat_id, channel.rules.overall_per_second, channel.rules.chat_burst,
                             channel.rules.chat_per_second)
            result = await channel.send(chat_id, parts[index])
            crash_point("after_send")
            if result.outcome is not SendOutcome.SENT:
                break
            sent += 1
            if index < len(parts) - 1:
                await self._note_part(group[0], index + 1)
        await self._finish(group, result, max_attempts=channel.rules.max_attempts,
                           settle=(chat, grant, sent))
        crash_point("after_mark")
        return True

    def _group(self, rows: list[OutboxItem], limit: int) -> tuple[list[OutboxItem], Outbound]:
        messages = [Outbound.from_json(r.payload) for r in rows]
        now = self.clock.now()
        count = 1
        while count < len(rows) and rows[count].next_attempt_at <= now and rows[count].attempts == 0:
            if merge_plain(messages[: count + 1], limit) is None:
                break
            count += 1
        if count > 1 and rows[0].attempts == 0 and "_sent_parts" not in rows[0].payload:
            merged = merge_plain(messages[:count], limit)
            assert merged is not None
            return rows[:count], merged
        return rows[:1], messages[0]

    @staticmethod
    def _parts(rendered: Rendered) -> list[Rendered]:
        """One platform message per text part; buttons and requests ride on the last, media on the first."""
        last = len(rendered.texts) - 1
        return [
            Rendered(
                texts=[text],
                buttons=rendered.buttons if i == last else [],
                attachment_ids=rendered.attachment_ids if i == 0 else [],
                caption=rendered.caption if i == 0 else None,
                request=rendered.request if i == last else None,
                request_label=rendered.request_label if i == last else None,
            )
            for i, text in enumerate(rendered.texts)
        ]

    async def _pace(self, name: str, chat_id: str, overall: float, burst: int, per_chat: float) -> None:
        bucket = self._overall.setdefault(name, TokenBucket(overall, overall))
        chats = self._per_chat.setdefault(name, ChatBuckets(per_chat, burst))
        wait = max(bucket.reserve(), chats.reserve(chat_id))
        if wait > 0:
            await asyncio.sleep(wait)

    async def _note_part(self, row: OutboxItem, sent_parts: int) -> None:
        async with self.db.unit_of_work() as uow:
            item = await uow.session.get(OutboxItem, row.id)
            if item is not None:
                item.payload = {**item.payload, "_sent_parts": sent_parts}
            await uow.commit()

    async def _finish(self, group: list[OutboxItem], result: SendResult, *, max_attempts: int = 8,
                      settle: tuple[tuple[str, str], Grant, int] | None = None) -> None:
        ids = [r.id for r in group]
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            s = uow.session
            if settle is not None:  # replies counted and unused quota given back with the row's outcome
                (name, chat_id), grant, sent = settle
                await self.windows.settle(s, name, chat_id, group, grant, sent)
            if result.outcome is SendOutcome.SENT:
                await outbox.mark_sent(s, ids, now, result.message_id)
            elif result.outcome is SendOutcome.HELD:
                await sending.mark_held(s, ids, now, result.reason)
            elif result.outcome is SendOutcome.FINAL or group[0].attempts + 1 >= max_attempts:
                log.warning("outbox %s failed for good: %s", ids, result.reason)
                await outbox.mark_status(s, ids, "failed", result.reason)
            else:
                delay = result.retry_after if result.retry_after is not None else backoff(group[0].attempts + 1)
                await outbox.mark_retry(s, ids, now + timedelta(seconds=delay), result.reason or "retry")
            await uow.commit()
        if result.outcome is SendOutcome.RETRY:
            self._wake.set()

