"""The signed link in a citizen's receipt: it opens the case on /track without the PIN, and no amount of
wrong PINs from strangers ever locks it. Signed by bot.web.signing (purpose "track-link"); valid for LINK_DAYS
from issue, judged by the injected clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

PURPOSE = "track-link"
LINK_DAYS = 730


class Signer(Protocol):
    """What bot.web.signing.Signer offers: timed signatures, one key per purpose."""

    def sign(self, purpose: str, value: str) -> str: ...

    def unsign(self, purpose: str, signed: str | None, max_age: timedelta) -> str | None: ...


class TrackLinks:
    def __init__(self, signer: Signer, base_url: str, *, valid: timedelta = timedelta(days=LINK_DAYS)) -> None:
        self.signer, self.base_url, self.valid = signer, base_url.rstrip("/"), valid

    def token(self, code: str) -> str:
        return self.signer.sign(PURPOSE, code)

    def link(self, code: str) -> str:
        return f"{self.base_url}/track?t={self.token(code)}"

    def code_of(self, token: str | None) -> str | None:
        """The case code a token opens, or None (forged, altered, expired)."""
        return self.signer.unsign(PURPOSE, token, self.valid)


def receipt_link(links: TrackLinks | None, base_url: str, code: str) -> str:
    """The link a receipt carries: signed when the app can sign, else the plain page with the code filled."""
    return links.link(code) if links is not None else f"{base_url.rstrip('/')}/track?code={code}"
