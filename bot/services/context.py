"""What every service needs besides its unit of work: settings, the clock, the organisation cache."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.services.org_view import OrgCache

if TYPE_CHECKING:
    from bot.channels.registry import ChannelRegistry
    from bot.services.track_links import TrackLinks


@dataclass(slots=True)
class AppContext:
    clock: Clock
    tz: tzinfo
    org: OrgCache
    default_language: str = "vi"
    public_base_url: str = "http://127.0.0.1:8080"
    channels: ChannelRegistry | None = None  # what each running channel can do (e.g. share a verified phone)
    track_links: TrackLinks | None = None  # signs the receipt's /track link (opens the case without the PIN)
    web_cases_per_visitor: int = 3  # cases an anonymous web visitor may file a day
    web_cases_per_address: int = 10  # ... and all visitors of one address (IPv6: one /64) together
