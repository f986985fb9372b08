"""Open311 GeoReport v2 over the case store: what civic tools may read, and filing a case as a citizen would.

Only public cases are read: reports (never questions, complaints, petitions or denunciations) whose category is
open data (`public: true` in the organisation file) unless their unit withheld the case, or that their unit
published (`Case.public`). Nothing that names a person leaves here: no citizen, no official, no contact; the
coordinates are rounded to about 100 m. A POSTed request goes through the same intake service as a chat-filed
case: routing, deadlines, tracking code, PIN and the card to the unit's officers, in one transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.cases import MAX_DESCRIPTION, OPEN_STATUSES, CaseKind
from bot.domain.intake import find_place, ward_at
from bot.services.context import AppContext
from bot.services.drafts import index_for
from bot.services.intake import Draft, Intake, Receipt
from bot.services.org_view import OrgSnapshot
from bot.services.tracking import ANSWER_ACTIONS
from storage.models import ApiKey, Case, CaseEvent, Category, Open311Token

DEFAULT_WINDOW = timedelta(days=90)
MAX_RESULTS = 1000
COORDINATE_DECIMALS = 3  # 0.001 degree: about 111 m of latitude, less of longitude
OPEN = tuple(s.value for s in OPEN_STATUSES)
REPORT = CaseKind.REPORT.value
CONTACT_FIELDS = ("first_name", "last_name", "phone", "email")  # shown to the unit on the card, never served


class Open311Error(Exception):
    """An error in the spec's shape: HTTP status and a description for the client."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code, self.description = code, description


@dataclass(frozen=True, slots=True)
class Query:
    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()
    page: int = 1
    page_size: int = MAX_RESULTS


@dataclass(frozen=True, slots=True)
class PublicRequest:
    service_request_id: str
    status: str  # open | closed
    status_notes: str | None
    service_name: str | None
    service_code: str | None
    description: str
    agency_responsible: str
    requested_datetime: datetime
    updated_datetime: datetime
    expected_datetime: datetime | None
    address: str | None
    address_id: str | None
    lat: float | None
    long: float | None


@dataclass(frozen=True, slots=True)
class Filed:
    receipt: Receipt
    token: str


def key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def public_clause() -> Any:
    """SQL: the case may be read by anyone (needs `Category` outer-joined)."""
    return and_(
        Case.kind == REPORT, Case.sealed.is_(False),
        or_(Case.public.is_(True), and_(Case.public.is_(None), func.coalesce(Category.public, false()) == true())),
    )


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, COORDINATE_DECIMALS)


class ApiKeys:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, name: str, now: datetime) -> tuple[ApiKey, str]:
        """A new key; the raw value is returned once and only its hash is stored."""
        raw = secrets.token_urlsafe(24)
        key = ApiKey(name=name.strip()[:120], key_hash=key_hash(raw), created_at=now)
        self.session.add(key)
        await self.session.flush()
        return key, raw

    async def verify(self, raw: str | None) -> ApiKey | None:
        if not raw or len(raw) > 200:
            return None
        stmt = select(ApiKey).where(ApiKey.key_hash == key_hash(raw), ApiKey.revoked_at.is_(None))
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def listing(self) -> list[ApiKey]:
        return list((await self.session.execute(select(ApiKey).order_by(ApiKey.id))).scalars())

    async def revoke(self, key_id: int, now: datetime) -> bool:
        key = await self.session.get(ApiKey, key_id)
        if key is None or key.revoked_at is not None:
            return False
        key.revoked_at = now
        return True


class Open311:
    def __init__(self, session: AsyncSession, app: AppContext, org: OrgSnapshot, intake: Intake) -> None:
        self.session, self.app, self.org, self.intake = session, app, org, intake

    # --- services ----------------------------------------------------------------------------------------

    def services(self) -> list[dict[str, Any]]:
        language = self.app.default_language
        return [
            {"service_code": c.code, "service_name": c.name(language),
             "description": c.name_en if language != "en" else c.name_vi, "metadata": True, "type": "realtime",
             "keywords": ", ".join(c.keywords), "group": "public" if c.public else "private"}
            for c in self.org.active_categories()
        ]

    def definition(self, code: str) -> dict[str, Any]:
        category = self.org.categories.get(code)
        if category is None or not category.active:
            raise Open311Error(404, f"unknown service_code: {code}")
        wards = sorted(self.org.wards(), key=lambda a: a.name)
        return {
            "service_code": category.code,
            "attributes": [{
                "variable": True, "code": "ward", "datatype": "singlevaluelist", "required": False,
                "datatype_description": "the ward or commune; found from lat/long or address_string when absent",
                "order": 1, "description": "Phường, xã / Ward or commune",
                "values": [{"key": w.code, "name": w.name} for w in wards],
            }],
        }

    # --- filing ------------------------------------------------------------------------------------------

    async def file(self, key: ApiKey, form: dict[str, str]) -> Filed:
        code = form.get("service_code", "").strip()
        category = self.org.categories.get(code)
        if not code:
            raise Open311Error(400, "service_code is required")
        if category is None or not category.active:
            raise Open311Error(404, f"unknown service_code: {code}")
        lat, lon = _coordinate(form, "lat", -90, 90), _coordinate(form, "long", -180, 180)
        address, address_id = form.get("address_string", "").strip(), form.get("address_id", "").strip()
        if (lat is None) != (lon is None):
            raise Open311Error(400, "lat and long go together")
        if lat is None and not address and not address_id:
            raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
        description = form.get("description", "").strip()
        if len(description) > MAX_DESCRIPTION:
            raise Open311Error(400, f"description is longer than {MAX_DESCRIPTION} characters")
        ward, area = self._place(form.get("attribute[ward]", "").strip(), address_id, address, lat, lon)
        text = description or category.name(self.app.default_language)
        if address:
            text = f"{text}\n({address[:500]})"
        contact = ", ".join(form[f].strip()[:200] for f in CONTACT_FIELDS if form.get(f, "").strip())
        details: dict[str, Any] = {"open311": {"api_key": key.id, "client": key.name}}
        if contact:
            details["contact"] = contact  # on the unit's card, like a walk-in's; never served back
        media_url = form.get("media_url", "").strip()
        if media_url:
            details["media_url"] = media_url[:1000]
        draft = Draft(kind=CaseKind.REPORT, text=text, category=category.code, area=area or ward,
                      language=self.app.default_language, lat=lat, lon=lon, source="open311", details=details)
        receipt = await self.intake.submit(draft, citizen_id=None, identity_id=None)
        token = secrets.token_urlsafe(18)
        self.session.add(Open311Token(token=token, case_id=receipt.case_id, api_key_id=key.id,
                                      created_at=self.app.clock.now()))
        return Filed(receipt, token)

    def _place(self, ward: str, address_id: str, address: str, lat: float | None,
               lon: float | None) -> tuple[str | None, str | None]:
        """(ward, residential area) from the most precise of: an area code, coordinates, the words."""
        for chosen in (address_id, ward):
            if chosen:
                found = self.org.areas.get(chosen)
                if found is None or not found.active:
                    raise Open311Error(400, f"unknown address_id or ward: {chosen}")
                if found.parent_code is not None:
                    return found.parent_code, found.code
                return found.code, None
        if lat is not None and lon is not None:
            at = ward_at(lat, lon, list(index_for(self.org).located_wards))
            if at is not None:
                return at, None
        if address:
            place = find_place(address, index_for(self.org).places)
            if place is not None:
                return place.ward, place.area
        return None, None

    # --- reading -----------------------------------------------------------------------------------------

    async def requests(self, query: Query) -> list[PublicRequest]:
        stmt = select(Case).outerjoin(Category, Category.id == Case.category_id).where(public_clause())
        if query.ids:
            stmt = stmt.where(Case.code.in_([i.strip().upper() for i in query.ids]))
        else:
            end = query.end or self.app.clock.now()
            start = query.start or end - DEFAULT_WINDOW
            if start > end:
                raise Open311Error(400, "start_date is after end_date")
            stmt = stmt.where(Case.created_at >= start, Case.created_at <= end)
            if query.service_codes:
                ids = [c.id for code in query.service_codes if (c := self.org.categories.get(code))]
                stmt = stmt.where(Case.category_id.in_(ids or [-1]))
            if query.statuses:
                wanted = set(query.statuses)
                if wanted == {"open"}:
                    stmt = stmt.where(Case.status.in_(OPEN))
                elif wanted == {"closed"}:
                    stmt = stmt.where(Case.status.not_in(OPEN))
        size = min(max(1, query.page_size), MAX_RESULTS)
        stmt = stmt.order_by(Case.created_at.desc(), Case.id.desc()).offset((max(1, query.page) - 1) * size)
        cases = list((await self.session.execute(stmt.limit(size))).scalars())
        return await self._public(cases)

    async def one(self, code: str) -> PublicRequest:
        found = await self.requests(Query(ids=(code,), page_size=1))
        if not found:
            raise Open311Error(404, f"unknown service_request_id: {code}")
        return found[0]

    async def token(self, token: str) -> tuple[str | None, str]:
        """(service_request_id or None when the case is not public, token); 404 for an unknown token."""
        row = await self.session.get(Open311Token, token[:64]) if token else None
        if row is None:
            raise Open311Error(404, f"unknown token: {token[:64]}")
        case = await self.session.get(Case, row.case_id)
        shown = await self._public([case]) if case is not None and await self._is_public(case) else []
        return (shown[0].service_request_id if shown else None), row.token

    async def _is_public(self, case: Case) -> bool:
        stmt = (select(Case.id).outerjoin(Category, Category.id == Case.category_id)
                .where(Case.id == case.id, public_clause()))
        return (await self.session.execute(stmt)).first() is not None

    async def _public(self, cases: list[Case]) -> list[PublicRequest]:
        if not cases:
            return []
        ids = [c.id for c in cases]
        updated = dict((await self.session.execute(
            select(CaseEvent.case_id, func.max(CaseEvent.at)).where(CaseEvent.case_id.in_(ids))
            .group_by(CaseEvent.case_id))).all())
        answers: dict[int, str] = {}
        rows = await self.session.execute(
            select(CaseEvent.case_id, CaseEvent.note).where(
                CaseEvent.case_id.in_(ids), CaseEvent.action.in_(ANSWER_ACTIONS), CaseEvent.public.is_(True),
                CaseEvent.note.is_not(None)).order_by(CaseEvent.at, CaseEvent.id))
        for case_id, note in rows.all():
            if note is not None:  # selected so; the column may be null
                answers[case_id] = note
        language = self.app.default_language
        out = []
        for case in cases:
            category = self.org.categories_by_id.get(case.category_id or -1)
            area = self.org.areas_by_id.get(case.area_id or -1)
            unit = self.org.units_by_id.get(case.unit_id)
            out.append(PublicRequest(
                service_request_id=case.code,
                status="open" if case.status in OPEN else "closed",
                status_notes=answers.get(case.id),
                service_name=category.name(language) if category else None,
                service_code=category.code if category else None,
                description=case.text,
                agency_responsible=unit.name(language) if unit else "",
                requested_datetime=case.created_at,
                updated_datetime=updated.get(case.id) or case.created_at,
                expected_datetime=case.due_at,
                address=area.name if area else None,
                address_id=area.code if area else None,
                lat=rounded(case.lat), long=rounded(case.lon),
            ))
        return out


def _coordinate(form: dict[str, str], name: str, low: float, high: float) -> float | None:
    raw = form.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise Open311Error(400, f"{name} is not a number") from None
    if not low <= value <= high or value != value:
        raise Open311Error(400, f"{name} is out of range")
    return value
