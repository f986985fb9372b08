"""Case drafts between messages: one per chat, in the database, turned into a case on submission.

The indexes the words are matched against (places, categories, units) are built once per organisation
snapshot, not per message.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.model import Outbound
from bot.clock import Clock
from bot.domain.cases import CaseKind
from bot.domain.intake import (
    KEEP_FOR,
    REMIND_AFTER,
    DraftFacts,
    PlaceFound,
    Step,
    filing_limit,
    find_place,
    next_step,
    understand,
    ward_at,
)
from bot.domain.matching import (
    CategoryIndex,
    CategoryTerms,
    Place,
    PlaceArea,
    PlaceIndex,
    build_matchers,
    is_place_kind,
)
from bot.domain.routing import inspection_unit_above
from bot.i18n import translator
from bot.services.abuse import take_all
from bot.services.context import AppContext
from bot.services.evidence import Evidence
from bot.services.intake import Draft, Intake, Receipt
from bot.services.org_view import OrgSnapshot, UnitInfo
from storage.models import CaseDraft
from storage.repositories import outbox
from storage.repositories.dialect import is_postgres
from storage.uow import Database

DENOUNCEABLE_KINDS = frozenset({"leadership", "coordinator", "department", "ward", "commune", "inspection"})
EXCERPT = 80
DEFAULT_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True, slots=True)
class IntakeIndex:
    """What a snapshot offers intake, ready for matching."""

    places: PlaceIndex
    categories: CategoryIndex
    located_wards: tuple[PlaceArea, ...]
    wards_with_areas: frozenset[str]
    accusable: dict[str, tuple[str, ...]]  # unit code -> names, for units a denunciation can be about


_indexes: dict[str, IntakeIndex] = {}


def index_for(org: OrgSnapshot) -> IntakeIndex:
    """The snapshot's index, built the first time a snapshot version is seen (the last two are kept)."""
    found = _indexes.get(org.version)
    if found is None:
        found = _build_index(org)
        if len(_indexes) >= 2:
            _indexes.pop(next(iter(_indexes)))
        _indexes[org.version] = found
    return found


def _build_index(org: OrgSnapshot) -> IntakeIndex:
    areas = [a for a in org.areas.values() if a.active]
    places, categories = build_matchers(
        [Place(a.code, a.name, a.kind, a.parent_code, a.aliases) for a in areas if is_place_kind(a.kind)],
        [CategoryTerms(c.code, (c.name_vi, c.name_en), c.keywords) for c in org.active_categories()],
        org.settings.get("matching"),
        org.learned,
    )
    located = tuple(
        PlaceArea(a.code, a.lat, a.lon, a.radius_m) for a in areas
        if a.parent_code is None and a.lat is not None and a.lon is not None and a.radius_m
    )
    with_areas = frozenset(a.parent_code for a in areas if a.parent_code is not None and a.kind == "residential")
    parents = {u.code: u.parent_code for u in org.units.values()}
    inspection = {u.code: u.inspection_code for u in org.units.values()}
    accusable: dict[str, tuple[str, ...]] = {
        u.code: (u.name_vi, u.name_en) for u in org.units.values()
        if u.kind in DENOUNCEABLE_KINDS and inspection_unit_above(u.code, parents, inspection) is not None
    }
    return IntakeIndex(places, categories, located, with_areas, accusable)


@dataclass(slots=True)
class OpenDraft:
    row: CaseDraft
    facts: DraftFacts

    @property
    def id(self) -> int:
        return self.row.id


class Drafts:
    def __init__(self, session: AsyncSession, app: AppContext, org: OrgSnapshot, intake: Intake,
                 evidence: Evidence) -> None:
        self.session, self.app, self.org, self.intake, self.evidence = session, app, org, intake, evidence

    @property
    def index(self) -> IntakeIndex:
        return index_for(self.org)

    async def of_chat(self, channel: str, chat_id: str) -> OpenDraft | None:
        row = (await self.session.execute(
            select(CaseDraft).where(CaseDraft.channel == channel, CaseDraft.chat_id == chat_id)
        )).scalar_one_or_none()
        return None if row is None else OpenDraft(row, DraftFacts.from_json(row.facts or {}))

    async def start(self, channel: str, chat_id: str, citizen_id: int | None, language: str,
                    now: datetime) -> OpenDraft:
        """A new, empty draft for the chat (an older one is discarded first)."""
        await self.discard(channel, chat_id)
        row = CaseDraft(channel=channel, chat_id=chat_id, citizen_id=citizen_id, language=language,
                        facts=DraftFacts().to_json(), created_at=now, touched_at=now)
        self.session.add(row)
        await self.session.flush()
        return OpenDraft(row, DraftFacts())

    async def save(self, draft: OpenDraft, now: datetime, language: str | None = None) -> None:
        draft.row.facts = draft.facts.to_json()
        draft.row.touched_at = now
        if language:
            draft.row.language = language
        await self.session.flush()

    async def discard(self, channel: str, chat_id: str) -> bool:
        ids = list((await self.session.execute(
            select(CaseDraft.id).where(CaseDraft.channel == channel, CaseDraft.chat_id == chat_id)
        )).scalars())
        await self.evidence.drop(ids)
        if ids:
            await self.session.execute(delete(CaseDraft).where(CaseDraft.id.in_(ids)))
        return bool(ids)

    # --- reading the draft ---------------------------------------------------------------------------------

    def understand(self, draft: OpenDraft) -> None:
        understand(draft.facts, self.index.places, self.index.categories)

    def next_step(self, draft: OpenDraft) -> Step:
        return next_step(draft.facts, self.index.wards_with_areas)

    def find_place(self, text: str, within_ward: str | None = None) -> PlaceFound | None:
        return find_place(text, self.index.places, within_ward=within_ward)

    def place(self, code: str) -> PlaceFound | None:
        area = self.org.areas.get(code)
        if area is None:
            return None
        if area.kind == "residential" and area.parent_code:
            return PlaceFound(code, area.parent_code, code, True)
        return PlaceFound(code, code, None, True)

    def locate(self, draft: OpenDraft, lat: float, lon: float) -> str | None:
        """Keep a shared location; it answers "which ward?" when it falls inside one. The ward, or None."""
        facts = draft.facts
        facts.lat, facts.lon = lat, lon
        ward = ward_at(lat, lon, list(self.index.located_wards))
        if ward is not None and facts.ward is None:
            facts.ward, facts.guess, facts.place_skipped = ward, None, False
        return ward

    def handling_unit(self, draft: OpenDraft, now: datetime) -> UnitInfo:
        return self.intake.unit_for(self._intake_draft(draft, ""), now)

    # --- submission ----------------------------------------------------------------------------------------

    async def submit(self, draft: OpenDraft, *, citizen_id: int | None, identity_id: int | None,
                     language: str, now: datetime, origin: str | None = None) -> Receipt:
        """The case, routed and with its deadlines; the evidence moves onto it; the draft is gone.

        An anonymous web visitor files at most app.web_cases_per_visitor cases a day, and one address (its
        keyed hash, `origin`) at most app.web_cases_per_address: raises DailyLimit beyond."""
        if draft.row.channel == "web":
            # The visitor id is a random 128-bit cookie value: its digest names it to nobody, and the count
            # outlives a /privacy deletion (which must not refill the day's allowance) without keeping the id.
            visitor = hashlib.sha256(f"visitor:{draft.row.chat_id}".encode()).hexdigest()[:32]
            limits = {f"cases:v:{visitor}": self.app.web_cases_per_visitor}
            if origin:
                limits[f"cases:a:{origin}"] = self.app.web_cases_per_address
            await take_all(self.session, limits, now)
        t = translator(language)
        facts = draft.facts
        text = facts.text or t("report.case_no_words", photos=facts.media.get("photo", 0),
                               voices=facts.media.get("voice", 0), documents=facts.media.get("document", 0))
        if facts.decision:
            learned = (t("report.case_learned_unknown") if facts.learned_on is None
                       else t.date(facts.learned_on))
            text = f"{text}\n\n{t('report.case_decision', decision=facts.decision, learned=learned)}"

        async def attach_evidence(case_id: int) -> None:
            await self.evidence.move_to_case(draft.id, case_id)

        receipt = await self.intake.submit(self._intake_draft(draft, text, language), citizen_id=citizen_id,
                                           identity_id=identity_id, on_created=attach_evidence)
        await self.session.execute(delete(CaseDraft).where(CaseDraft.id == draft.id))
        return receipt

    def _intake_draft(self, draft: OpenDraft, text: str, language: str = "vi") -> Draft:
        facts = draft.facts
        kind = CaseKind(facts.kind or CaseKind.REPORT.value)
        details: dict[str, object] = {"evidence": dict(facts.media)}
        if kind is CaseKind.COMPLAINT:
            details["decision"] = facts.decision
            if facts.learned_on is not None:
                today = self.app.clock.now().astimezone(self.app.tz).date()
                limit = filing_limit(facts.learned_on, today)
                details |= {"learned_on": facts.learned_on.isoformat(), "filing_last_day": limit.last_day.isoformat()}
        if kind is CaseKind.DENUNCIATION:
            details["accused_unit"] = facts.accused_unit
        elif facts.suggested:
            # What the matcher suggested first and why: the card shows it, the digest counts how often it stood.
            details["suggestion"] = {"category": facts.suggested[0], "why": list(facts.why)}
        return Draft(
            kind=kind, text=text, category=facts.category if kind is not CaseKind.DENUNCIATION else None,
            area=(facts.area or facts.ward) if kind is not CaseKind.DENUNCIATION else None, language=language,
            lat=facts.lat, lon=facts.lon, details=details, accused_unit=facts.accused_unit,
        )


def excerpt(text: str, length: int = EXCERPT) -> str:
    """The start of a description, cut between words: enough for the citizen to recognise it."""
    if len(text) <= length:
        return text
    return text[:length + 1].rsplit(" ", 1)[0].rstrip(",.;:- ") + "…"


# --- idle drafts: one reminder, then dropped (a catch-up job: run it as often as you like) ----------------

@dataclass(frozen=True, slots=True)
class IdleSweep:
    reminded: int
    dropped: int


async def remind_idle_drafts(db: Database, clock: Clock, tz: ZoneInfo = DEFAULT_TZ) -> IdleSweep:
    """Remind each draft untouched for REMIND_AFTER, once; drop drafts untouched for KEEP_FOR.

    Safe to run from several processes: the reminder has a dedup key, and rows are locked on PostgreSQL.
    """
    now = clock.now()
    async with db.unit_of_work() as uow:
        session = uow.session
        stale = list((await session.execute(
            select(CaseDraft.id).where(CaseDraft.touched_at <= now - KEEP_FOR)
        )).scalars())
        await Evidence(session).drop(stale)
        if stale:
            await session.execute(delete(CaseDraft).where(CaseDraft.id.in_(stale)))
        stmt = select(CaseDraft).where(
            CaseDraft.touched_at <= now - REMIND_AFTER, CaseDraft.reminded_at.is_(None)
        ).order_by(CaseDraft.id).limit(500)
        if is_postgres(session):
            stmt = stmt.with_for_update(skip_locked=True)
        due = list((await session.execute(stmt)).scalars())
        for row in due:
            await _remind(session, row, now, tz)
        await uow.commit()
    return IdleSweep(len(due), len(stale))


async def _remind(session: AsyncSession, row: CaseDraft, now: datetime, tz: ZoneInfo) -> None:
    t = translator(row.language)
    facts = DraftFacts.from_json(row.facts or {})
    shown = excerpt(facts.text) if facts.text else t("report.excerpt_media", count=facts.media_total)
    text = t("report.reminder", started=t.moment(row.created_at, tz), excerpt=shown,
             until=t.date(row.touched_at + KEEP_FOR, tz))
    await outbox.add(session, channel=row.channel, chat_id=row.chat_id, payload=Outbound(text=text).to_json(),
                     now=now, purpose="reminder", dedup_key=f"draft-reminder:{row.id}")
    row.reminded_at = now
