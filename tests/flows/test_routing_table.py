"""The routing table: its order is the bot's behaviour, and `tiepdan routes` prints it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from handlers import build_router
from handlers.routing import Middleware, Route, RoutingTable, always


def test_the_table_is_in_the_order_the_bot_asks() -> None:
    names = [entry.name for entry in build_router().table.entries]
    assert names == [
        "acknowledge", "digest", "announcement reply",  # intercepts: answers to messages sent from elsewhere
        "officials", "former official",
        "start", "language before consent", "consent",  # the citizen's way in
        "case choice", "answer follow-up", "answer to an official",  # answers about their cases first
        "commands", "current flow", "menu",
    ]
    officials = next(e for e in build_router().table.entries if e.name == "officials")
    assert isinstance(officials, Route)
    assert [e.name for e in officials.sub] == ["invite code", "linking", "official's chat"]


def test_the_command_prints_every_route_and_command() -> None:
    printed = subprocess.run([sys.executable, "-m", "bot", "routes"], capture_output=True, text=True, check=True,
                             timeout=120).stdout
    lines = printed.splitlines()
    assert lines[0].startswith(" 1. acknowledge (route):")
    assert any("consent (middleware)" in line for line in lines)
    assert any("/report" in line and "/privacy" in line for line in lines)  # the citizens' commands
    assert any("/queue" in line and "/record" in line for line in lines)  # the officials', under their route
    assert lines[-1].endswith("otherwise, the menu")


async def _never(_turn: object) -> bool:
    return False


async def test_a_middleware_answers_or_passes_on() -> None:
    seen: list[str] = []

    async def gate(turn: object, then) -> None:  # type: ignore[no-untyped-def]
        seen.append("gate")
        if turn == "pass":
            await then(turn)

    async def record(turn: object) -> None:
        seen.append(f"route {turn}")

    table = RoutingTable([Route("never", "", _never, record), Middleware("gate", "", gate),
                          Route("last", "", always, record)])
    assert await table.take("stop")  # type: ignore[arg-type]
    assert seen == ["gate"]
    assert await table.take("pass")  # type: ignore[arg-type]
    assert seen == ["gate", "gate", "route pass"]


def test_route_names_are_unique() -> None:
    with pytest.raises(ValueError, match="repeat"):
        RoutingTable([Route("a", "", always, _never), Route("a", "", always, _never)])  # type: ignore[arg-type]
