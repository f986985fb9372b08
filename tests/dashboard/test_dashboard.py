"""The leaders' dashboard over HTTP: signing in once, scope by role, filters and paging, the figures, and
exports that open with csv and openpyxl and say literally what the pages say."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import aiohttp
from openpyxl import load_workbook

from tests.dashboard.support import TOKEN, Tables, answer, city
from tests.support.web_client import WebVisitor

ROOT = Path(__file__).resolve().parents[2]
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


async def get(http: aiohttp.ClientSession, url: str, **params: str) -> tuple[int, str]:
    async with http.get(url, params=params, allow_redirects=False) as response:
        return response.status, await response.text()


async def download(http: aiohttp.ClientSession, url: str, **params: str) -> tuple[int, bytes, str]:
    async with http.get(url, params=params) as response:
        return response.status, await response.read(), response.headers.get("Content-Disposition", "")


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())  # a byte-order mark: spreadsheet programs read UTF-8 right
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def xlsx_rows(body: bytes) -> list[list[str]]:
    sheet = load_workbook(io.BytesIO(body)).active
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


async def test_the_link_signs_in_once_and_not_after_it_expires(db_url: str) -> None:
    async with city(db_url, demo=True) as c:
        officer = WebVisitor(c.base, seat="SAODO_OFF1")
        await officer.open()
        try:
            await officer.say("/dashboard")
            texts = await officer.wait_for(1)
        finally:
            await officer.close()
        found = TOKEN.search(texts[-1])
        assert found and "10" in texts[-1], texts
        token = found.group(1)
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            status, page = await get(http, f"{c.base}/dashboard")
            assert status == 401 and "/dashboard" in Tables(page).visible()
            status, page = await get(http, f"{c.base}/dashboard/login", token=token)
            assert status == 200 and 'id="sign-in"' in page  # a GET (a link preview) does not use the link up
            async with http.post(f"{c.base}/dashboard/login", data={"token": token}) as response:
                assert response.status == 200 and str(response.url).endswith("/dashboard")
                assert "Trần Thị Mai" in Tables(await response.text()).visible()
        async with aiohttp.ClientSession() as again:
            async with again.post(f"{c.base}/dashboard/login", data={"token": token}) as response:
                assert response.status == 403  # used once already
                assert "đã được dùng hoặc đã hết hạn" in await response.text()
            late = await c.link("SAODO_HEAD")
            c.clock.advance(minutes=11)
            async with again.post(f"{c.base}/dashboard/login", data={"token": late}) as response:
                assert response.status == 403  # expired
            again.cookie_jar.update_cookies({"tiepdan_dashboard": "1|9999999999|forged.signature"})
            status, _ = await get(again, f"{c.base}/dashboard")
            assert status == 401


async def test_a_citizen_gets_no_link(db_url: str) -> None:
    async with city(db_url, demo=True) as c:
        citizen = WebVisitor(c.base)
        await citizen.open()
        try:
            await citizen.say("/dashboard")
            await citizen.settle()
            texts = citizen.bot_texts()
        finally:
            await citizen.close()
        assert texts and not any("token=" in text for text in texts)


async def test_scope_by_role(db_url: str) -> None:
    async with city(db_url) as c:
        saodo, phalai = c.codes["SAODO"], c.codes["PHALAI"]
        officer = await c.signed_in("SAODO_OFF1")
        leader = await c.signed_in("UBND_LEADER")
        other = await c.signed_in("VP_OFF1")
        overseer = await c.signed_in("HDND_OVERSEER")
        try:
            status, page = await get(officer, f"{c.base}/dashboard/cases/{saodo[0]}")
            assert status == 200 and saodo[0] in page
            status, page = await get(officer, f"{c.base}/dashboard/cases/{phalai[0]}")
            assert status == 404 and phalai[0] not in page  # another unit's case by URL: as if it did not exist
            status, _ = await get(officer, f"{c.base}/dashboard/cases/PA-2026-999999")
            assert status == 404
            _, page = await get(officer, f"{c.base}/dashboard/cases")
            assert "24 hồ sơ" in Tables(page).visible() and phalai[0] not in page
            _, page = await get(leader, f"{c.base}/dashboard/cases/{phalai[0]}")
            assert phalai[0] in page
            _, page = await get(leader, f"{c.base}/dashboard/cases")
            assert "26 hồ sơ" in Tables(page).visible()
            status, page = await get(other, f"{c.base}/dashboard/cases/{saodo[0]}")
            assert status == 404
            _, page = await get(other, f"{c.base}/dashboard/cases")
            assert "0 hồ sơ" in Tables(page).visible()
            for path in ("/dashboard/cases", f"/dashboard/cases/{saodo[0]}", "/dashboard/export/cases.csv"):
                status, _ = await get(overseer, c.base + path)
                assert status == 404, path  # aggregates only
            status, page = await get(overseer, f"{c.base}/dashboard", **MARCH)
            figures = Tables(page).tables["figures"]
            assert status == 200 and figures[-1][:2] == ["Tổng cộng", "26"]
            assert not any(code in page for code in saodo + phalai)
            status, body, _ = await download(overseer, f"{c.base}/dashboard/export/figures.csv", **MARCH)
            assert status == 200 and csv_rows(body)[-1][:2] == ["Tổng cộng", "26"]
        finally:
            for http in (officer, leader, other, overseer):
                await http.close()


async def test_filters_paging_figures_and_exports_agree(db_url: str) -> None:
    async with city(db_url) as c:
        saodo, phalai = c.codes["SAODO"], c.codes["PHALAI"]
        await answer(c.world, "SAODO_OFF1", saodo[0])
        c.clock.advance(days=90)  # the rest are long overdue, the complaint too
        head = await c.signed_in("SAODO_HEAD")
        try:
            _, page = await get(head, f"{c.base}/dashboard/cases")
            listed = Tables(page).tables["cases"]
            assert len(listed) == 21 and "Trang 1/2" in Tables(page).visible()  # 20 a page, and the header
            _, page = await get(head, f"{c.base}/dashboard/cases", page="2")
            assert len(Tables(page).tables["cases"]) == 5
            _, page = await get(head, f"{c.base}/dashboard/cases", status="closed")  # answered counts as closed
            assert "1 hồ sơ" in Tables(page).visible()
            _, page = await get(head, f"{c.base}/dashboard/cases", status="resolved")
            assert [r[0] for r in Tables(page).tables["cases"][1:]] == [saodo[0]]
            _, page = await get(head, f"{c.base}/dashboard/cases", category="thu_tuc")
            assert [r[0] for r in Tables(page).tables["cases"][1:]] == [saodo[-1]]
            _, page = await get(head, f"{c.base}/dashboard/cases", kind="complaint", status="overdue")
            rows = Tables(page).tables["cases"][1:]
            assert [r[0] for r in rows] == [saodo[-1]] and int(rows[0][6]) > 0
            _, page = await get(head, f"{c.base}/dashboard/cases", unit="P_PHALAI")  # outside: ignored
            assert "24 hồ sơ" in Tables(page).visible() and phalai[0] not in page

            # The list's cells are the export's cells: code, status, category, unit, received, due, days late.
            _, page = await get(head, f"{c.base}/dashboard/cases")
            shown_rows = Tables(page).tables["cases"][1:]
            _, body, _ = await download(head, f"{c.base}/dashboard/export/cases.csv")
            exported = {r[0]: r for r in csv_rows(body)[1:]}
            for row in shown_rows:
                e = exported[row[0]]
                assert row == [e[0], e[5], e[2], e[4], e[6], e[7], e[10]]

            # Case exports: the filter's cases, nothing outside the scope, Vietnamese headers, dd/mm/yyyy.
            for fmt, read in (("csv", csv_rows), ("xlsx", xlsx_rows)):
                status, body, disposition = await download(head, f"{c.base}/dashboard/export/cases.{fmt}")
                assert status == 200 and f".{fmt}" in disposition
                rows = read(body)
                assert rows[0][:6] == ["Mã hồ sơ", "Loại", "Lĩnh vực", "Địa bàn", "Đơn vị xử lý", "Trạng thái"]
                assert sorted(r[0] for r in rows[1:]) == sorted(saodo)
                answered = next(r for r in rows if r[0] == saodo[0])
                assert answered[6] == "02/03/2026" and answered[8] == "02/03/2026"  # received, answered
                assert answered[9] == "0" and answered[11] == "Có"  # working days taken, on time
                late = next(r for r in rows if r[0] == saodo[1])
                assert int(late[10]) >= 10  # working days late
                _, body, _ = await download(head, f"{c.base}/dashboard/export/cases.{fmt}", category="thu_tuc")
                assert [r[0] for r in read(body)[1:]] == [saodo[-1]]

            # Figures: the page's table, the CSV and the XLSX say the same, cell by cell.
            _, page = await get(head, f"{c.base}/dashboard", **MARCH)
            shown = Tables(page).tables["figures"]
            assert shown[0][:3] == ["Đơn vị", "Tiếp nhận", "Đã giải quyết"]
            assert shown[-1][:5] == ["Tổng cộng", "24", "1", "1", "100%"]
            _, body, _ = await download(head, f"{c.base}/dashboard/export/figures.csv", **MARCH)
            assert csv_rows(body) == shown
            _, body, _ = await download(head, f"{c.base}/dashboard/export/figures.xlsx", **MARCH)
            assert xlsx_rows(body) == shown
            overdue = Tables(page).visible()
            assert "Quá hạn trên 10 ngày làm việc (23)" in overdue
            async with head.get(f"{c.base}/dashboard/chart.png", params=MARCH) as chart:
                assert chart.status == 200 and (await chart.read()).startswith(b"\x89PNG")
        finally:
            await head.close()


async def test_the_national_mapping_names_the_columns(db_url: str) -> None:
    async with city(db_url, export_columns_file=ROOT / "org" / "exports" / "national.yaml") as c:
        head = await c.signed_in("SAODO_HEAD")
        try:
            _, body, _ = await download(head, f"{c.base}/dashboard/export/cases.csv", category="thu_tuc")
        finally:
            await head.close()
        rows = csv_rows(body)
        assert rows[0] == ["Mã PAKN", "Lĩnh vực PAKN", "Nội dung PAKN", "Địa bàn xảy ra", "Ngày tiếp nhận",
                           "Cơ quan chủ trì xử lý", "Hạn xử lý", "Ngày trả lời", "Tình trạng xử lý",
                           "Thời gian xử lý (ngày làm việc)", "Hình thức tiếp nhận"]
        assert rows[1][:3] == [c.codes["SAODO"][-1], "Thủ tục hành chính", "Khiếu nại việc trả hồ sơ chứng thực."]


async def test_the_unit_publishes_a_case_for_open311(db_url: str) -> None:
    async with city(db_url) as c:
        code = c.codes["SAODO"][0]
        officer = await c.signed_in("SAODO_OFF1")
        try:
            _, page = await get(officer, f"{c.base}/dashboard/cases/{code}")
            assert "được công khai" in Tables(page).visible()
            csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            async with officer.post(f"{c.base}/dashboard/cases/{code}/public", data={"csrf": "forged", "public": "0"},
                                    allow_redirects=False) as forged:
                assert forged.status == 403
            async with officer.post(f"{c.base}/dashboard/cases/{code}/public", data={"csrf": csrf, "public": "0"}) as done:
                assert done.status == 200 and "không được công khai" in Tables(await done.text()).visible()
            status, _ = await get(officer, f"{c.base}/open311/v2/requests/{code}.json")
            assert status == 404  # withheld
        finally:
            await officer.close()


async def test_the_map_shows_open_reports_in_scope(db_url: str) -> None:
    async with city(db_url, dashboard_map_tiles="https://tiles.example.vn/{z}/{x}/{y}.png") as c:
        await answer(c.world, "SAODO_OFF1", c.codes["SAODO"][0])
        officer = await c.signed_in("SAODO_OFF1")
        overseer = await c.signed_in("HDND_OVERSEER")
        try:
            async with officer.get(f"{c.base}/dashboard/map") as page:
                assert page.status == 200
                assert "img-src 'self' https://tiles.example.vn " in page.headers["Content-Security-Policy"]
                html = await page.text()
                assert 'src="/dashboard/static/leaflet/leaflet.js"' in html
                assert 'href="/dashboard/static/leaflet/leaflet.min.css"' in html
            async with officer.get(f"{c.base}/dashboard/map.json") as response:
                points = await response.json()
            # The 22 open reports of Sao Đỏ, at the ward's centre; not the answered one, not the complaint.
            assert len(points) == 22 and {p["code"] for p in points} == set(c.codes["SAODO"][1:23])
            assert {(p["lat"], p["lon"]) for p in points} == {(21.11, 106.394)}  # 21.1105, 106.3935 rounded
            for path in ("/dashboard/map", "/dashboard/map.json"):
                status, _ = await get(overseer, c.base + path)
                assert status == 404
            async with officer.get(f"{c.base}/dashboard/static/leaflet/leaflet.js") as script:
                assert script.status == 200 and "Leaflet" in (await script.text())[:400]
            async with officer.get(f"{c.base}/dashboard/static/leaflet/leaflet.min.css") as style:
                assert style.content_type == "text/css" and ".leaflet-container{" in await style.text()
        finally:
            await officer.close()
            await overseer.close()
