"""The unit of work: one transaction, rolled back unless committed; hooks run only after a commit.

Writers of queued work (an inbox row, an outbox row) note the chat on the session (`note_work`); once the unit
commits, the database's work listeners hear of those chats at once, so the workers in this process pick them up
without polling, and `before_commit` (PostgreSQL's NOTIFY) tells the other processes in the same transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from functools import cached_property
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, AsyncSessionTransaction, async_sessionmaker

from storage.db import create_engine, is_sqlite
from storage.repositories.cases import CaseRepository
from storage.repositories.conversations import ConversationRepository
from storage.repositories.officials import OfficialRepository

NEW_WORK = "tiepdan.new_work"
Work = tuple[str, str, str]  # ("in" | "out", channel, chat)
WorkListener = Callable[[set[Work]], None]
BeforeCommit = Callable[[AsyncSession, set[Work]], Awaitable[None]]


def note_work(session: AsyncSession, kind: str, channel: str, chat: str) -> None:
    """Record that this transaction queued work for a chat (told to the workers once it commits)."""
    session.info.setdefault(NEW_WORK, set()).add((kind, channel, chat))


class Database:
    """The engine plus a session factory; the one object that knows which database we are on."""

    def __init__(self, url: str, *, pool_size: int = 5) -> None:
        self.url = url
        self.engine: AsyncEngine = create_engine(url, pool_size=pool_size)
        self.sqlite = is_sqlite(url)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        self.work_listeners: list[WorkListener] = []
        self.before_commit: BeforeCommit | None = None
        # SQLite has one writer: this process's writers queue here, in memory, instead of in SQLite's busy
        # handler, which sleeps and polls (up to 100 ms a try) and so turns a queue of writers into latency.
        self.writer = WriterTurn() if self.sqlite else None

    def unit_of_work(self, *, readonly: bool = False) -> UnitOfWork:
        return UnitOfWork(self._sessions, readonly=readonly, database=self)

    def new_work(self, work: set[Work]) -> None:
        for listener in self.work_listeners:
            listener(work)

    async def dispose(self) -> None:
        await self.engine.dispose()


class WriterTurn:
    """A lock that the task holding it may take again (a unit opened inside another in the same task)."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._holder: asyncio.Task[object] | None = None
        self._depth = 0

    async def acquire(self) -> None:
        task = asyncio.current_task()
        if self._holder is task and task is not None:
            self._depth += 1
            return
        await self._lock.acquire()
        self._holder, self._depth = task, 1

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._holder = None
            self._lock.release()


class UnitOfWork:
    def __init__(self, factory: async_sessionmaker[AsyncSession], *, readonly: bool,
                 database: Database | None = None) -> None:
        self._factory = factory
        self._readonly = readonly
        self._database = database
        self._after_commit: list[Callable[[], None]] = []
        self._committed = False
        self._work: set[Work] = set()
        self._writer: WriterTurn | None = None
        self.session: AsyncSession

    async def __aenter__(self) -> UnitOfWork:
        writer = None if self._readonly or self._database is None else self._database.writer
        if writer is not None:
            await writer.acquire()
        self._writer = writer
        try:
            self.session = self._factory()
            if self._readonly:
                await self.session.connection(execution_options={"readonly": True})
        except BaseException:
            # The connection may be checked out already: give it back, or the pool loses it to the collector.
            with contextlib.suppress(Exception):
                await self.session.close()
            if writer is not None:
                writer.release()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # close() rolls back whatever was not committed; unlike rollback() it leaves the rows read so far
        # readable (detached), which the sender relies on after a read-only unit.
        try:
            await self.session.close()
        finally:
            if self._writer is not None:
                self._writer.release()
        if self._committed:
            if self._work and self._database is not None:
                self._database.new_work(self._work)
            for hook in self._after_commit:
                hook()

    async def commit(self) -> None:
        work: set[Work] = self.session.info.pop(NEW_WORK, set())
        if work and self._database is not None and self._database.before_commit is not None:
            await self._database.before_commit(self.session, work)
        await self.session.commit()
        self._work |= work
        self._committed = True

    async def rollback(self) -> None:
        """Undo everything so far, including the work noted (the unit may go on and commit other work)."""
        await self.session.rollback()
        self.session.info.pop(NEW_WORK, None)

    # The case model's repositories over this unit's session (built when first asked for).
    @cached_property
    def cases(self) -> CaseRepository:
        return CaseRepository(self.session)

    @cached_property
    def officials(self) -> OfficialRepository:
        return OfficialRepository(self.session)

    @cached_property
    def conversations(self) -> ConversationRepository:
        return ConversationRepository(self.session)

    def after_commit(self, hook: Callable[[], None]) -> None:
        """Run `hook` once this unit commits (e.g. wake the sender); never if it rolls back."""
        self._after_commit.append(hook)

    async def savepoint(self) -> Savepoint:
        """A part of this unit that can be undone alone (SAVEPOINT), with the work and hooks it noted."""
        work = set(self.session.info.get(NEW_WORK, ()))
        return Savepoint(self, await self.session.begin_nested(), work, len(self._after_commit))


class Savepoint:
    """One part of a unit of work: `release` keeps it in the unit, `rollback` undoes it and only it."""

    def __init__(self, unit: UnitOfWork, nested: AsyncSessionTransaction, work: set[Work], hooks: int) -> None:
        self._unit, self._nested, self._work, self._hooks = unit, nested, work, hooks

    async def release(self) -> None:
        await self._nested.commit()  # writes the part's pending changes first: a failing one fails here

    async def rollback(self) -> None:
        # Also after a failed flush (here or in `release`): SQLAlchemy then waits for this rollback.
        await self._nested.rollback()
        self._unit.session.info[NEW_WORK] = set(self._work)
        del self._unit._after_commit[self._hooks:]
