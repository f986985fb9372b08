"""What every service needs besides its unit of work: settings, the clock, the organisation cache."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.services.org_view import OrgCache


@dataclass(slots=True)
class AppContext:
    clock: Clock
    tz: ZoneInfo
    org: OrgCache
    default_language: str = "vi"
    public_base_url: str = "http://127.0.0.1:8080"
