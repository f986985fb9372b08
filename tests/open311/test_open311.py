"""Open311 GeoReport v2: every endpoint and every error, in JSON and XML, over the real app and database."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree as ET

import aiohttp
import pytest
import xmltodict
from sqlalchemy import select

from bot.clock import FakeClock
from bot.container import Container
from bot.domain.cases import CaseKind
from bot.services.open311 import ApiKeys
from bot.services.pins import check_pin
from storage.models import ApiKey, Case, OutboxItem
from tests.officials.world import MONDAY_9, World
from tests.support.harness import settings_for
from tests.support.web_client import serving

V2 = "/open311/v2"
LAT, LONG = 21.11237, 106.39461  # inside Sao Đỏ ward (P_SAODO)
DESCRIPTION = "Cống thoát nước trước số 5 Nguyễn Trãi bị tắc, nước tràn lên mặt đường."


@dataclass
class Site:
    base: str
    http: aiohttp.ClientSession
    world: World
    key: str
    officer_chat: str
    officer_id: int

    async def get(self, path: str, fmt: str = "json", **params: str) -> tuple[int, str, Any]:
        async with self.http.get(f"{self.base}{V2}/{path}.{fmt}", params=params) as response:
            return response.status, response.headers["Content-Type"], _parse(fmt, await response.text())

    async def post(self, fmt: str = "json", **form: str) -> tuple[int, Any]:
        async with self.http.post(f"{self.base}{V2}/requests.{fmt}", data=form) as response:
            return response.status, _parse(fmt, await response.text())

    async def file(self, **extra: str) -> dict[str, Any]:
        status, body = await self.post(api_key=self.key, service_code="ngap_nuoc", lat=str(LAT), long=str(LONG),
                                       description=DESCRIPTION, **extra)
        assert status == 201, body
        return body[0]


def _parse(fmt: str, text: str) -> Any:
    return json.loads(text) if fmt == "json" else ET.fromstring(text)


@contextlib.asynccontextmanager
async def site(db_url: str) -> AsyncIterator[Site]:
    clock = FakeClock(MONDAY_9)
    container = Container(settings_for(db_url, open311_jurisdiction="chilinh"), clock=clock)
    world = World(container.db, clock)
    officer = await world.official("SAODO_OFF1", channel="web")
    async with container.db.unit_of_work() as uow:
        _, raw = await ApiKeys(uow.session).create("FixMyStreet test", clock.now())
        await uow.commit()
    async with serving(container) as base, aiohttp.ClientSession() as http:
        yield Site(base, http, world, raw, officer.chat, officer.official_id or 0)


def text_of(element: ET.Element, path: str) -> str | None:
    found = element.find(path)
    return None if found is None else found.text


# --- discovery and services ---------------------------------------------------------------------------------


async def test_discovery_services_and_definitions_in_both_formats(db_url: str) -> None:
    async with site(db_url) as s:
        status, kind, body = await s.get("discovery")
        assert (status, kind) == (200, "application/json; charset=utf-8")
        endpoint = body["endpoints"][0]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["url"].endswith("/open311/v2") and "text/xml" in endpoint["formats"]
        status, kind, xml = await s.get("discovery", "xml")
        assert (status, kind) == (200, "text/xml; charset=utf-8")
        assert text_of(xml, "endpoints/endpoint/specification") == "http://wiki.open311.org/GeoReport_v2"
        assert [f.text for f in xml.findall("endpoints/endpoint/formats/format")] == ["application/json", "text/xml"]

        status, _, services = await s.get("services")
        assert status == 200
        flooding = next(x for x in services if x["service_code"] == "ngap_nuoc")
        assert flooding["service_name"] == "Ngập úng, thoát nước" and flooding["type"] == "realtime"
        assert flooding["metadata"] is True and "tắc cống" in flooding["keywords"]
        _, _, xml = await s.get("services", "xml", jurisdiction_id="chilinh")
        assert xml.tag == "services"
        codes = [text_of(e, "service_code") for e in xml.findall("service")]
        assert codes == [x["service_code"] for x in services] and "ngap_nuoc" in codes

        status, _, definition = await s.get("services/ngap_nuoc")
        assert status == 200 and definition["service_code"] == "ngap_nuoc"
        ward = definition["attributes"][0]
        assert (ward["code"], ward["datatype"], ward["required"]) == ("ward", "singlevaluelist", False)
        assert {"key": "SAODO", "name": "Sao Đỏ"} in ward["values"]
        _, _, xml = await s.get("services/ngap_nuoc", "xml")
        assert xml.tag == "service_definition"
        assert text_of(xml, "attributes/attribute/code") == "ward"
        assert "SAODO" in [text_of(v, "key") for v in xml.findall("attributes/attribute/values/value")]


# --- filing and reading -------------------------------------------------------------------------------------


async def test_a_posted_request_is_a_case_in_the_units_queue_with_a_card(db_url: str) -> None:
    async with site(db_url) as s:
        answer = await s.file(email="dan@example.vn", first_name="Lan", phone="0912345678")
        code = answer["service_request_id"]
        assert code == "PA-2026-000001" and answer["token"] and answer["pin"].isdigit()
        assert "PA-2026-000001" in answer["service_notice"] and answer["pin"] in answer["service_notice"]
        assert answer["agency_responsible"] == "UBND phường Sao Đỏ"
        async with s.world.db.unit_of_work(readonly=True) as uow:
            case = (await uow.session.execute(select(Case).where(Case.code == code))).scalar_one()
            cards = list((await uow.session.execute(select(OutboxItem).where(
                OutboxItem.case_id == case.id, OutboxItem.chat_id == s.officer_chat))).scalars())
        assert (case.kind, case.source, case.status) == (CaseKind.REPORT.value, "open311", "submitted")
        assert case.unit_id == s.world.app.org._snapshot.units["P_SAODO"].id  # routed by where it is
        assert case.due_at is not None and case.accept_due_at is not None and check_pin(answer["pin"], case.pin_hash)
        assert case.details["contact"] == "Lan, 0912345678, dan@example.vn"  # for the unit, never served
        card = json.dumps(cards[0].payload, ensure_ascii=False)
        assert len(cards) == 1 and cards[0].purpose == "notice" and code in card
        assert "Open311" in card and "0912345678" in card  # the unit may call the reporter back
        async with s.world.services() as services:
            queue = await services.case_actions.queue(s.officer_id, 0)
        assert [line.code for line in queue.lines] == [code]

        status, _, found = await s.get(f"requests/{code}")
        assert status == 200 and isinstance(found, list) and len(found) == 1
        request = found[0]
        assert request["service_request_id"] == code and request["status"] == "open"
        assert request["service_code"] == "ngap_nuoc" and request["description"] == DESCRIPTION
        assert request["agency_responsible"] == "UBND phường Sao Đỏ" and request["address_id"] == "SAODO"
        assert (request["lat"], request["long"]) == (21.112, 106.395)  # rounded to about 100 m
        assert request["requested_datetime"] == "2026-03-02T09:00:00+07:00"
        assert request["expected_datetime"].endswith("+07:00")
        served = json.dumps(found, ensure_ascii=False)
        assert "dan@example.vn" not in served and "0912345678" not in served and "Lan" not in served

        # XML: a single request still sits inside <service_requests>, as xmltodict-based clients expect.
        async with s.http.get(f"{s.base}{V2}/requests/{code}.xml") as response:
            parsed = xmltodict.parse(await response.text())
        assert parsed["service_requests"]["request"]["service_request_id"] == code
        assert parsed["service_requests"]["request"]["lat"] == "21.112"

        status, _, tokens = await s.get(f"tokens/{answer['token']}")
        assert status == 200 and tokens == [{"service_request_id": code, "token": answer["token"]}]
        _, _, xml = await s.get(f"tokens/{answer['token']}", "xml")
        assert text_of(xml, "request/service_request_id") == code

        _, xml_answer = await s.post("xml", api_key=s.key, service_code="rac_thai", address_string="Tiền Định, Sao Đỏ")
        assert xml_answer.tag == "service_requests"
        second = text_of(xml_answer, "request/service_request_id")
        assert second == "PA-2026-000002" and text_of(xml_answer, "request/token")
        _, _, by_id = await s.get(f"requests/{second}", "xml")
        assert text_of(by_id, "request/address_id") == "SAODO_TIENDINH"


async def test_requests_filters_paging_and_the_default_window(db_url: str) -> None:
    async with site(db_url) as s:
        clock = s.world.clock
        first = (await s.file())["service_request_id"]
        clock.advance(days=1)
        status, body = await s.post(api_key=s.key, service_code="rac_thai", lat=str(LAT), long=str(LONG))
        assert status == 201
        second = body[0]["service_request_id"]
        clock.advance(days=1)
        third = (await s.file())["service_request_id"]
        async with s.world.services() as services:  # the second is answered: closed for Open311
            await services.case_actions.accept(s.officer_id, (await _case_id(s, second)))
            await services.case_actions.answer(s.officer_id, (await _case_id(s, second)), "Đã thu gom rác.")

        _, _, everything = await s.get("requests")
        assert [r["service_request_id"] for r in everything] == [third, second, first]  # newest first
        _, _, flooding = await s.get("requests", service_code="ngap_nuoc")
        assert [r["service_request_id"] for r in flooding] == [third, first]
        _, _, closed = await s.get("requests", status="closed")
        assert [(r["service_request_id"], r["status"], r["status_notes"]) for r in closed] == [
            (second, "closed", "Đã thu gom rác.")]
        _, _, both = await s.get("requests", status="open,closed")
        assert len(both) == 3
        _, _, listed = await s.get("requests", service_request_id=f"{first},{third}", service_code="rac_thai")
        assert {r["service_request_id"] for r in listed} == {first, third}  # the id list overrides the rest
        _, _, window = await s.get("requests", start_date="2026-03-03T00:00:00+07:00",
                                   end_date="2026-03-03T23:59:59+07:00")
        assert [r["service_request_id"] for r in window] == [second]
        _, _, page_two = await s.get("requests", page_size="2", page="2")
        assert [r["service_request_id"] for r in page_two] == [first]
        _, _, xml = await s.get("requests", "xml", status="open")
        assert xml.tag == "service_requests"
        assert [text_of(r, "service_request_id") for r in xml.findall("request")] == [third, first]

        clock.advance(days=95)  # past the default window of 90 days
        _, _, old = await s.get("requests")
        assert old == []


async def _case_id(s: Site, code: str) -> int:
    async with s.world.db.unit_of_work(readonly=True) as uow:
        return (await uow.session.execute(select(Case.id).where(Case.code == code))).scalar_one()


async def test_only_public_cases_are_served(db_url: str) -> None:
    async with site(db_url) as s:
        world = s.world
        citizen = await world.account("citizen-1")
        public = await world.submit(citizen)  # a flooding report: public category
        private_category = await world.submit(citizen, category="dat_dai", text="Tranh chấp ranh giới đất.")
        complaint = await world.submit(citizen, kind=CaseKind.COMPLAINT, text="Khiếu nại quyết định xử phạt.")
        denunciation = await world.submit(citizen, kind=CaseKind.DENUNCIATION, text="Tố cáo cán bộ nhận tiền.")
        question = await world.submit(citizen, kind=CaseKind.QUESTION, text="Hỏi thủ tục cấp phép.")
        withheld = await world.submit(citizen, text="Ngập nước trước nhà ông Nguyễn Văn B, số 7.")
        published = await world.submit(citizen, category="xay_dung", text="Công trình xây lấn vỉa hè.")
        async with world.db.unit_of_work() as uow:
            (await uow.session.get(Case, withheld)).public = False  # the unit withheld it
            (await uow.session.get(Case, published)).public = True  # the unit published it
            codes = {i: (await uow.session.get(Case, i)).code for i in
                     (public, private_category, complaint, denunciation, question, withheld, published)}
            await uow.commit()
        for fmt in ("json", "xml"):
            _, _, listed = await s.get("requests", fmt)
            shown = ({r["service_request_id"] for r in listed} if fmt == "json"
                     else {text_of(r, "service_request_id") for r in listed.findall("request")})
            assert shown == {codes[public], codes[published]}
        for hidden in (private_category, complaint, denunciation, question, withheld):
            for fmt in ("json", "xml"):
                status, _, body = await s.get(f"requests/{codes[hidden]}", fmt)
                assert status == 404
            _, _, listed = await s.get("requests", service_request_id=codes[hidden])
            assert listed == []


# --- errors -------------------------------------------------------------------------------------------------


ERRORS: list[tuple[str, str, dict[str, str], int, str]] = [
    # (method, path, params or form, status, words in the description)
    ("GET", "services/no_such_code", {}, 404, "unknown service_code"),
    ("GET", "requests/PA-2026-999999", {}, 404, "unknown service_request_id"),
    ("GET", "tokens/no-such-token", {}, 404, "unknown token"),
    ("GET", "services", {"jurisdiction_id": "hanoi"}, 404, "unknown jurisdiction_id"),
    ("GET", "requests", {"start_date": "yesterday"}, 400, "start_date"),
    ("GET", "requests", {"end_date": "2026-03-01T00:00:00"}, 400, "time zone"),
    ("GET", "requests", {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, 400, "90 days"),
    ("GET", "requests", {"status": "pending"}, 400, "status"),
    ("GET", "requests", {"page_size": "5000"}, 400, "page_size"),
    ("GET", "requests", {"page": "x"}, 400, "page"),
    ("POST", "requests", {"service_code": "ngap_nuoc", "lat": "21.1", "long": "106.3"}, 403, "api_key"),
    ("POST", "requests", {"api_key": "wrong", "service_code": "ngap_nuoc", "lat": "21.1", "long": "106.3"}, 403,
     "api_key"),
    ("POST", "requests", {"api_key": "KEY", "lat": "21.1", "long": "106.3"}, 400, "service_code is required"),
    ("POST", "requests", {"api_key": "KEY", "service_code": "nope", "lat": "21.1", "long": "106.3"}, 404,
     "unknown service_code"),
    ("POST", "requests", {"api_key": "KEY", "service_code": "ngap_nuoc"}, 400, "location is required"),
    ("POST", "requests", {"api_key": "KEY", "service_code": "ngap_nuoc", "lat": "north", "long": "106.3"}, 400,
     "lat is not a number"),
    ("POST", "requests", {"api_key": "KEY", "service_code": "ngap_nuoc", "lat": "91", "long": "106.3"}, 400,
     "out of range"),
    ("POST", "requests", {"api_key": "KEY", "service_code": "ngap_nuoc", "lat": "21.1"}, 400, "together"),
    ("POST", "requests", {"api_key": "KEY", "service_code": "ngap_nuoc", "address_id": "NOWHERE"}, 400,
     "unknown address_id"),
    ("POST", "requests", {"api_key": "KEY", "service_code": "ngap_nuoc", "lat": "21.1", "long": "106.3",
                          "description": "x" * 4001}, 400, "longer than 4000"),
    ("GET", "nothing_here", {}, 404, "unknown endpoint"),
]


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_every_error_in_the_specs_shape(db_url: str, fmt: str) -> None:
    async with site(db_url) as s:
        for method, path, params, status, words in ERRORS:
            values = {k: (s.key if v == "KEY" else v) for k, v in params.items()}
            url = f"{s.base}{V2}/{path}.{fmt}"
            call = s.http.get(url, params=values) if method == "GET" else s.http.post(url, data=values)
            async with call as response:
                body, kind = await response.text(), response.headers["Content-Type"]
            assert response.status == status, (path, params, body)
            if fmt == "json":
                assert kind == "application/json; charset=utf-8"
                error = json.loads(body)
                assert len(error) == 1 and error[0]["code"] == status and words in error[0]["description"], body
            else:
                assert kind == "text/xml; charset=utf-8"
                xml = ET.fromstring(body)
                assert xml.tag == "errors" and text_of(xml, "error/code") == str(status)
                assert words in (text_of(xml, "error/description") or ""), body
        async with s.world.db.unit_of_work(readonly=True) as uow:
            assert (await uow.session.execute(select(Case.id))).first() is None  # no error filed anything
            assert len((await uow.session.execute(select(ApiKey))).all()) == 1


async def test_a_revoked_key_files_nothing(db_url: str) -> None:
    async with site(db_url) as s:
        async with s.world.db.unit_of_work() as uow:
            keys = ApiKeys(uow.session)
            key = (await keys.listing())[0]
            assert key.key_hash != s.key and len(key.key_hash) == 64  # only the hash is kept
            assert await keys.revoke(key.id, s.world.clock.now())
            await uow.commit()
        status, body = await s.post(api_key=s.key, service_code="ngap_nuoc", lat=str(LAT), long=str(LONG))
        assert status == 403 and body[0]["code"] == 403


# --- a third-party client -----------------------------------------------------------------------------------


async def test_the_georeport_client_lists_files_and_reads(db_url: str) -> None:
    """`georeport` (PyPI) lists services and reads requests; it has no POST, so filing is a plain form POST
    with `requests`, which is what such clients send."""
    import requests
    from georeport import GeoReport

    async with site(db_url) as s:
        root = f"{s.base}{V2}"
        client = GeoReport(root, jurisdiction="chilinh")
        services = await asyncio.to_thread(client.get_service_list)
        assert "ngap_nuoc" in [x["service_code"] for x in services]
        definition = await asyncio.to_thread(client.get_service_definition, "ngap_nuoc")
        assert definition["attributes"][0]["code"] == "ward"

        def post() -> requests.Response:
            return requests.post(f"{root}/requests.json", timeout=30, data={
                "api_key": s.key, "jurisdiction_id": "chilinh", "service_code": "chieu_sang",
                "lat": str(LAT), "long": str(LONG), "description": "Đèn đường trước chợ Sao Đỏ không sáng."})

        filed = (await asyncio.to_thread(post)).json()[0]
        code = filed["service_request_id"]
        read = await asyncio.to_thread(client.get_service_request, code)
        assert read["service_code"] == "chieu_sang" and read["status"] == "open"
        listed = await asyncio.to_thread(client.get_service_requests, status="open")
        assert [r["service_request_id"] for r in listed] == [code]
        xml_client = GeoReport(root, jurisdiction="chilinh", output_format="xml")
        read_xml = await asyncio.to_thread(xml_client.get_service_request, code)
        assert read_xml["service_request_id"] == code and read_xml["service_name"] == "Đèn chiếu sáng công cộng"
        xml_services = await asyncio.to_thread(xml_client.get_service_list)
        assert [x["service_code"] for x in xml_services] == [x["service_code"] for x in services]
