"""Signing in to the leaders' dashboard: a one-time link the bot sends on /dashboard, bound to one official.

The link carries a random token; only its SHA-256 is stored, with its expiry (LINK_MINUTES). Redeeming it
marks it used in the same statement that checks it, so a second use (or a race of two) is refused; the web
side then keeps a signed session cookie.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.context import AppContext
from bot.services.scope import VIEWER_ROLES
from storage.models import DashboardLink, Official

LINK_MINUTES = 10
LOGIN_PATH = "/dashboard/login"


@dataclass(frozen=True, slots=True)
class IssuedLink:
    url: str
    expires_at: datetime
    minutes: int


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class DashboardLinks:
    def __init__(self, session: AsyncSession, app: AppContext) -> None:
        self.session, self.app = session, app

    async def issue(self, official_id: int | None, now: datetime) -> IssuedLink | None:
        """A fresh link for an active official who may use the dashboard; None for anyone else."""
        official = await self.session.get(Official, official_id) if official_id is not None else None
        if official is None or not official.active or official.role not in VIEWER_ROLES:
            return None
        raw = secrets.token_urlsafe(24)
        expires = now + timedelta(minutes=LINK_MINUTES)
        self.session.add(DashboardLink(official_id=official.id, token_hash=token_hash(raw), created_at=now,
                                       expires_at=expires))
        url = f"{self.app.public_base_url.rstrip('/')}{LOGIN_PATH}?token={raw}"
        return IssuedLink(url, expires, LINK_MINUTES)

    async def redeem(self, raw: str, now: datetime) -> int | None:
        """The official the link belongs to, once: used, expired and unknown links all give None."""
        if not raw or len(raw) > 100:
            return None
        stmt = (
            update(DashboardLink)
            .where(DashboardLink.token_hash == token_hash(raw), DashboardLink.used_at.is_(None),
                   DashboardLink.expires_at > now)
            .values(used_at=now)
            .returning(DashboardLink.official_id)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()
