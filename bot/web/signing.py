"""Signed values for the browser: the web visitor's cookie and the tracking page's short-lived rating token.

HMAC-SHA256 with WEB_SECRET; each use has its own purpose prefix so a value signed for one cannot pass as
another; comparison is constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
SIGNATURE_CHARS = 32


class Signer:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _signature(self, purpose: str, value: str) -> str:
        digest = hmac.new(self._secret, f"{purpose}\n{value}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii")[:SIGNATURE_CHARS]

    def digest(self, purpose: str, value: str) -> str:
        """A keyed hash of `value` (e.g. an address kept only as such)."""
        return self._signature(purpose, value)[:22]

    def sign(self, purpose: str, value: str) -> str:
        return f"{value}.{self._signature(purpose, value)}"

    def unsign(self, purpose: str, signed: str | None) -> str | None:
        """The value inside `signed`, or None when it was not signed by us for this purpose."""
        if not signed or "." not in signed or len(signed) > 512:
            return None
        value, signature = signed.rsplit(".", 1)
        expected = self._signature(purpose, value)
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            return None
        return value


def new_visitor_id() -> str:
    return secrets.token_urlsafe(16)
