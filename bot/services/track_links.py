"""The signed link in a citizen's receipt: it opens the case on /track without the PIN, and no amount of
wrong PINs from strangers ever locks it. HMAC-SHA256 with the web secret; valid for LINK_DAYS from issue,
judged by the injected clock."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta

from bot.clock import Clock

PURPOSE = "track-link"
LINK_DAYS = 730
SIGNATURE_CHARS = 32


class TrackLinks:
    def __init__(self, secret: bytes, base_url: str, clock: Clock, *, valid: timedelta = timedelta(days=LINK_DAYS)):
        self._secret, self.base_url, self.clock, self.valid = secret, base_url.rstrip("/"), clock, valid

    def _signature(self, value: str) -> str:
        digest = hmac.new(self._secret, f"{PURPOSE}\n{value}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii")[:SIGNATURE_CHARS]

    def token(self, code: str) -> str:
        value = f"{code}~{int(self.clock.now().timestamp())}"
        return f"{value}~{self._signature(value)}"

    def link(self, code: str) -> str:
        return f"{self.base_url}/track?t={self.token(code)}"

    def code_of(self, token: str | None) -> str | None:
        """The case code a token opens, or None (forged, altered, expired)."""
        if not token or len(token) > 128 or token.count("~") != 2:
            return None
        code, issued, signature = token.split("~")
        if not hmac.compare_digest(signature.encode(), self._signature(f"{code}~{issued}").encode()):
            return None
        if not issued.isdigit() or int(issued) + self.valid.total_seconds() < self.clock.now().timestamp():
            return None
        return code


def receipt_link(links: TrackLinks | None, base_url: str, code: str) -> str:
    """The link a receipt carries: signed when the app can sign, else the plain page with the code filled."""
    return links.link(code) if links is not None else f"{base_url.rstrip('/')}/track?code={code}"
