"""Supervision: a loop that meets a database or network error logs it once, backs off, and goes on.

`Outage` tracks one loop's trouble: the first failure is logged (its type, never its parameters), the next ones
are counted quietly, and the recovery is logged with how long it lasted. `supervised` restarts a loop that
dies anyway, counting the restarts, so no task of the process ends by accident.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import random
import socket
import sqlite3
import time
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError, TimeoutError

MAX_DELAY = 30.0
HEALTHY_RUN = 60.0  # seconds a restarted task must run before its next death counts as a new series
FIRST_DELAY = 0.25

try:  # asyncpg's own connection errors, when it is installed (always, with PostgreSQL)
    from asyncpg.exceptions import (
        CannotConnectNowError,
        ConnectionDoesNotExistError,
        PostgresConnectionError,
        TooManyConnectionsError,
    )
    from asyncpg.exceptions import InterfaceError as PgInterfaceError

    _PG_TRANSIENT: tuple[type[BaseException], ...] = (
        ConnectionDoesNotExistError, PgInterfaceError, PostgresConnectionError, TooManyConnectionsError,
        CannotConnectNowError,
    )
except ImportError:  # pragma: no cover
    _PG_TRANSIENT = ()

_TRANSIENT: tuple[type[BaseException], ...] = (
    OperationalError, InterfaceError, DisconnectionError, TimeoutError, ConnectionError, socket.gaierror,
    asyncio.TimeoutError, sqlite3.OperationalError, *_PG_TRANSIENT,
)
# Of the other OS errors, only a full or failing disk and an unreachable network pass by themselves; a missing
# file is a bug or lost data, and retrying it forever would block the chat.
_TRANSIENT_ERRNOS = frozenset({errno.ENOSPC, errno.EIO, errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN})


def is_transient(exc: BaseException) -> bool:
    """A database or network error that says nothing about the work itself: try again later, uncounted."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, _TRANSIENT):
        return True
    if isinstance(exc, OSError) and exc.errno in _TRANSIENT_ERRNOS:
        return True
    # SQLAlchemy wraps a lost PostgreSQL connection twice (DBAPIError from its adapter's Error from asyncpg's),
    # so the driver's error may sit a few causes down; only the driver's own connection errors count down there.
    cause = exc.__cause__ or exc.__context__
    for _ in range(4):
        if cause is None:
            return False
        if isinstance(cause, _PG_TRANSIENT):
            return True
        cause = cause.__cause__
    return False


def backoff(failures: int, *, first: float = FIRST_DELAY, cap: float = MAX_DELAY) -> float:
    """Seconds to wait after `failures` failures in a row: doubling from `first` up to `cap`, with jitter."""
    return min(cap, first * 2.0 ** max(0, failures - 1)) * random.uniform(0.8, 1.2)


class Outage:
    """One loop's run of failures: logged once when it starts and once when it ends."""

    def __init__(self, what: str, log: logging.Logger) -> None:
        self.what, self.log = what, log
        self.since: float | None = None
        self.failures = 0
        self.total = 0  # outages seen since start

    @property
    def ongoing(self) -> bool:
        return self.since is not None

    def failed(self, exc: BaseException) -> float:
        """Note a failure; the seconds to wait before the next try."""
        if self.since is None:
            self.since = time.monotonic()
            self.total += 1
            self.log.warning("%s: %s; retrying quietly until it recovers", self.what, type(exc).__name__)
        self.failures += 1
        return backoff(self.failures)

    def ok(self) -> None:
        if self.since is not None:
            self.log.warning("%s: recovered after %.1f s (%d failed tries)", self.what,
                             time.monotonic() - self.since, self.failures)
            self.since, self.failures = None, 0


async def supervised(name: str, make: Callable[[], Awaitable[None]], log: logging.Logger,
                     restarts: dict[str, int]) -> None:
    """Run `make()` until cancelled; if it returns or dies, count it and start it again after a pause."""
    failures = 0
    while True:
        started = time.monotonic()
        try:
            await make()
            return  # a loop that returns on its own has been told to stop
        except asyncio.CancelledError:
            raise
        except Exception:
            if time.monotonic() - started > HEALTHY_RUN:  # it ran well for a while: a fresh start, no long wait
                failures = 0
            failures += 1
            restarts[name] = restarts.get(name, 0) + 1
            log.exception("task %s died (restart %d)", name, restarts[name])
        await asyncio.sleep(backoff(failures))
