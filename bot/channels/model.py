"""The neutral message model: what flows read (Inbound) and write (Outbound), and what channels declare."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any


class InboundKind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"  # a button press; `choice` holds the untrusted key
    PHOTO = "photo"
    VOICE = "voice"
    DOCUMENT = "document"
    LOCATION = "location"
    CONTACT = "contact"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True, slots=True)
class MediaRef:
    """A file still on the platform (fetched later by a job) or already in hand (`content`)."""

    kind: str  # photo | voice | document
    ref: str
    mime: str | None = None
    size: int | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        _check(self, ("kind", "ref"), ("mime", "name"))
        if self.size is not None and (isinstance(self.size, bool) or not isinstance(self.size, int)):
            raise TypeError("MediaRef.size must be an integer")


def _check(record: Any, required: tuple[str, ...], optional: tuple[str, ...]) -> None:
    """A platform payload of the wrong shape (a list where a text belongs) stops at the edge, not in a flow."""
    for name in required:
        if not isinstance(getattr(record, name), str):
            raise TypeError(f"{type(record).__name__}.{name} must be a string")
    for name in optional:
        value = getattr(record, name)
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{type(record).__name__}.{name} must be a string or nothing")


@dataclass(frozen=True, slots=True)
class Inbound:
    channel: str
    chat_id: str
    user_id: str
    kind: InboundKind
    text: str = ""
    choice: str | None = None
    media: tuple[MediaRef, ...] = ()
    lat: float | None = None
    lon: float | None = None
    phone: str | None = None
    language: str | None = None
    display_name: str | None = None
    message_id: str | None = None
    origin: str | None = None  # web: a keyed hash of the sender's address, for per-address limits

    def __post_init__(self) -> None:
        _check(self, ("channel", "chat_id", "user_id", "text"),
               ("choice", "phone", "language", "display_name", "message_id"))
        # A NUL character is nothing a person types, and PostgreSQL cannot store it in text: dropped here, once
        # for every channel, so a forged one cannot fail the citizen's step again and again.
        for name in ("text", "choice", "phone", "display_name"):
            value = getattr(self, name)
            if value is not None and "\x00" in value:
                object.__setattr__(self, name, value.replace("\x00", ""))
        for name in ("lat", "lon"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                      or not math.isfinite(value)):
                raise TypeError(f"Inbound.{name} must be a finite number")
        if not all(isinstance(m, MediaRef) for m in self.media):
            raise TypeError("Inbound.media holds MediaRef records")

    @property
    def command(self) -> str | None:
        """`/my@TiepDanBot extra` -> `/my`; None when the text is not a command."""
        if self.kind is not InboundKind.TEXT or not self.text.startswith("/"):
            return None
        return self.text.split(maxsplit=1)[0].split("@", 1)[0].lower()

    @property
    def argument(self) -> str:
        parts = self.text.split(maxsplit=1)
        return parts[1].strip() if self.command and len(parts) > 1 else ""


@dataclass(frozen=True, slots=True)
class Choice:
    key: str  # short and ASCII: it travels as callback data (64 bytes on Telegram)
    label: str


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message: text plus optional choices, media and a request for the user's location or phone."""

    text: str
    choices: tuple[Choice, ...] = ()
    attachment_ids: tuple[int, ...] = ()
    request: str | None = None  # location | contact
    request_label: str | None = None
    # Values shown once (a PIN, a signed link): masked in the stored copies once sent (outbox, transcripts).
    secrets: tuple[str, ...] = ()
    caption: str | None = None  # words on the first attachment itself, where the channel has captions
    # The platform id of a message this one rewrites in place (a card another officer took: words replaced,
    # buttons gone), where the channel can edit; elsewhere it goes as a new message.
    edit: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["choices"] = [[c.key, c.label] for c in self.choices]
        data["attachment_ids"] = list(self.attachment_ids)
        if self.secrets:
            data["secrets"] = list(self.secrets)
        else:
            del data["secrets"]
        if self.edit is None:
            del data["edit"]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outbound:
        return cls(
            text=data.get("text", ""),
            choices=tuple(Choice(k, label) for k, label in data.get("choices", [])),
            attachment_ids=tuple(data.get("attachment_ids", [])),
            request=data.get("request"),
            request_label=data.get("request_label"),
            secrets=tuple(data.get("secrets", ())),
            caption=data.get("caption"),
            edit=data.get("edit"),
        )

    @property
    def is_plain_text(self) -> bool:
        return not self.choices and not self.attachment_ids and self.request is None and self.edit is None


@dataclass(frozen=True, slots=True)
class Capabilities:
    buttons: bool = False
    edits: bool = False
    photos: bool = True
    location_request: bool = False
    contact_request: bool = False
    max_text: int = 2000
    max_buttons: int = 8


@dataclass(frozen=True, slots=True)
class SendingRules:
    """What a platform allows; the sender obeys it."""

    overall_per_second: float = 30.0
    # Small on purpose: sends in flight arrive bunched by a few hundred ms on a busy machine, and a platform
    # counting arrivals sees a burst of 30 plus that bunching as more than its limit.
    overall_burst: int = 3
    chat_burst: int = 3
    chat_per_second: float = 1.0
    reply_window: timedelta | None = None  # None: the bot may write at any time
    replies_per_window: int | None = None
    proactive_quota: int | None = None  # per month; None = unlimited, 0 = none
    quota_reserve: int = 0  # of it, kept for officials' deadline notices: optional messages leave it alone
    max_attempts: int = 8


class SendOutcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # transient: 429, 5xx, timeout
    FINAL = "final"  # the platform refused for good (bad request, blocked by the user)
    HELD = "held"  # the window is closed or the quota spent: wait until the citizen writes again


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: SendOutcome
    message_id: str | None = None
    retry_after: float | None = None
    reason: str | None = None

    @classmethod
    def sent(cls, message_id: str | None = None) -> SendResult:
        return cls(SendOutcome.SENT, message_id=message_id)

    @classmethod
    def retry(cls, reason: str, after: float | None = None) -> SendResult:
        return cls(SendOutcome.RETRY, retry_after=after, reason=reason)

    @classmethod
    def final(cls, reason: str) -> SendResult:
        return cls(SendOutcome.FINAL, reason=reason)

    @classmethod
    def held(cls, reason: str) -> SendResult:
        return cls(SendOutcome.HELD, reason=reason)


# An edit whose target had not gone out when it was written names the outbox row ("row:42"); the sender reads
# the platform's id of that message when the edit's turn comes (the chat's order sends the target first).
EDIT_OF_ROW = "row:"
CALL_BACK_PURPOSES = frozenset({"question", "answer"})  # outbox purposes a citizen is called back for


@dataclass(slots=True)
class Rendered:
    """An Outbound shaped for one channel: texts split to its limit, choices as buttons or numbers."""

    texts: list[str]
    buttons: list[Choice] = field(default_factory=list)
    attachment_ids: list[int] = field(default_factory=list)
    request: str | None = None
    request_label: str | None = None
    caption: str | None = None
    edit: str | None = None  # the platform message this one rewrites (channels that can edit)
    # An official's question or answer: a citizen whose page is closed is called back for it (Web Push).
    call_back: bool = False
