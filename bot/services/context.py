"""What every service needs besides its unit of work: settings, the clock, the organisation cache."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.services.org_view import OrgCache

if TYPE_CHECKING:
    from bot.channels.registry import ChannelRegistry


@dataclass(slots=True)
class AppContext:
    clock: Clock
    tz: ZoneInfo
    org: OrgCache
    default_language: str = "vi"
    public_base_url: str = "http://127.0.0.1:8080"
    # The receipt's link to the case on /track, signed so it opens without typing the code or the PIN.
    track_link: Callable[[str], str] | None = None
    channels: ChannelRegistry | None = None  # what each running channel can do (e.g. share a verified phone)
