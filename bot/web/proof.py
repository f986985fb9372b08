"""The web chat's human check: a small proof of work the page solves before its socket may speak.

Each socket gets a fresh random challenge; the page finds a nonce such that SHA-256("challenge:nonce") starts
with `bits` zero bits (about 2**bits hashes: a quarter of a second in a laptop's browser, about a second on a cheap phone,
at the default 16 bits)
and sends it. A person does not notice; a script opening thousands of visitors pays that CPU for each one, on
top of the per-address and per-visitor limits (bot.web.limits). No third-party service is involved.
"""

from __future__ import annotations

import hashlib
import secrets

DEFAULT_BITS = 16
MAX_NONCE_CHARS = 24


def new_challenge() -> str:
    return secrets.token_hex(16)


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


def valid(challenge: str, nonce: object, bits: int) -> bool:
    if not isinstance(nonce, str) or not 0 < len(nonce) <= MAX_NONCE_CHARS or not nonce.isdigit():
        return False
    return leading_zero_bits(hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()) >= bits


def solve(challenge: str, bits: int) -> str:
    """What the page does (in JavaScript); here for tests and scripted clients."""
    n = 0
    while not valid(challenge, str(n), bits):
        n += 1
    return str(n)
