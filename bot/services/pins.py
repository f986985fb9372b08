"""The PIN that comes with a tracking code, so a citizen can look a case up without any messenger."""

from __future__ import annotations

import hashlib
import hmac
import secrets

ITERATIONS = 60_000


def new_pin() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def hash_pin(pin: str) -> str:
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), ITERATIONS).hex()
    return f"pbkdf2${salt}${digest}"


def check_pin(pin: str, stored: str | None) -> bool:
    if not stored or stored.count("$") != 2:
        return False
    _, salt, digest = stored.split("$")
    given = hashlib.pbkdf2_hmac("sha256", pin.strip().encode(), salt.encode(), ITERATIONS).hex()
    return hmac.compare_digest(given, digest)
