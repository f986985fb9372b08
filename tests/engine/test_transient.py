"""Which errors are an outage (retried, uncounted) and which are the work's own (an attempt)."""

from __future__ import annotations

from asyncpg.exceptions import ConnectionDoesNotExistError
from sqlalchemy.exc import DBAPIError

from bot.workers.supervise import is_transient


class AdaptedDriverError(Exception):
    """Stands where SQLAlchemy's asyncpg adapter puts its own Error class between the two."""


def _raised(make) -> BaseException:
    try:
        make()
    except Exception as exc:
        return exc
    raise AssertionError("nothing raised")


def test_a_connection_lost_while_connecting_is_an_outage_however_deep_sqlalchemy_wraps_it() -> None:
    # Seen in the outage drill: a connection opened as the server shut down, wrapped twice; the sender took
    # it for a bug, gave up recording its send, and the reply went out a second time after recovery.
    def connect() -> None:
        try:
            try:
                raise ConnectionDoesNotExistError("connection was closed in the middle of operation")
            except ConnectionDoesNotExistError as driver:
                raise AdaptedDriverError(str(driver)) from driver
        except AdaptedDriverError as adapted:
            raise DBAPIError("UPDATE outbox ...", None, adapted, connection_invalidated=False) from adapted

    assert is_transient(_raised(connect))


def test_a_bug_is_not_an_outage_even_while_handling_a_network_error() -> None:
    def flow() -> None:
        try:
            raise ConnectionRefusedError("the media server is down")
        except ConnectionRefusedError:
            raise ValueError("a bug in the handler of that error") from None

    assert not is_transient(_raised(flow))

    def wrapped_bug() -> None:
        try:
            raise KeyError("step")
        except KeyError as bug:
            raise ValueError("a bug in the flow") from bug

    assert not is_transient(_raised(wrapped_bug))
