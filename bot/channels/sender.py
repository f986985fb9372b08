"""The sender: sends outbox rows through their channel, in order per chat, within the platform's limits.

One process at a time sends for a channel (it holds `send:<channel>` while its heartbeat lives), so the
platform's overall limit (Telegram: 30 messages a second) holds for the bot as a whole however many workers
run; per-chat order needs no per-chat lease. Rows reach the sender in memory right after the transaction
that wrote them commits; the database is scanned only as a fallback (see bot.workers.pool).

Transient failures (429, 5xx, timeouts, any exception around a send) come back later with back-off and are
counted, so a row that keeps failing ends `failed` and never holds back the chat's later messages; a final
refusal is recorded and not retried; "window closed / quota spent" holds the row until the citizen writes
again. Rows end `sent`, `failed` (visible to admins) or `held`; none is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot import metrics
from bot.channels.model import (
    CALL_BACK_PURPOSES,
    EDIT_OF_ROW,
    Outbound,
    Rendered,
    SendingRules,
    SendOutcome,
    SendResult,
)
from bot.channels.ratelimit import Pacer
from bot.channels.registry import ChannelRegistry, UnknownChannel
from bot.channels.render import merge_plain, render
from bot.channels.windows import Delivery, Grant, SendingWindows
from bot.clock import Clock
from bot.faults import crash_point, drill_time_scale
from bot.i18n import translator
from bot.logs import hashed_id
from bot.workers.pool import Chat, ChatPool, PoolWorker, Scan
from bot.workers.presence import Presence
from bot.workers.supervise import Outage, is_transient
from storage.models import OutboxItem
from storage.repositories import leases, outbox, sending
from storage.uow import Database

log = logging.getLogger(__name__)

MAX_BACKOFF = 300.0


def backoff(attempts: int) -> float:
    """Seconds before the next try after `attempts` failures: 1, 2, 4 ... 300, with a little jitter."""
    return min(MAX_BACKOFF, 2.0 ** max(0, attempts - 1)) * random.uniform(0.8, 1.2)


class Sender(PoolWorker):
    def __init__(
        self,
        db: Database,
        channels: ChannelRegistry,
        clock: Clock,
        *,
        presence: Presence | None = None,
        concurrency: int = 8,
        fallback_poll: float = 5.0,
        windows: SendingWindows | None = None,
    ) -> None:
        self.db, self.channels, self.clock = db, channels, clock
        self.windows = windows or SendingWindows(db, clock)
        self.presence = presence or Presence(db, clock)
        self.presence.beat_hooks.append(self.claim_channels)
        self.pool = ChatPool("sender", work=self._work_chat, scan=self._scan, concurrency=concurrency,
                             fallback_poll=fallback_poll)
        self.held: set[str] = set()  # the channels this process sends for
        self._pacers: dict[str, Pacer] = {}  # per channel
        db.work_listeners.append(self._on_new_work)

    def _on_new_work(self, work: set[tuple[str, str, str]]) -> None:
        for kind, channel, chat in work:
            if kind == "out" and channel in self.held:
                self.pool.offer((channel, chat))

    async def drain(self) -> None:
        """Send everything due now (tests and one-shot commands)."""
        await self.presence.ensure()
        await self.claim_channels()
        await self.pool.drain()

    # --- which channels are ours --------------------------------------------------------------------------

    async def claim_channels(self) -> None:
        """Hold the sending of every configured channel no other live process holds (run after each beat)."""
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            # Rows for a channel no process runs would wait forever: the holder of its name fails them.
            names = {c.name for c in self.channels} | set(await outbox.pending_channels(uow.session))
            held = set()
            for name in sorted(names):  # one order in every process: two claims never deadlock
                if await leases.take(uow.session, f"send:{name}", self.presence.owner, now,
                                     self.presence.alive_since(now)):
                    held.add(name)
            await uow.commit()
        gained = held - self.held
        self.held = held
        if gained:
            self.pool.wake()

    async def _scan(self) -> Scan:
        if not self.held:
            return Scan([])
        now = self.clock.now()
        async with self.db.unit_of_work(readonly=True) as uow:
            chats = await outbox.chats_due(uow.session, now, channels=sorted(self.held))
            due = await outbox.next_due_at(uow.session, now, channels=sorted(self.held))
        return Scan(chats, (due - now).total_seconds() if due is not None else None)

    async def poll_once(self) -> int:
        """Offer every chat with a message due now; how many (tests)."""
        found = await self._scan()
        for chat in found.chats:
            self.pool.offer(chat)
        return len(found.chats)

    # --- one chat -----------------------------------------------------------------------------------------

    async def _work_chat(self, chat: Chat) -> None:
        while not self.pool.stopping and chat[0] in self.held and await self._send_next(chat):
            pass

    async def _send_next(self, chat: Chat) -> bool:
        """Send the chat's next due message (merging plain texts); False when the chat must wait."""
        name, chat_id = chat
        now = self.clock.now()
        async with self.db.unit_of_work(readonly=True) as uow:
            rows = await outbox.head_of_chat(uow.session, name, chat_id, now)
        if not rows:
            return False
        if rows[0].next_attempt_at > now:
            self.pool.offer_later(chat, (rows[0].next_attempt_at - now).total_seconds())
            return False
        try:
            channel = self.channels.get(name)
        except UnknownChannel:
            await self._finish([rows[0]], SendResult.final(f"channel {name} is not configured"))
            return True
        try:
            group, message = self._group(rows, channel.capabilities.max_text)
        except Exception as exc:  # an unreadable payload: counted, so it ends `failed`
            await self._finish([rows[0]], SendResult.retry(type(exc).__name__),
                               max_attempts=channel.rules.max_attempts)
            return True
        if message.edit is not None and message.edit.startswith(EDIT_OF_ROW):
            message = await self._edit_target(message)
        held = await self.windows.held_note(name, chat_id, group)
        if held is not None:
            t = translator(held.language)
            note = t(held.key, written=t.moment(held.written, self.windows.tz), **held.params)
            noted = f"{note}\n\n{message.text}"  # a card that is its photo's caption stays one message
            message = replace(message, text=noted, caption=noted if message.caption == message.text else message.caption)
        rendered = render(message, channel.capabilities)
        rendered.call_back = any(r.purpose in CALL_BACK_PURPOSES for r in group)
        parts = self._parts(rendered)
        done = int(group[0].payload.get("_sent_parts", 0)) if len(group) == 1 else 0
        # Inside the reply window, on the proactive quota, or held: a hold is final for this attempt.
        grant = await self.windows.admit(name, channel.rules, chat_id, group, len(parts) - done)
        if grant.delivery is Delivery.HELD:
            await self._finish(group, SendResult.held(grant.reason or "held"))
            return True
        result = SendResult.sent()
        sent = 0
        for index in range(done, len(parts)):
            await self.presence.ensure()  # a send never outlives our hold on the channel
            if name not in self.held:
                return False
            await self._pace(name, chat_id, channel.rules)
            try:
                result = await channel.send(chat_id, parts[index])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # whatever `send` did not classify still counts as an attempt
                log.warning("send on %s raised %s", name, type(exc).__name__)
                result = SendResult.retry(type(exc).__name__)
            crash_point("after_send")
            if result.outcome is not SendOutcome.SENT:
                break
            sent += 1
            if index < len(parts) - 1:
                await self._note_part(group[0], index + 1)
        await self._finish_surely(group, result, max_attempts=channel.rules.max_attempts,
                                  settle=(chat, grant, sent))
        log.debug("%s chat %s: %d of %d part(s) sent (%s)", name, hashed_id(chat_id), sent, len(parts) - done,
                  result.outcome.name.lower())  # a keyed hash: one chat can be followed, not named
        crash_point("after_mark")
        # More rows were read than went out, or this one must be tried again: look again. Rows written since
        # the read were offered to the pool, which brings the chat back; no need to read for them now.
        return len(rows) > len(group) or result.outcome is SendOutcome.RETRY

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

    async def _edit_target(self, message: Outbound) -> Outbound:
        """An edit of a message that was still waiting when the edit was written: the chat's order has sent it
        by now, so its platform id is known; if it never went out, only the edit's first line goes, as a notice."""
        async with self.db.unit_of_work(readonly=True) as uow:
            sent = await outbox.message_id_of(uow.session, int(str(message.edit).removeprefix(EDIT_OF_ROW)))
        if sent is not None:
            return replace(message, edit=sent)
        return replace(message, text=message.text.split("\n\n", 1)[0], caption=None, edit=None)

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
                call_back=rendered.call_back and i == 0,  # one call back a message, not one a part
                request=rendered.request if i == last else None,
                request_label=rendered.request_label if i == last else None,
                edit=rendered.edit if i == 0 else None,
            )
            for i, text in enumerate(rendered.texts)
        ]

    async def _pace(self, name: str, chat_id: str, rules: SendingRules) -> None:
        pacer = self._pacers.get(name)
        if pacer is None:
            scale = drill_time_scale()
            pacer = self._pacers[name] = Pacer(rules.overall_per_second * scale, rules.overall_burst,
                                               rules.chat_per_second * scale, rules.chat_burst)
        await pacer.turn(chat_id)

    async def _note_part(self, row: OutboxItem, sent_parts: int) -> None:
        async with self.db.unit_of_work() as uow:
            item = await uow.session.get(OutboxItem, row.id)
            if item is not None:
                item.payload = {**item.payload, "_sent_parts": sent_parts}
            await uow.commit()

    async def _finish_surely(self, group: list[OutboxItem], result: SendResult, **how: Any) -> None:
        """Write down what the platform answered even if the database is away for a while: a message that
        went out and lost its "sent" mark to an outage would go out again once the database is back."""
        outage = Outage("sender: recording a send", log)
        while True:
            try:
                await self._finish(group, result, **how)
                outage.ok()
                return
            except Exception as exc:
                if not is_transient(exc) or self.pool.stopping:
                    raise
                await asyncio.sleep(min(1.0, outage.failed(exc)))

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
                await outbox.redact_secrets(s, ids, now)  # a PIN shown once is not kept readable (issue 11)
                outcome = "sent"
            elif result.outcome is SendOutcome.HELD:
                await sending.mark_held(s, ids, now, result.reason)
                outcome = "held"
            elif result.outcome is SendOutcome.FINAL or group[0].attempts + 1 >= max_attempts:
                log.warning("outbox %s failed for good: %s", ids, result.reason)
                await outbox.mark_status(s, ids, "failed", result.reason)
                outcome = "failed"
            else:
                delay = result.retry_after if result.retry_after is not None else backoff(group[0].attempts + 1)
                await outbox.mark_retry(s, ids, now + timedelta(seconds=delay), result.reason or "retry")
                outcome = "retry"
            await uow.commit()
        channel = group[0].channel
        metrics.send_result(channel, outcome, len(ids))
        if result.retry_after is not None:
            metrics.rate_limited(channel)

