"""Open311 GeoReport v2 under /open311/v2/: discovery, services, requests, tokens; XML and JSON.

Every answer is what the spec shows: lists are arrays (XML: `<services><service>`, `<service_requests>
<request>`, even for one request), errors are `[{"code", "description"}]` (XML: `<errors><error>`), dates are
ISO-8601 with the organisation's offset. The reading is done by `bot.services.open311`, which serves public
cases only.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any
from xml.etree import ElementTree as ET

from aiohttp import web

from bot import metrics
from bot.i18n import translator
from bot.services import Services
from bot.services.context import AppContext
from bot.services.open311 import (
    DEFAULT_WINDOW,
    MAX_RESULTS,
    ApiKeys,
    Open311,
    Open311Error,
    PublicRequest,
    Query,
)
from storage.uow import Database

ROOT = "/open311/v2"
FORMATS = {"json": "application/json", "xml": "text/xml"}
MAX_POST_BYTES = 64 * 1024
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-06T00:00:00+07:00"
# XML element names of the items inside each list.
ITEM = {"services": "service", "service_requests": "request", "endpoints": "endpoint", "formats": "format",
        "attributes": "attribute", "values": "value", "errors": "error"}
Handler = Callable[[web.Request], Awaitable[web.Response]]


class Open311Routes:
    def __init__(self, db: Database, app: AppContext, *, jurisdiction: str, contact: str = "",
                 wake: Callable[[], None] | None = None) -> None:
        self.db, self.app, self.jurisdiction, self.contact, self.wake = db, app, jurisdiction, contact, wake

    def install(self, app: web.Application) -> None:
        fmt = "{fmt:(json|xml)}"
        app.router.add_get(f"{ROOT}/discovery.{fmt}", self._wrap(self.discovery))
        app.router.add_get(f"{ROOT}/services.{fmt}", self._wrap(self.services))
        app.router.add_get(ROOT + "/services/{code:[^/]+?}." + fmt, self._wrap(self.definition))
        app.router.add_get(f"{ROOT}/requests.{fmt}", self._wrap(self.requests))
        app.router.add_post(f"{ROOT}/requests.{fmt}", self._wrap(self.post))
        app.router.add_get(ROOT + "/requests/{id:[^/]+?}." + fmt, self._wrap(self.request))
        app.router.add_get(ROOT + "/tokens/{token:[^/]+?}." + fmt, self._wrap(self.token))
        app.router.add_route("*", ROOT + "/{tail:.*}", self.unknown)

    def _wrap(self, handler: Handler) -> Handler:
        async def wrapped(request: web.Request) -> web.Response:
            fmt = request.match_info["fmt"]
            try:
                self._jurisdiction(request)
                response = await handler(request)
            except Open311Error as error:
                response = errors(fmt, error.code, error.description)
            metrics.open311_request(handler.__name__, response.status)
            return response
        return wrapped

    def _jurisdiction(self, request: web.Request) -> None:
        given = request.query.get("jurisdiction_id", "").strip()
        if given and given != self.jurisdiction:
            raise Open311Error(404, f"unknown jurisdiction_id: {given[:64]}")

    async def unknown(self, request: web.Request) -> web.Response:
        fmt = "xml" if request.path.endswith(".xml") else "json"
        return errors(fmt, 404, "unknown endpoint or format (use .json or .xml)")

    # --- endpoints -------------------------------------------------------------------------------------------

    async def discovery(self, request: web.Request) -> web.Response:
        base = f"{self.app.public_base_url.rstrip('/')}{ROOT}"
        body = {
            "changeset": CHANGESET, "contact": self.contact, "key_service": self.contact,
            "endpoints": [{"specification": SPECIFICATION, "url": base, "changeset": CHANGESET,
                           "type": "production", "formats": list(FORMATS.values())}],
        }
        return respond(request, body, "discovery")

    async def services(self, request: web.Request) -> web.Response:
        async with self.db.unit_of_work(readonly=True) as uow:
            services = (await self._open311(uow)).services()
        return respond(request, services, "services")

    async def definition(self, request: web.Request) -> web.Response:
        async with self.db.unit_of_work(readonly=True) as uow:
            definition = (await self._open311(uow)).definition(request.match_info["code"])
        return respond(request, definition, "service_definition")

    async def requests(self, request: web.Request) -> web.Response:
        query = parse_query(request.query, self.app)
        async with self.db.unit_of_work(readonly=True) as uow:
            found = await (await self._open311(uow)).requests(query)
        return respond(request, [request_fields(r, self.app) for r in found], "service_requests")

    async def request(self, request: web.Request) -> web.Response:
        async with self.db.unit_of_work(readonly=True) as uow:
            found = await (await self._open311(uow)).one(request.match_info["id"])
        return respond(request, [request_fields(found, self.app)], "service_requests")

    async def token(self, request: web.Request) -> web.Response:
        async with self.db.unit_of_work(readonly=True) as uow:
            case_code, token = await (await self._open311(uow)).token(request.match_info["token"])
        return respond(request, [{"service_request_id": case_code, "token": token}], "service_requests")

    async def post(self, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_POST_BYTES:
            raise Open311Error(400, f"the request is larger than {MAX_POST_BYTES} bytes")
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        form = {**{k: v for k, v in request.query.items()}, **form}
        async with self.db.unit_of_work() as uow:
            key = await ApiKeys(uow.session).verify(form.get("api_key"))
            if key is None:
                raise Open311Error(403, "api_key is missing or invalid")
            filed = await (await self._open311(uow)).file(key, form)
            await uow.commit()
        receipt = filed.receipt
        t = translator(self.app.default_language)
        notice = t("open311.notice", code=receipt.code, pin=receipt.pin, unit=receipt.unit.name(t.language),
                   due=t.due(receipt.due_at, self.app.tz))
        if self.wake is not None:
            self.wake()  # the card to the unit's officers goes out now, not at the next poll
        body = [{"service_request_id": receipt.code, "token": filed.token, "service_notice": notice,
                 "account_id": None, "pin": receipt.pin, "agency_responsible": receipt.unit.name(t.language),
                 "expected_datetime": _iso(receipt.due_at, self.app)}]
        return respond(request, body, "service_requests", status=201)

    async def _open311(self, uow: Any) -> Open311:
        today = self.app.clock.now().astimezone(self.app.tz).date()
        org = await self.app.org.get(uow.session, today)
        services = Services(uow, self.app, org)
        return Open311(uow.session, self.app, org, services.intake)


def parse_query(query: Any, app: AppContext) -> Query:
    ids = _list(query.get("service_request_id"))
    try:
        page = int(query.get("page", "1"))
        page_size = int(query.get("page_size", str(MAX_RESULTS)))
    except ValueError:
        raise Open311Error(400, "page and page_size are whole numbers") from None
    if page < 1 or not 1 <= page_size <= MAX_RESULTS:
        raise Open311Error(400, f"page starts at 1; page_size is 1 to {MAX_RESULTS}")
    statuses = _list(query.get("status"))
    if any(s not in ("open", "closed") for s in statuses):
        raise Open311Error(400, "status is open, closed or both")
    start, end = _date(query.get("start_date"), "start_date"), _date(query.get("end_date"), "end_date")
    if start and end and end - start > DEFAULT_WINDOW:
        raise Open311Error(400, "start_date and end_date may not span more than 90 days")
    if start and not end:
        end = min(start + DEFAULT_WINDOW, app.clock.now())
    return Query(ids=ids, service_codes=_list(query.get("service_code")), start=start, end=end,
                 statuses=statuses, page=page, page_size=page_size)


def _list(raw: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (raw or "").split(",") if p.strip())[:MAX_RESULTS]


def _date(raw: str | None, name: str) -> datetime | None:
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name} is not an ISO-8601 date-time (e.g. 2026-01-01T00:00:00Z)") from None
    if value.tzinfo is None:
        raise Open311Error(400, f"{name} needs a time zone offset (e.g. Z or +07:00)")
    return value


def _iso(moment: datetime | None, app: AppContext) -> str | None:
    return None if moment is None else moment.astimezone(app.tz).isoformat(timespec="seconds")


def request_fields(found: PublicRequest, app: AppContext) -> dict[str, Any]:
    return {
        "service_request_id": found.service_request_id, "status": found.status,
        "status_notes": found.status_notes, "service_name": found.service_name,
        "service_code": found.service_code, "description": found.description,
        "agency_responsible": found.agency_responsible, "service_notice": None,
        "requested_datetime": _iso(found.requested_datetime, app),
        "updated_datetime": _iso(found.updated_datetime, app),
        "expected_datetime": _iso(found.expected_datetime, app),
        "address": found.address, "address_id": found.address_id, "zipcode": None,
        "lat": found.lat, "long": found.long, "media_url": None,
    }


# --- the two formats ---------------------------------------------------------------------------------------


def respond(request: web.Request, body: Any, root: str, *, status: int = 200) -> web.Response:
    return encoded(request.match_info["fmt"], body, root, status)


def errors(fmt: str, code: int, description: str) -> web.Response:
    return encoded(fmt, [{"code": code, "description": description}], "errors", code)


def encoded(fmt: str, body: Any, root: str, status: int) -> web.Response:
    if fmt == "xml":
        element = ET.Element(root)
        _fill(element, root, body)
        data = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8", xml_declaration=False)
    else:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return web.Response(body=data, status=status, content_type=FORMATS[fmt], charset="utf-8",
                        headers={"Access-Control-Allow-Origin": "*"})


def _fill(element: ET.Element, name: str, value: Any) -> None:
    if isinstance(value, list):
        for item in value:
            _fill(ET.SubElement(element, ITEM.get(name, "item")), ITEM.get(name, "item"), item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), key, item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif isinstance(value, datetime | date):
        element.text = value.isoformat()
    elif value is not None:
        element.text = str(value)
