"""Guessing a PIN on /track is hopeless, and nobody can lock a citizen out of their own case (issue 11).

Before: codes are sequential, 5 wrong PINs from anywhere locked a case for everyone, 20 from one address locked
the page for everyone behind a proxy, and a burst of concurrent guesses on PostgreSQL got 10 checks instead of 5.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import aiohttp
from sqlalchemy import select

from bot.clock import FakeClock
from bot.container import Container
from bot.domain.guessing import FREE_TRIES, MAX_WAIT, expected_search, wait_after
from storage.models import PinAttempt, PinGuard
from tests.support.harness import settings_for
from tests.support.web_client import serving
from tests.web.test_track import FRIDAY, TEXT, WRONG, submit, visible_text


def test_guessing_one_case_takes_decades() -> None:
    assert [wait_after(f) for f in range(FREE_TRIES + 8)] == [timedelta(0)] * FREE_TRIES + [
        timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60)]
    search = expected_search()
    years = search / timedelta(days=365)
    print(f"\nexpected time to guess one 6-digit PIN: {years:.0f} years "
          f"({10**6 // 2} tries, at most one per {MAX_WAIT} after the first {FREE_TRIES + 6})")
    assert years > 50


async def _guess(session: aiohttp.ClientSession, base: str, code: str, pin: str, address: str) -> tuple[int, str]:
    async with session.post(f"{base}/track", data={"code": code, "pin": pin},
                            headers={"X-Forwarded-For": address}) as response:
        return response.status, visible_text(await response.text())


async def test_a_hundred_wrong_pins_from_fifty_addresses_do_not_keep_the_citizen_out(db_url: str) -> None:
    container = Container(settings_for(db_url, trusted_proxies="127.0.0.1"), clock=FakeClock(FRIDAY))
    receipt = await submit(container)
    wrong = "000000" if receipt.pin != "000000" else "111111"
    link = container.track_links.link(receipt.code)
    async with serving(container) as base, aiohttp.ClientSession() as session:
        outcomes = {200: 0, 429: 0}
        for n in range(100):  # an attacker spread over 50 addresses, a guess every minute
            status, _ = await _guess(session, base, receipt.code, wrong, f"203.0.113.{n % 50}")
            outcomes[status] += 1
            container.clock.advance(minutes=1)
        print(f"\n100 guesses over 100 minutes: {outcomes[200]} checked, {outcomes[429]} told to wait")
        assert outcomes[200] <= FREE_TRIES + 6  # the free tries, then 1+2+4+8+16+32 minutes, then hourly
        assert outcomes[429] == 100 - outcomes[200]

        # The signed link of the receipt opens the case right now, whatever the guessing did.
        async with session.get(link.replace(container.settings.public_base_url, base)) as response:
            page = visible_text(await response.text())
            assert (response.status, f"Hồ sơ {receipt.code}" in page, TEXT in page) == (200, True, True)
        tampered = link.replace(container.settings.public_base_url, base)[:-3] + "xyz"
        async with session.get(tampered) as response:
            assert (response.status, TEXT in visible_text(await response.text())) == (403, False)

        # The citizen with the PIN: told when to come back (never "locked"), and let in then, from any address.
        status, page = await _guess(session, base, receipt.code, receipt.pin, "198.51.100.7")
        async with container.db.unit_of_work(readonly=True) as uow:
            guard = await uow.session.get(PinGuard, receipt.code)
        if status == 429:
            assert "Xin thử lại sau" in page
            container.clock.advance(seconds=(guard.next_try_at - container.clock.now()).total_seconds())
            status, page = await _guess(session, base, receipt.code, receipt.pin, "198.51.100.7")
        assert (status, f"Hồ sơ {receipt.code}" in page) == (200, True)
        async with container.db.unit_of_work(readonly=True) as uow:
            guard = await uow.session.get(PinGuard, receipt.code)
            addresses = set((await uow.session.execute(select(PinAttempt.address))).scalars())
        assert guard.failures == 0  # the right PIN starts the count again
        assert len(addresses) == outcomes[200] and all(a.startswith("203.0.113.") for a in addresses)  # not the proxy


async def test_concurrent_guesses_never_exceed_the_allowance(db_url: str) -> None:
    container = Container(settings_for(db_url), clock=FakeClock(FRIDAY))
    receipt = await submit(container)
    wrong = "000000" if receipt.pin != "000000" else "111111"
    async with serving(container) as base, aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=40)) as session:
        results = await asyncio.gather(*(_guess(session, base, receipt.code, wrong, "x") for _ in range(30)))
    statuses = sorted(status for status, _ in results)
    print(f"\n30 concurrent guesses: {statuses.count(200)} checked, {statuses.count(429)} told to wait")
    assert statuses.count(200) == FREE_TRIES
    assert all(WRONG in page for status, page in results if status == 200)
    async with container.db.unit_of_work(readonly=True) as uow:
        guard = await uow.session.get(PinGuard, receipt.code)
    assert guard.failures == FREE_TRIES
