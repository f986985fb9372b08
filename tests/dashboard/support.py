"""A small city for the dashboard tests: cases in two wards, officials signed in through real links."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import aiohttp
from sqlalchemy import select

from bot.clock import FakeClock
from bot.container import Container
from bot.domain.cases import CaseKind
from bot.services.dashboard import DashboardLinks
from storage.models import Case, Official
from tests.officials.world import MONDAY_9, World
from tests.support.harness import settings_for
from tests.support.web_client import serving

TOKEN = re.compile(r"token=([A-Za-z0-9_-]+)")


@dataclass
class City:
    base: str
    container: Container
    world: World
    clock: FakeClock
    codes: dict[str, list[str]] = field(default_factory=dict)  # ward -> case codes, oldest first

    async def official_id(self, seat: str) -> int:
        async with self.world.db.unit_of_work(readonly=True) as uow:
            return (await uow.session.execute(select(Official.id).where(Official.seat == seat))).scalar_one()

    async def link(self, seat: str, later: timedelta = timedelta(0)) -> str:
        """A fresh one-time sign-in token for the official in `seat` (issued `later` than now)."""
        async with self.world.services() as services:
            issued = await DashboardLinks(services.session, services.app).issue(await self.official_id(seat),
                                                                                self.clock.now() + later)
            assert issued is not None
        found = TOKEN.search(issued.url)
        assert found
        return found.group(1)

    async def signed_in(self, seat: str) -> aiohttp.ClientSession:
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        async with http.post(f"{self.base}/dashboard/login", data={"token": await self.link(seat)},
                             allow_redirects=False) as response:
            assert response.status == 303, await response.text()
        return http


async def fill(world: World) -> dict[str, list[str]]:
    """Sao Đỏ: 23 flooding reports and a complaint; Phả Lại: 2 reports. One Sao Đỏ report is answered."""
    citizen = await world.account("citizen-1")
    codes: dict[str, list[str]] = {"SAODO": [], "PHALAI": []}
    for number in range(23):
        case_id = await world.submit(citizen, text=f"Ngập nước số {number + 1} đường Nguyễn Trãi.")
        codes["SAODO"].append((await world.case(case_id)).code)
    complaint = await world.submit(citizen, kind=CaseKind.COMPLAINT, category="thu_tuc",
                                   text="Khiếu nại việc trả hồ sơ chứng thực.")
    codes["SAODO"].append((await world.case(complaint)).code)
    for number in range(2):
        case_id = await world.submit(citizen, area="PHALAI", text=f"Ngập nước Phả Lại {number + 1}.")
        codes["PHALAI"].append((await world.case(case_id)).code)
    return codes


async def answer(world: World, seat: str, code: str, text: str = "Đã nạo vét cống.") -> None:
    async with world.services() as services:
        official = (await services.session.execute(select(Official.id).where(Official.seat == seat))).scalar_one()
        case_id = (await services.session.execute(select(Case.id).where(Case.code == code))).scalar_one()
        await services.case_actions.accept(official, case_id)
        await services.case_actions.answer(official, case_id, text)


@contextlib.asynccontextmanager
async def city(db_url: str, **settings: Any) -> AsyncIterator[City]:
    clock = FakeClock(MONDAY_9)
    container = Container(settings_for(db_url, **settings), clock=clock)
    world = World(container.db, clock)
    codes = await fill(world)
    async with serving(container) as base:
        yield City(base, container, world, clock, codes)


class Tables(HTMLParser):
    """The text of every table cell, by table id, and the page's visible text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = dict(attrs).get("id") or f"table{len(self.tables)}"
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        self.text.append(data)

    def visible(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.text))
