"""Signed values for the browser and for links: the web visitor's cookie, the tracking page's rating token, the
receipt's /track link, the dashboard's session, the photo links given to Zalo.

itsdangerous timestamp signatures (HMAC-SHA256 with WEB_SECRET), each purpose its own salt, so a value signed
for one use cannot pass as another; itsdangerous compares signatures in constant time. The time inside a
signature and the age it is judged by come from the injected clock, so tests move time instead of sleeping.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from itsdangerous import Signer as KeyedHash

from bot.clock import Clock

VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_SIGNED = 512  # longer input is refused before any work
# Another process's clock may run a little ahead: a signature up to this far in the future still holds.
CLOCK_SKEW = timedelta(minutes=5)


class ClockedSigner(TimestampSigner):
    """An itsdangerous TimestampSigner whose "now" is the application's clock."""

    def __init__(self, secret: bytes, purpose: str, clock: Clock) -> None:
        super().__init__(secret, salt=purpose, key_derivation="hmac", digest_method=hashlib.sha256)
        self.clock = clock

    def get_timestamp(self) -> int:
        return int(self.clock.now().timestamp())


class Signer:
    def __init__(self, secret: bytes, clock: Clock) -> None:
        self._secret, self.clock = secret, clock
        self._signers: dict[str, ClockedSigner] = {}

    def _signer(self, purpose: str) -> ClockedSigner:
        if purpose not in self._signers:
            self._signers[purpose] = ClockedSigner(self._secret, purpose, self.clock)
        return self._signers[purpose]

    def digest(self, purpose: str, value: str) -> str:
        """A keyed hash of `value` (e.g. an address kept only as such); no time in it."""
        hashed = KeyedHash(self._secret, salt=purpose, key_derivation="hmac", digest_method=hashlib.sha256)
        return hashed.get_signature(value).decode("ascii")[:22]

    def first_format(self, purpose: str, value: str) -> str:
        """The signature the first releases wrote by hand (HMAC-SHA256 of "purpose\\nvalue", 32 URL-safe base64
        characters): only read now, for links already in citizens' hands (bot.services.track_links)."""
        digest = hmac.new(self._secret, f"{purpose}\n{value}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii")[:32]

    def is_first_format(self, purpose: str, value: str, signature: str) -> bool:
        """Whether `signature` is the first format's for `value` (compared in constant time)."""
        return hmac.compare_digest(signature.encode(), self.first_format(purpose, value).encode())

    def sign(self, purpose: str, value: str) -> str:
        """`value.time.signature`, URL- and cookie-safe when `value` is."""
        return self._signer(purpose).sign(value).decode("ascii")

    def unsign(self, purpose: str, signed: str | None, max_age: timedelta) -> str | None:
        """The value inside `signed`, or None when it was not signed by us for this purpose, or was signed
        longer than `max_age` ago by the clock."""
        if not signed or len(signed) > MAX_SIGNED:
            return None
        try:
            value = self._signer(purpose).unsign(signed, max_age=int(max_age.total_seconds()))
        except SignatureExpired as expired:  # too old, or signed "later" than now by a clock a little ahead
            signed_at, payload = expired.date_signed, expired.payload
            if signed_at is None or not isinstance(payload, bytes):
                return None
            if not timedelta(0) < signed_at - self.clock.now() <= CLOCK_SKEW:
                return None
            value = payload
        except BadSignature:
            return None
        return value.decode("utf-8")


def new_visitor_id() -> str:
    return secrets.token_urlsafe(16)
