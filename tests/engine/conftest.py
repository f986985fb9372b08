"""The bad-day drills: a private PostgreSQL cluster to stop and start, and one table of figures at the end."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest

from tests.conftest import _prepare
from tests.support import private_postgres as pg
from tests.support import soak

_names = itertools.count(1)


@pytest.fixture(scope="session")
def cluster() -> Iterator[pg.PrivatePostgres]:
    """A PostgreSQL of our own on a free port (never the machine's shared server)."""
    if not pg.available():
        pytest.skip("initdb/pg_ctl are not installed")
    with pg.private_postgres() as cluster:
        yield cluster


@pytest.fixture
def private_db(cluster: pg.PrivatePostgres) -> Callable[[str], str]:
    """A fresh database in the private cluster, migrated, with the demo organisation: its URL."""

    def make(name: str) -> str:
        url = cluster.create_database(f"{name}_{next(_names)}")
        _prepare(url)
        return url

    return make


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    table = soak.table()
    if table:
        terminalreporter.write_sep("=", f"bad-day figures (sizes x{soak.SCALE} of the issue's, "
                                        f"platform clock x{soak.TIME_SCALE})")
        terminalreporter.write_line(table)
