"""The signed link in a citizen's receipt: it opens the case on /track without the PIN, and no amount of
wrong PINs from strangers ever locks it. Signed by bot.web.signing (purpose "track-link"); valid for LINK_DAYS
from issue, judged by the injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.clock import Clock

PURPOSE = "track-link"
LINK_DAYS = 730


class Signer(Protocol):
    """What bot.web.signing.Signer offers: timed signatures, one key per purpose."""

    def sign(self, purpose: str, value: str) -> str: ...

    def unsign(self, purpose: str, signed: str | None, max_age: timedelta) -> str | None: ...

    def is_first_format(self, purpose: str, value: str, signature: str) -> bool: ...

    @property
    def clock(self) -> Clock: ...


class TrackLinks:
    def __init__(self, signer: Signer, base_url: str, *, valid: timedelta = timedelta(days=LINK_DAYS)) -> None:
        self.signer, self.base_url, self.valid = signer, base_url.rstrip("/"), valid

    def token(self, code: str) -> str:
        return self.signer.sign(PURPOSE, code)

    def link(self, code: str) -> str:
        return f"{self.base_url}/track?t={self.token(code)}"

    def code_of(self, token: str | None) -> str | None:
        """The case code a token opens, or None (forged, altered, expired)."""
        if token and token.count("~") == 2:
            return self._first_format_code(token)
        return self.signer.unsign(PURPOSE, token, self.valid)

    def _first_format_code(self, token: str) -> str | None:
        """A link from a receipt sent before the links were signed with itsdangerous (`CODE~ISSUED~SIGNATURE`):
        still good for its two years, so no citizen's receipt stops opening their case."""
        code, issued, signature = token.split("~")
        if len(token) > 128 or not issued.isdigit():
            return None
        if not self.signer.is_first_format(PURPOSE, f"{code}~{issued}", signature):
            return None
        if datetime.fromtimestamp(int(issued), UTC) + self.valid < self.signer.clock.now():
            return None
        return code


def receipt_link(links: TrackLinks | None, base_url: str, code: str) -> str:
    """The link a receipt carries: signed when the app can sign, else the plain page with the code filled."""
    return links.link(code) if links is not None else f"{base_url.rstrip('/')}/track?code={code}"
