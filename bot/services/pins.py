"""The PIN that comes with a tracking code, so a citizen can look a case up without any messenger.

At least 6 digits; stored only as a PBKDF2 hash. Checking one costs ~45 ms of CPU, so the web page checks it
off the event loop (`check_pin_off_loop`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets

from bot.domain.guessing import PIN_DIGITS

ITERATIONS = 60_000


def new_pin(digits: int = PIN_DIGITS) -> str:
    return f"{secrets.randbelow(10**digits):0{digits}d}"


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


async def check_pin_off_loop(pin: str, stored: str | None) -> bool:
    """check_pin in a thread: hashlib releases the GIL, so the server keeps answering meanwhile."""
    return await asyncio.to_thread(check_pin, pin, stored)
