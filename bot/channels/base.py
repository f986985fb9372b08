"""What every channel adapter provides. Only adapters speak a platform's protocol."""

from __future__ import annotations

from typing import Any, Protocol

from bot.channels.model import Capabilities, Inbound, Rendered, SendingRules, SendResult


class UpdateRejected(ValueError):
    """A raw update that cannot be stored: malformed, or not for us."""


class Channel(Protocol):
    name: str
    capabilities: Capabilities
    rules: SendingRules

    def identify(self, payload: dict[str, Any]) -> tuple[str, str]:
        """(platform id used for de-duplication, chat id) of a raw update; raises UpdateRejected."""
        ...

    def to_inbound(self, payload: dict[str, Any]) -> Inbound | None:
        """The neutral form of a stored raw update; None for updates the bot ignores."""
        ...

    async def send(self, chat_id: str, message: Rendered) -> SendResult:
        """Send one rendered message; never raises for platform refusals, it classifies them."""
        ...

    async def fetch_media(self, ref: str) -> bytes:
        """Download a file the platform holds."""
        ...
