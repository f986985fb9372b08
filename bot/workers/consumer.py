"""The consumer: each chat's inbox rows, in order, one worker per chat across processes.

For one row, in ONE transaction: hold the chat (a lease that lives with this process's heartbeat), map the row
to an Inbound, load the chat's state, run the flow, save the state, write the replies to the outbox, mark the
row done, and give the chat back when it has no other row. A crash anywhere leaves the row `new` (and the
work uncommitted), so the next worker does it again from the start.

The steps of chats ready together share that transaction (group commit, bot.workers.group_commit): one
BEGIN/COMMIT for up to `group_commit` chats, each chat's part in its own savepoint, so a flow that fails undoes
only its chat's part.

A database or connection error is no attempt: the chat comes back after a back-off. An error in the flow
is an attempt; attempts are spaced (1 s, then 10 s) while the chat's later rows wait behind, and only the last
failure tells the citizen. A row that failed for good is listed by `tiepdan inbox failed`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import metrics
from bot.clock import Clock
from bot.faults import crash_point
from bot.logs import hashed_id
from bot.workers.group_commit import GroupCommit
from bot.workers.pool import Chat, ChatPool, PoolWorker, Scan
from bot.workers.presence import Presence
from bot.workers.supervise import is_transient
from storage.models import InboxItem
from storage.repositories import inbox, leases
from storage.uow import Database, UnitOfWork

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
GROUP_COMMIT_CHATS = 8  # chats' steps at most in one transaction (1: a transaction per step)
RETRY_SPACING = (1.0, 10.0)  # seconds after the first and the second failed attempt
ProcessRow = Callable[[UnitOfWork, InboxItem], Awaitable[None]]
OnFailure = Callable[[UnitOfWork, InboxItem], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Step:
    """What one chat's step in a group commit came to."""

    row_id: int | None = None  # None: nothing for us now (no row due, or another process holds the chat)
    more: bool = False  # another row of the chat follows
    received_at: datetime | None = None
    failure: str | None = None  # the flow failed: its part was undone, the attempt is still to be counted
    again: bool = False  # undone for a reason that is not the flow's (a deadlock): ask again at once


def lost_a_race(exc: BaseException) -> bool:
    """PostgreSQL chose this transaction's part as a deadlock's (or a serialization conflict's) victim."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in ("40P01", "40001")


class Consumer(PoolWorker):
    def __init__(self, db: Database, process: ProcessRow, on_failure: OnFailure, clock: Clock, *,
                 presence: Presence | None = None, concurrency: int = 8, fallback_poll: float = 5.0,
                 group_commit: int = GROUP_COMMIT_CHATS) -> None:
        self.db, self.clock = db, clock
        self._process, self._on_failure = process, on_failure
        self.presence = presence or Presence(db, clock)
        self.pool = ChatPool("consumer", work=self._work_chat, scan=self._scan, concurrency=concurrency,
                             fallback_poll=fallback_poll)
        # SQLite has one writer, so one batch at a time; PostgreSQL runs as many as the workers fill.
        parallel = 1 if db.sqlite else max(1, -(-concurrency // group_commit))
        self.group_commit: GroupCommit[Chat, Step] = GroupCommit(
            self._steps, size=group_commit, parallel=parallel, split=lambda exc: not is_transient(exc))
        db.work_listeners.append(self._on_new_work)

    def _on_new_work(self, work: set[tuple[str, str, str]]) -> None:
        for kind, channel, chat in work:
            if kind == "in":
                self.pool.offer((channel, chat))

    def offer(self, chat: Chat) -> None:
        self.pool.offer(chat)

    async def drain(self) -> None:
        """Process everything pending now (tests and one-shot commands)."""
        await self.presence.ensure()
        await self.pool.drain()

    async def _scan(self) -> Scan:
        now = self.clock.now()
        async with self.db.unit_of_work(readonly=True) as uow:
            chats = await inbox.chats_with_work(uow.session, now)
            retry = await inbox.next_retry_at(uow.session)
        due_in = (retry - now).total_seconds() if retry is not None and retry > now else None
        return Scan(chats, due_in)

    @staticmethod
    def _lease(chat: Chat) -> str:
        return f"in:{chat[0]}:{chat[1]}"

    async def _work_chat(self, chat: Chat) -> None:
        while not self.pool.stopping and await self._one(chat):
            pass

    async def _one(self, chat: Chat) -> bool:
        """Handle the chat's next row; False when the chat has nothing more for us now."""
        step = await self.group_commit.ask(chat)
        if step.row_id is None:
            return step.again
        if step.failure is not None:
            return await self._attempt_failed(chat, step.row_id, step.failure)
        crash_point("after_flow_commit")
        log.debug("%s chat %s: update %s handled", chat[0], hashed_id(chat[1]), step.row_id)
        if step.received_at is not None:
            metrics.update_processed(chat[0], (self.clock.now() - step.received_at).total_seconds())
        return step.more

    async def _steps(self, chats: list[Chat]) -> list[Step]:
        """One transaction for the next row of each of `chats` (see bot.workers.group_commit).

        Each chat's part runs in its own savepoint: a flow that fails undoes its own part only, and the others
        commit. The replies the flows wrote reach the sender once the unit has committed (storage.uow).
        """
        now = self.clock.now()
        steps = {chat: Step() for chat in chats}
        async with self.db.unit_of_work() as uow:
            session = uow.session
            # The leases first, always in the same order: two processes' batches never wait for each other's
            # leases in a cycle.
            rows: dict[Chat, tuple[InboxItem, bool]] = {}
            for chat in sorted(chats):
                if not await leases.take(session, self._lease(chat), self.presence.owner, now,
                                         self.presence.alive_since(now)):
                    continue  # another live process works this chat; it hears of the new row too
                row, more = await inbox.next_for_chat(session, chat[0], chat[1], now)
                if row is None:
                    await leases.release(session, self._lease(chat), self.presence.owner)
                else:
                    rows[chat] = (row, more)
            done = 0
            for chat in chats:
                if chat in rows:
                    steps[chat] = await self._step(uow, chat, *rows[chat])
                    done += steps[chat].failure is None and not steps[chat].again
            if done > 1:
                crash_point("in_group_commit")
            await uow.commit()
            if done > 1:
                crash_point("after_group_commit")  # committed, the replies not yet handed to the sender
        if done:
            metrics.group_committed(done)
        return [steps[chat] for chat in chats]

    async def _step(self, uow: UnitOfWork, chat: Chat, row: InboxItem, more: bool) -> Step:
        """One chat's part of a group commit, in its own savepoint."""
        row_id, received_at = row.id, row.received_at
        part = await uow.savepoint()
        try:
            await self._process(uow, row)
            await inbox.mark(uow.session, row_id, "done", self.clock.now())
            if not more:  # a row stored meanwhile is offered to the pool again, which brings us back
                await leases.release(uow.session, self._lease(chat), self.presence.owner)
            await part.release()
        except Exception as exc:
            if is_transient(exc):
                raise  # the whole batch is tried again later: nothing of it is committed
            await part.rollback()
            if lost_a_race(exc):  # a deadlock with another transaction: not the flow's fault, go again
                log.info("update %s of %s lost a lock race; again", row_id, chat[0])
                return Step(again=True)
            log.warning("update %s of %s failed in the flow: %s", row_id, chat[0], type(exc).__name__,
                        exc_info=True)
            return Step(row_id, failure=f"{type(exc).__name__}: {exc}")
        return Step(row_id, more, received_at)

    async def _attempt_failed(self, chat: Chat, row_id: int, error: str) -> bool:
        """Count the attempt; True when the row failed for good (the chat goes on with its next row)."""
        async with self.db.unit_of_work() as uow:
            attempts = await inbox.record_failure(uow.session, row_id, error)
            final = attempts >= MAX_ATTEMPTS
            if final:
                row = await uow.session.get(InboxItem, row_id)
                if row is not None:
                    await self._on_failure(uow, row)
                await inbox.mark(uow.session, row_id, "failed", self.clock.now(), error[:2000])
            else:
                delay = RETRY_SPACING[min(attempts, len(RETRY_SPACING)) - 1]
                await inbox.retry_at(uow.session, row_id, self.clock.now() + timedelta(seconds=delay))
                await leases.release(uow.session, self._lease(chat), self.presence.owner)
            await uow.commit()
        if final:
            metrics.update_processed(chat[0], 0.0, ok=False)
        else:
            self.pool.offer_later(chat, RETRY_SPACING[min(attempts, len(RETRY_SPACING)) - 1])
        return final
