"""The contract between the engine and the flows: a Turn in, replies and the next state out.

A flow is a declared set of states; each step reads `turn` (the neutral inbound, the state, the resolved
choice), calls services, says things and moves to the next state. Flows never see a platform or a session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from bot.channels.model import Choice, Inbound, InboundKind, Outbound
from bot.i18n import Translator

if TYPE_CHECKING:
    from bot.services import Services

OFFERED = "_offered"  # the choices of the last question, to read "2" or a label typed back
FLOOD = "_flood"  # the chat's message count this minute (the engine's flood control); outlives flows


@dataclass(slots=True)
class State:
    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    language: str = "vi"


@dataclass(slots=True)
class Actor:
    """Who is writing: a citizen or a linked official; identity_id is the channel account."""

    identity_id: int
    citizen_id: int | None = None
    official_id: int | None = None
    consented: bool = False


@dataclass(slots=True)
class Turn:
    inbound: Inbound
    state: State
    actor: Actor
    services: Services
    now: datetime
    choice: str | None = None  # a key among the offered choices, from a button, a number or a label
    stale_choice: bool = False  # a button press for choices no longer offered (old or forged)
    replies: list[Outbound] = field(default_factory=list)
    found: dict[str, Any] = field(default_factory=dict)  # what a route's claim read, for its handler

    @property
    def t(self) -> Translator:
        return self.services.translator(self.state.language)

    @property
    def text(self) -> str:
        return self.inbound.text.strip() if self.inbound.kind is InboundKind.TEXT else ""

    def say(self, text: str, choices: list[Choice] | tuple[Choice, ...] = (), *, request: str | None = None,
            request_label: str | None = None, attachment_ids: tuple[int, ...] = (),
            secrets: tuple[str, ...] = (), caption: str | None = None) -> None:
        self.replies.append(Outbound(text=text, choices=tuple(choices), request=request,
                                     request_label=request_label, attachment_ids=attachment_ids,
                                     secrets=secrets, caption=caption))
        self.state.data[OFFERED] = [[c.key, c.label] for c in choices] if choices else []

    def goto(self, flow: str | None, step: str | None = None) -> None:
        if flow != self.state.flow:
            kept = {k: self.state.data[k] for k in (FLOOD,) if k in self.state.data}
            self.state.data = {OFFERED: self.state.data.get(OFFERED, []), **kept}
        self.state.flow, self.state.step = flow, step

    def finish(self) -> None:
        self.goto(None, None)


class DeclaredFlow:
    """A flow whose name and states stand in its class line, as python-telegram-bot's
    `ConversationHandler(states=...)` declares them: `class FollowFlow(DeclaredFlow, name="follow",
    states=("area", "residential", "topics"))`."""

    name: ClassVar[str]
    states: ClassVar[tuple[str, ...]]

    def __init_subclass__(cls, *, name: str | None = None, states: tuple[str, ...] | None = None,
                          **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if name is not None:
            cls.name = name
        if states is not None:
            cls.states = states


class Flow(Protocol):
    """One conversation: its name, its declared states (drawn in <module>.mmd), and how it moves."""

    name: ClassVar[str]
    states: ClassVar[tuple[str, ...]]

    async def begin(self, turn: Turn) -> None: ...

    async def handle(self, turn: Turn) -> None: ...
