"""The routing table: which part of the bot takes a turn, asked in order.

A route claims a turn (`claims`, which reads and never changes anything) and then handles it (`handle`); the
first route that claims a turn takes it. A middleware stands between two parts of the table: it may answer the
turn itself or pass it on to the routes after it (`then`). A route may hold a sub-table (the officials' chat),
printed below it by `tiepdan routes`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from handlers.base import Turn

Claims = Callable[[Turn], Awaitable[bool]]
Handle = Callable[[Turn], Awaitable[None]]
Then = Callable[[Turn], Awaitable[None]]


@dataclass(frozen=True)
class Route:
    name: str
    what: str  # one line for `tiepdan routes`
    claims: Claims
    handle: Handle
    sub: Sequence[Route | Middleware] = field(default=())
    commands: Sequence[str] = field(default=())  # the commands a command route knows, for the listing


@dataclass(frozen=True)
class Middleware:
    name: str
    what: str
    around: Callable[[Turn, Then], Awaitable[None]]


Entry = Route | Middleware


async def always(_turn: Turn) -> bool:
    return True


class RoutingTable:
    """An ordered table of routes and middlewares; `take` runs the first that claims the turn."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        names = [entry.name for entry in entries]
        if len(set(names)) != len(names):
            raise ValueError(f"route names repeat: {names}")
        self.entries = tuple(entries)

    async def take(self, turn: Turn) -> bool:
        """Route the turn; False when no route claimed it."""
        return await self._from(0, turn)

    async def claims_any(self, turn: Turn) -> bool:
        """Whether a route of this table claims the turn (a table of routes only, as a sub-table)."""
        for entry in self.entries:
            if isinstance(entry, Middleware):
                raise TypeError("a table with a middleware cannot say in advance whether it claims a turn")
            if await entry.claims(turn):
                return True
        return False

    async def take_turn(self, turn: Turn) -> None:
        """`take` as a route's handler (a sub-table)."""
        await self._from(0, turn)

    async def _from(self, index: int, turn: Turn) -> bool:
        for position in range(index, len(self.entries)):
            entry = self.entries[position]
            if isinstance(entry, Middleware):
                async def then(passed: Turn, after: int = position + 1) -> None:
                    await self._from(after, passed)

                await entry.around(turn, then)
                return True
            if await entry.claims(turn):
                await entry.handle(turn)
                return True
        return False

    def describe(self, indent: str = "") -> list[str]:
        """The table as `tiepdan routes` prints it: one line an entry, in order, sub-tables indented."""
        lines: list[str] = []
        for number, entry in enumerate(self.entries, 1):
            kind = "middleware" if isinstance(entry, Middleware) else "route"
            lines.append(f"{indent}{number:>2}. {entry.name} ({kind}): {entry.what}")
            if isinstance(entry, Route):
                if entry.commands:
                    lines.append(f"{indent}      {' '.join(entry.commands)}")
                if entry.sub:
                    lines.extend(RoutingTable(entry.sub).describe(indent + "      "))
        return lines
