"""The frames a web chat page sends over its socket: one pydantic discriminated union on the `type` field;
and the one JSON body it posts, its browser's push subscription (POST /chat/push).

Validation is strict (no "21.1" for a number, no true for 1) and each model says which clear answer a refused
frame gets: a validator that refuses raises an error whose type is the catalog key of the answer (`web.error.
too_long` with its length and limit, `web.error.empty`, `web.error.photo_missing`); any other mismatch (a wrong
type, a bad or missing client id, a field out of range) is `web.error.malformed`, and a type the page never
sends is `web.error.unsupported`. Unknown extra fields are ignored. Whether an attachment really belongs to the
visitor, and whether a proof solves the socket's challenge, are checked by the route (they need its state).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    StringConstraints,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from bot.domain.cases import MAX_DESCRIPTION

MAX_TEXT = MAX_DESCRIPTION  # a whole description fits in one message
MAX_LABEL = 200
MAX_KEY = 64
MAX_ENDPOINT = 1024

ClientId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]


def _refusal(key: str, **params: int) -> PydanticCustomError:
    """A refusal whose error type is the catalog key of the answer the visitor gets."""
    return PydanticCustomError(key, "refused: " + key, params)


def _message_text(value: object) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise _refusal("web.error.empty")
    if len(text) > MAX_TEXT:
        raise _refusal("web.error.too_long", length=len(text), limit=MAX_TEXT)
    return text


def _caption(value: object) -> str:
    caption = value if isinstance(value, str) else ""
    if len(caption) > MAX_TEXT:
        raise _refusal("web.error.too_long", length=len(caption), limit=MAX_TEXT)
    return caption.strip()


def _label(value: object) -> str | None:
    return value.strip()[:MAX_LABEL] if isinstance(value, str) and value.strip() else None


def _attachment(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _refusal("web.error.photo_missing")
    return value


class _Frame(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True)


class StartFrame(_Frame):
    """The first visit: the bot greets once per chat, however often the page asks."""
    type: Literal["start"]


class ProofFrame(_Frame):
    """The human check's answer (bot.web.proof judges the nonce)."""
    type: Literal["proof"]
    nonce: Any = None


class LanguageFrame(_Frame):
    """The visitor switched the page's language: the bot's replies follow."""
    type: Literal["language"]
    id: ClientId
    lang: Literal["vi", "en"]


class TextFrame(_Frame):
    type: Literal["text"]
    id: ClientId
    text: Annotated[str, BeforeValidator(_message_text)] = Field(default="", validate_default=True)


class ChoiceFrame(_Frame):
    type: Literal["choice"]
    id: ClientId
    key: Annotated[str, StringConstraints(min_length=1, max_length=MAX_KEY)]
    label: Annotated[str | None, BeforeValidator(_label)] = None  # shown in the transcript; the key if none

    @property
    def shown(self) -> str:
        return self.label or self.key


class LocationFrame(_Frame):
    type: Literal["location"]
    id: ClientId
    lat: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
    lon: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


class VoiceFrame(_Frame):
    """A voice message uploaded first (POST /chat/upload), sent by its attachment id."""
    type: Literal["voice"]
    id: ClientId
    attachment: Annotated[int, BeforeValidator(_attachment)] = Field(default=None, validate_default=True)


class PhotoFrame(_Frame):
    """A photo uploaded first, sent by its attachment id, with an optional caption."""
    type: Literal["photo"]
    id: ClientId
    text: Annotated[str, BeforeValidator(_caption)] = ""  # before the attachment: a long caption says so first
    attachment: Annotated[int, BeforeValidator(_attachment)] = Field(default=None, validate_default=True)


Frame = Annotated[
    StartFrame | ProofFrame | LanguageFrame | TextFrame | ChoiceFrame | LocationFrame | VoiceFrame | PhotoFrame,
    Field(discriminator="type"),
]


class AnyFrame(RootModel[Frame]):
    """One frame, of whichever type it says."""


class _Addressed(_Frame):
    id: ClientId


@dataclass(frozen=True, slots=True)
class Refused:
    """Why a frame is refused: the catalog key of the answer and its parameters."""
    key: str
    params: dict[str, Any] = field(default_factory=dict)


def read_frame(data: object) -> Frame | Refused:
    """The frame `data` is, or the answer why it is none."""
    try:
        return AnyFrame.model_validate(data).root
    except ValidationError as invalid:
        first = invalid.errors()[0]
    if first["type"].startswith("web."):
        return Refused(first["type"], dict(first.get("ctx") or {}))
    if first["type"] in ("union_tag_invalid", "union_tag_not_found"):  # a well-addressed frame of another kind
        try:
            _Addressed.model_validate(data)
        except ValidationError:
            return Refused("web.error.malformed")
        return Refused("web.error.unsupported")
    return Refused("web.error.malformed")


class PushKeys(_Frame):
    p256dh: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    auth: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class PushSubscription(_Frame):
    """A browser's PushSubscription JSON; which endpoints are taken is WebPush's rule (https, a host)."""
    endpoint: Annotated[str, StringConstraints(min_length=1, max_length=MAX_ENDPOINT)]
    keys: PushKeys



def read_subscription(data: object) -> PushSubscription | None:
    try:
        return PushSubscription.model_validate(data)
    except ValidationError:
        return None
