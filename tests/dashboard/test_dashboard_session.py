"""The dashboard's session cookie is judged by the application's clock: it lasts DASHBOARD_SESSION_HOURS from
signing in, whatever the browser keeps, and a page's CSRF value belongs to its session."""

from __future__ import annotations

import re

from tests.dashboard.support import city
from tests.dashboard.test_dashboard import get


async def test_the_session_ends_after_its_hours_by_the_clock(db_url: str) -> None:
    async with city(db_url, dashboard_session_hours=2) as c:
        head = await c.signed_in("SAODO_HEAD")
        try:
            c.clock.advance(hours=1, minutes=59)
            assert (await get(head, f"{c.base}/dashboard"))[0] == 200
            c.clock.advance(minutes=1, seconds=1)
            status, page = await get(head, f"{c.base}/dashboard")
            assert status == 401 and 'action="/dashboard/login"' not in page  # back to "how to sign in"
        finally:
            await head.close()


async def test_a_csrf_value_is_good_only_in_its_own_session(db_url: str) -> None:
    async with city(db_url) as c:
        first, second = await c.signed_in("SAODO_HEAD"), await c.signed_in("SAODO_HEAD")
        try:
            code = c.codes["SAODO"][0]
            _, page = await get(first, f"{c.base}/dashboard/cases/{code}")
            found = re.search(r'name="csrf" value="([^"]+)"', page)
            assert found is not None
            _, other = await get(second, f"{c.base}/dashboard/cases/{code}")
            assert found.group(1) not in other  # each session its own value
            async with second.post(f"{c.base}/dashboard/cases/{code}/public",
                                   data={"csrf": found.group(1), "public": "1"}, allow_redirects=False) as response:
                assert response.status == 403
            async with first.post(f"{c.base}/dashboard/cases/{code}/public",
                                  data={"csrf": found.group(1), "public": "1"}, allow_redirects=False) as response:
                assert response.status in (200, 303)
        finally:
            await first.close()
            await second.close()
