"""The unit of work: one transaction, rolled back unless committed; hooks run only after a commit."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.db import create_engine, is_sqlite


class Database:
    """The engine plus a session factory; the one object that knows which database we are on."""

    def __init__(self, url: str, *, pool_size: int = 5) -> None:
        self.url = url
        self.engine: AsyncEngine = create_engine(url, pool_size=pool_size)
        self.sqlite = is_sqlite(url)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=True)

    def unit_of_work(self, *, readonly: bool = False) -> UnitOfWork:
        return UnitOfWork(self._sessions, readonly=readonly)

    async def dispose(self) -> None:
        await self.engine.dispose()


class UnitOfWork:
    def __init__(self, factory: async_sessionmaker[AsyncSession], *, readonly: bool) -> None:
        self._factory = factory
        self._readonly = readonly
        self._after_commit: list[Callable[[], None]] = []
        self._committed = False
        self.session: AsyncSession

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._factory()
        if self._readonly:
            await self.session.connection(execution_options={"readonly": True})
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # close() rolls back whatever was not committed; unlike rollback() it leaves the rows read so far
        # readable (detached), which the dispatcher relies on after a read-only unit.
        await self.session.close()
        if self._committed:
            for hook in self._after_commit:
                hook()

    async def commit(self) -> None:
        await self.session.commit()
        self._committed = True

    def after_commit(self, hook: Callable[[], None]) -> None:
        """Run `hook` once this unit commits (e.g. wake the dispatcher); never if it rolls back."""
        self._after_commit.append(hook)
