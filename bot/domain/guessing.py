"""How fast anyone may guess a tracking PIN: a gradual back-off per code, never a hard lock.

The first FREE_TRIES wrong PINs cost nothing (a citizen mistyping); after that each wrong PIN makes the code
wait before the next PIN is even checked: 1 minute, 2, 4... up to MAX_WAIT. A stranger can slow a code down
but never shut it: its citizen gets in with the right PIN once the wait is over, or at once with the signed
link from the receipt. Against a 6-digit PIN this makes guessing one case take decades (see expected_search).
"""

from __future__ import annotations

from datetime import timedelta

FREE_TRIES = 5
FIRST_WAIT = timedelta(minutes=1)
MAX_WAIT = timedelta(hours=1)
PIN_DIGITS = 6


def wait_after(failures: int) -> timedelta:
    """The wait before the next check of a code that has had `failures` wrong PINs in a row."""
    if failures < FREE_TRIES:
        return timedelta(0)
    factor: int = 2 ** min(failures - FREE_TRIES, 20)  # int ** int is typed Any (a negative power is a float)
    return min(MAX_WAIT, FIRST_WAIT * factor)


def last_free_try(failures: int) -> bool:
    """True when one more wrong PIN starts the waiting: the page warns before it happens."""
    return failures == FREE_TRIES - 1


def expected_search(digits: int = PIN_DIGITS) -> timedelta:
    """The time an attacker needs on average to find one case's PIN: half the PIN space, each try waited."""
    tries: int = 10**digits // 2
    ramp = [wait_after(f) for f in range(min(tries, FREE_TRIES + 64)) if wait_after(f) < MAX_WAIT]
    return sum(ramp, timedelta(0)) + MAX_WAIT * max(0, tries - len(ramp))
