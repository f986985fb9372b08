"""Pieces the report flow's steps share: what the citizen sent, how a step's answer turned out, notes.

The report flow (handlers/report.py) asks one question per step; its steps live in small modules (where,
complaint, denunciation, evidence), each with an `ask_*` that says the question and an `on_*` that reads the
answer and returns an Answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

from bot.channels.model import Inbound, InboundKind, MediaRef, Outbound
from bot.domain.cases import MAX_DESCRIPTION
from bot.domain.intake import TooLong, add_words
from bot.services.drafts import OpenDraft
from handlers.base import Turn

FLOW = "report"


class Outcome(Enum):
    MOVED = "moved"  # the answer was taken: ask whatever the draft lacks next
    STAY = "stay"  # the step said what it had to; stay on it
    DONE = "done"  # the draft is gone (sent or discarded): nothing left to save


@dataclass(frozen=True, slots=True)
class NotAnAnswer:
    """The message does not answer the question; `hint` (said before asking again) tells the citizen why."""

    hint: str | None = None


Answer = Outcome | NotAnAnswer


@dataclass(frozen=True, slots=True)
class Content:
    """Something the citizen sent that belongs in a case; JSON-able, so it can wait in the chat's state."""

    kind: str  # text | photo | voice | document | location | contact | unsupported
    text: str = ""
    media: tuple[MediaRef, ...] = ()
    lat: float | None = None
    lon: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "lat": self.lat, "lon": self.lon,
                "media": [[m.kind, m.ref, m.mime, m.size, m.name] for m in self.media]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Content:
        return cls(data["kind"], data.get("text", ""), tuple(MediaRef(*m) for m in data.get("media", [])),
                   data.get("lat"), data.get("lon"))


_MEDIA_KINDS = {InboundKind.PHOTO: "photo", InboundKind.VOICE: "voice", InboundKind.DOCUMENT: "document"}


def content_of(inbound: Inbound) -> Content | None:
    """The content of a message; None for a button press or a command. A shared phone number is never kept."""
    kind = inbound.kind
    if kind is InboundKind.TEXT:
        return None if inbound.command or not inbound.text.strip() else Content("text", inbound.text.strip())
    if kind in _MEDIA_KINDS:
        return Content(_MEDIA_KINDS[kind], inbound.text.strip(), inbound.media)
    if kind is InboundKind.LOCATION and inbound.lat is not None and inbound.lon is not None:
        return Content("location", lat=inbound.lat, lon=inbound.lon)
    if kind is InboundKind.CONTACT:
        return Content("contact")
    if kind is InboundKind.CHOICE:
        return None
    return Content("unsupported")


def keep_words(turn: Turn, draft: OpenDraft, words: str, *, into: str | None = None) -> bool | None:
    """Add words to the draft: True when they continued the last message, None when refused as too long."""
    try:
        return add_words(draft.facts, words, turn.now, into=into)
    except TooLong as exc:
        turn.say(turn.t("report.too_long", length=exc.length, limit=MAX_DESCRIPTION))
        return None


def local_today(turn: Turn) -> date:
    return turn.now.astimezone(turn.services.app.tz).date()


def day_words(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def compact(turn: Turn, start: int) -> None:
    """Fold the short notes said during a step into the question that follows them: one message, not three.

    Only while the report flow goes on: a receipt or a farewell stays a message of its own.
    """
    if turn.state.flow != FLOW:
        return
    replies = turn.replies[start:]
    folded: list[Outbound] = []
    notes: list[str] = []
    for message in replies:
        if message.is_plain_text:
            notes.append(message.text)
            continue
        if notes and not message.attachment_ids:
            message = Outbound("\n\n".join([*notes, message.text]), message.choices, message.attachment_ids,
                               message.request, message.request_label)
        elif notes:
            folded.append(Outbound("\n\n".join(notes)))
        notes = []
        folded.append(message)
    if notes:
        folded.append(Outbound("\n\n".join(notes)))
    turn.replies[start:] = folded
