"""The bad-day drills print one table of their figures at the end of the run."""

from __future__ import annotations

import pytest

from tests.support import soak


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    table = soak.table()
    if table:
        terminalreporter.write_sep("=", f"bad-day figures (TIEPDAN_SOAK_SCALE={soak.SCALE})")
        terminalreporter.write_line(table)
