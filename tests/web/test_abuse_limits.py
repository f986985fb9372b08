"""A script against the web chat's public edge is capped (issue 11).

Before: every page load made a new visitor, the flood limit was per socket, one cookie opened 300 sockets,
6 sockets passed 120 frames in 18 s, and a script with a forged Origin filed a full case in 30 s, again and
again. Now sockets, frames and uploads are limited per visitor and per address, a socket speaks only once its
page has solved a proof of work, and cases are counted per visitor and per address per day.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable

import aiohttp
from sqlalchemy import func, select

from bot.web.limits import EdgeRules
from bot.web.proof import solve
from storage.models import Case, InboxItem
from tests.channels.test_same_journeys import REPORT
from tests.support.web_client import TRACKING_CODE, WebVisitor, serving
from tests.web.test_webchat import web_container

RULES = EdgeRules()
DAILY_LIMIT = "Hôm nay bạn (hoặc mạng bạn đang dùng) đã gửi"


async def _count(container, model) -> int:
    async with container.db.unit_of_work(readonly=True) as uow:
        return int((await uow.session.execute(select(func.count()).select_from(model))).scalar_one())


async def _cookie_session(base: str) -> aiohttp.ClientSession:
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with session.get(f"{base}/chat") as page:
        assert page.status == 200
    return session


async def test_three_hundred_sockets_with_a_forged_origin_are_capped(db_url: str) -> None:
    container = web_container(db_url)
    async with serving(container) as base:
        one = await _cookie_session(base)
        opened: list[aiohttp.ClientWebSocketResponse] = []
        refused = 0
        try:
            for _ in range(300):  # one cookie, the Origin header written by the script
                try:
                    opened.append(await one.ws_connect(f"{base}/chat/ws", origin=base))
                except aiohttp.WSServerHandshakeError as exc:
                    assert exc.status == 429
                    refused += 1
            print(f"\none cookie, 300 sockets: {len(opened)} opened, {refused} refused")
            assert len(opened) == RULES.sockets_per_visitor
            for ws in opened:
                await ws.close()
            opened.clear()

            many = [await _cookie_session(base) for _ in range(60)]  # a new visitor per page load
            try:
                for session in many:
                    try:
                        opened.append(await session.ws_connect(f"{base}/chat/ws", origin=base))
                    except aiohttp.WSServerHandshakeError as exc:
                        assert exc.status == 429
                print(f"60 cookies from one address: {len(opened)} sockets opened")
                assert len(opened) == RULES.sockets_per_address
                for ws in opened:
                    await ws.close()
            finally:
                for session in many:
                    await session.close()
            # The sockets closed: the same visitor may connect again.
            ws = await one.ws_connect(f"{base}/chat/ws", origin=base)
            await ws.close()
        finally:
            await one.close()


async def _flood(base: str, frames: int) -> tuple[int, int, int]:
    """One visitor of the script: a socket, the proof of work, then `frames` texts as fast as it can."""
    session = await _cookie_session(base)
    try:
        ws = await session.ws_connect(f"{base}/chat/ws", origin=base)
        hello = await ws.receive_json()
        await ws.receive_json()  # history
        await ws.send_json({"type": "proof", "nonce": solve(hello["proof"]["challenge"], hello["proof"]["bits"])})
        for n in range(frames):
            await ws.send_json({"type": "text", "id": uuid.uuid4().hex, "text": f"spam {n}"})
        acks = errors = 0
        while acks + errors < frames:
            frame = await ws.receive_json(timeout=30)
            acks += frame["type"] == "ack"
            errors += frame["type"] == "error"
        await ws.close()
        return acks, errors, frames
    finally:
        await session.close()


async def test_six_parallel_floods_pass_no_more_than_the_limits(db_url: str) -> None:
    container = web_container(db_url)
    async with serving(container) as base:
        started = time.perf_counter()
        results = await asyncio.gather(*(_flood(base, 20) for _ in range(6)))
        elapsed = time.perf_counter() - started
        accepted = sum(acks for acks, _, _ in results)
        print(f"\n6 visitors x 20 frames in {elapsed:.1f} s: {accepted} accepted, "
              f"{sum(e for _, e, _ in results)} told to slow down")
        if elapsed < RULES.frame_window:
            assert accepted <= RULES.frames_per_address
        assert all(acks <= RULES.frames_per_visitor for acks, _, _ in results)
        assert await _count(container, InboxItem) == accepted

    # Without the proof of work a socket is told to wait, then closed.
    container = web_container(db_url)
    before = await _count(container, InboxItem)
    async with serving(container) as base:
        session = await _cookie_session(base)
        try:
            ws = await session.ws_connect(f"{base}/chat/ws", origin=base)
            await ws.receive_json()
            await ws.receive_json()
            for n in range(12):
                await ws.send_json({"type": "text", "id": uuid.uuid4().hex, "text": f"no work {n}"})
            errors = 0
            async for message in ws:
                if message.type is aiohttp.WSMsgType.TEXT:
                    errors += message.json()["type"] == "error"
            assert (errors, ws.close_code) == (10, 1008)
            assert await _count(container, InboxItem) == before
        finally:
            await session.close()


async def _file_quickly(visitor: WebVisitor) -> str:
    """A script's report: consent, the text, the type, the field, send; each step as soon as the bot answers.
    The tracking code, or "limit" when the day's allowance is spent."""
    def press(label: str) -> Callable[[], Awaitable[str]]:
        key = next(k for k, shown in visitor.last_buttons() if shown == label)
        return lambda: visitor.press(key)

    if not visitor.bot_texts():  # a new visitor: the page starts, the visitor consents
        await visitor.answer(visitor.start, "Thông báo xử lý dữ liệu cá nhân")
        await visitor.answer(lambda: visitor.press("agree"), "Bạn muốn làm gì?")
    await visitor.answer(lambda: visitor.say(REPORT), "Việc bạn báo thuộc loại nào?")
    await visitor.answer(press("Phản ánh, kiến nghị"), "lĩnh vực")
    asked = await visitor.answer(press("Hư hỏng đường, cầu, cống"), "kiểm tra lại", "Bạn có ảnh")
    if "kiểm tra lại" not in asked:
        await visitor.answer(press("Không có, tiếp tục"), "kiểm tra lại")
    outcome = await visitor.answer(press("Gửi"), "Mã theo dõi", DAILY_LIMIT)
    return "limit" if DAILY_LIMIT in outcome else TRACKING_CODE.search(outcome).group(1)


async def test_a_scripted_flood_of_cases_files_at_most_the_daily_allowance(db_url: str) -> None:
    container = web_container(db_url, web_cases_per_visitor_per_day=1, web_cases_per_address_per_day=2)
    async with serving(container) as base:
        visitors = [await WebVisitor(base).open() for _ in range(3)]
        try:
            outcomes = await asyncio.gather(*(_file_quickly(v) for v in visitors))
            print(f"\n3 visitors from one address, allowance 2 a day: {outcomes}")
            assert sorted(o == "limit" for o in outcomes) == [False, False, True]
            filed = next(v for v, o in zip(visitors, outcomes, strict=True) if o != "limit")
            assert await _file_quickly(filed) == "limit"  # the same visitor again: one a day
        finally:
            for visitor in visitors:
                await visitor.close()
        assert await _count(container, Case) == 2
        container.clock.advance(days=1)  # a new day, a new allowance
        visitor = await WebVisitor(base).open()
        try:
            assert await _file_quickly(visitor) != "limit"
        finally:
            await visitor.close()
        assert await _count(container, Case) == 3


async def test_the_daily_allowance_holds_across_serve_processes_and_a_restart(db_url: str) -> None:
    """The count lives in the database: serve processes share it, and a restart does not refill it."""
    rules: dict[str, object] = {"web_secret": secrets.token_hex(32), "web_cases_per_visitor_per_day": 1,
                                "web_cases_per_address_per_day": 2}
    # Several serve processes share PostgreSQL (NOTIFY wakes the others); over SQLite one serves, restarted.
    processes = [web_container(db_url, **rules) for _ in range(2 if db_url.startswith("postgresql") else 1)]
    async with contextlib.AsyncExitStack() as stack:
        bases = [await stack.enter_async_context(serving(container)) for container in processes]
        visitors = [await WebVisitor(bases[n % len(bases)]).open() for n in range(4)]
        try:
            outcomes = await asyncio.gather(*(_file_quickly(v) for v in visitors))
        finally:
            for visitor in visitors:
                await visitor.close()
        print(f"\n4 visitors over {len(bases)} serve process(es), allowance 2 a day per address: {outcomes}")
        assert sorted(o == "limit" for o in outcomes) == [False, False, True, True]
        assert await _count(processes[0], Case) == 2

    restarted = web_container(db_url, **rules)  # a new process over the same database, the same day
    async with serving(restarted) as base:
        visitors = [await WebVisitor(base).open() for _ in range(2)]
        try:
            outcomes = await asyncio.gather(*(_file_quickly(v) for v in visitors))
        finally:
            for visitor in visitors:
                await visitor.close()
        print(f"after a restart, 2 more visitors: {outcomes}")
        assert outcomes == ["limit", "limit"]
        assert await _count(restarted, Case) == 2
