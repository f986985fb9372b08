"""What officials read about cases: a case with its whole history, the queue, and - in the terminal only - who
sent a case. Nothing here shows a denunciation's sender, except `reveal`, which records every look."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.domain.action_keys import Verb
from bot.domain.authz import Act, Refused, ancestors, may, may_see_queue
from bot.domain.cases import OPEN_STATUSES
from bot.i18n import Translator
from bot.services.case_work import ACT_OF, QUEUE_PAGE, CaseWork, sealed_contact
from bot.services.org_view import UnitInfo
from bot.services.reveal_audit import approve, use_approval
from storage.models import ChannelIdentity, Citizen

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CaseBrief:
    id: int
    code: str
    kind: str
    status: str
    unit: UnitInfo
    reachable: bool  # the citizen has a chat account the bot can relay to
    contact: str | None  # as given at a walk-in or phone call (None for a denunciation: sealed)
    due_at: datetime | None
    sealed: bool


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    action: str
    actor: str  # official | citizen | system
    actor_name: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class OfficialCaseView:
    case_id: int
    code: str
    status: str
    assignee: str | None
    card: str
    original_due_at: datetime | None
    extended: bool
    transfer_count: int
    reopen_count: int
    history: tuple[HistoryEntry, ...]
    actions: tuple[Verb, ...]
    media: tuple[int, ...] = ()  # the case's photos and voice notes, as on its card


@dataclass(frozen=True, slots=True)
class QueueLine:
    case_id: int
    code: str
    kind: str
    status: str
    unit: str
    due_at: datetime | None
    assignee: str | None


@dataclass(frozen=True, slots=True)
class QueuePage:
    lines: list[QueueLine]
    page: int
    pages: int
    total: int


@dataclass(frozen=True, slots=True)
class Revealed:
    code: str
    channel: str | None
    external_id: str | None
    chat_id: str | None
    pseudonym: str | None
    display_name: str | None
    phone: str | None
    contact: str | None


class CaseViews(CaseWork):
    """Reading cases, for officials allowed to see them."""

    async def check(self, official_id: int | None, case_id: int, verb: Verb) -> CaseBrief:
        """The case, if this official may do `verb` to it now: checked before a flow asks for the details
        (and again when they arrive, since the case may have moved on meanwhile)."""
        _, case = await self._authorised(official_id, case_id, ACT_OF[verb])
        return CaseBrief(case.id, case.code, case.kind, case.status, self._unit(case.unit_id),
                         case.reply_identity_id is not None, sealed_contact(case), case.due_at, case.sealed)

    async def view(self, official_id: int | None, code: str, t: Translator) -> OfficialCaseView:
        """The case and its whole history, for an official allowed to see it (else: not found)."""
        case = await self.case_rows.by_code(code[:32]) if code else None
        if case is None:
            raise Refused("officials.case.not_found", code=code[:32])
        seat = await self.officials.seat(official_id)
        if not may(seat, Act.VIEW, self.facts(case), self.officials.parents()):
            raise Refused("officials.case.not_found", code=code[:32])
        assert seat is not None
        events = await self.case_rows.history(case.id, public_only=False)
        names = await self.official_rows.names({e.actor_id for e in events if e.actor_kind == "official" and e.actor_id}
                                  | ({case.assignee_id} if case.assignee_id else set()))
        history = tuple(
            HistoryEntry(e.at, e.action, e.actor_kind, names.get(e.actor_id or 0) if e.actor_kind == "official"
                         else None, e.note)
            for e in events if e.action != "identity_revealed" or seat.view_identity
        )
        return OfficialCaseView(
            case.id, case.code, case.status, names.get(case.assignee_id or 0), self.notifier.card_text(t, case, whole=True),
            case.original_due_at, bool(case.extended), case.transfer_count, case.reopen_count, history,
            await self.available(seat, case), tuple(await self.notifier.media_of(case)),
        )

    async def queue(self, official_id: int | None, page: int) -> QueuePage:
        """The open cases of the official's unit (and, for heads and leaders, the units below), due first."""
        seat = await self.officials.seat(official_id)
        if not may_see_queue(seat):
            raise Refused("officials.queue.not_allowed")
        assert seat is not None
        units = [seat.unit_id]
        if seat.role in ("head", "leader"):
            parents = self.officials.parents()
            units += [u for u in parents if seat.unit_id in ancestors(u, parents)]
        statuses = [s.value for s in OPEN_STATUSES]
        total = await self.case_rows.count_in_units(units, statuses)
        pages = max(1, -(-total // QUEUE_PAGE))
        page = min(max(0, page), pages - 1)
        cases = await self.case_rows.in_units(units, statuses, page * QUEUE_PAGE, QUEUE_PAGE)
        names = await self.official_rows.names({c.assignee_id for c in cases if c.assignee_id})
        return QueuePage(
            [QueueLine(c.id, c.code, c.kind, c.status, self._unit(c.unit_id).code, c.due_at,
                       names.get(c.assignee_id or 0)) for c in cases],
            page, pages, total,
        )

    async def likely_targets(self, case_id: int) -> list[UnitInfo]:
        """Where this case most likely belongs, first: the unit of the case's ward (and the ward above it),
        the category's usual unit, then the rest by name."""
        case = await self._locked(case_id, lock=False)
        targets = self.transfer_targets(case.unit_id, case.sealed)
        order: list[str] = []
        area = self.org.areas_by_id.get(case.area_id or -1)
        while area is not None:
            if area.unit_code:
                order.append(area.unit_code)
            area = self.org.areas.get(area.parent_code) if area.parent_code else None
        category = self.org.categories_by_id.get(case.category_id or -1)
        if category is not None:  # the category's unit wherever the case is (a rule with no area)
            order += [r.unit for r in self.org.rules if r.category == category.code and r.area is None]
        rank = {code: i for i, code in reversed(list(enumerate(order)))}
        # Then the city's departments (where a ward's case usually goes), the coordinator, the rest.
        kinds = {"department": 0, "coordinator": 1, "ward": 3}
        return sorted(targets, key=lambda u: (rank.get(u.code, len(order)), kinds.get(u.kind, 2), u.name("vi")))

    def transfer_targets(self, unit_id: int, sealed: bool) -> list[UnitInfo]:
        """Where a case can be sent: any unit but its own and the overseers (they handle no case); a
        denunciation only to another inspection unit, never to a unit it may be about."""
        return [u for u in self.org.units.values()
                if u.id != unit_id and u.kind != "overseer" and (u.kind == "inspection" or not sealed)]

    # --- the sealed identity -----------------------------------------------------------------------------

    async def approve_reveal(self, code: str, requester_ref: str, approver_ref: str, reason: str) -> str:
        """A second official's one-time approval code for `requester_ref` to reveal this case's sender."""
        requester = await self.officials.resolve(requester_ref)
        approver = await self.officials.resolve(approver_ref)
        case = await self.case_rows.by_code(code[:32].strip().upper()) if code else None
        if case is None or requester is None or approver is None or not case.sealed:
            log.warning("reveal approval refused: case %s, by %s", code[:32], approver_ref[:32])
            raise Refused("officials.reveal.approver_refused")
        approval = await approve(self.session, case_id=case.id, requester=requester, approver=approver,
                                 reason=reason, now=self.app.clock.now())
        log.info("reveal of case %s approved by official %s for official %s", case.code, approver.id, requester.id)
        return approval

    async def reveal(self, code: str, official_ref: str, approval: str | None = None,
                     reason: str = "") -> Revealed:
        """Who sent a case: only for a `view_identity` holder who may see the case, with a second official's
        approval code; every look is appended to the audit chain (bot.services.reveal_audit)."""
        official = await self.officials.resolve(official_ref)
        case = await self.case_rows.by_code(code[:32].strip().upper()) if code else None
        seat = await self.officials.seat(official.id) if official else None
        if case is None or official is None or not may(seat, Act.REVEAL, self.facts(case), self.officials.parents()):
            log.warning("identity reveal refused: case %s, official %s", code[:32], official_ref[:32])
            raise Refused("officials.reveal.refused")
        await use_approval(self.session, case_id=case.id, requester=official, code=approval,
                                        reason=reason, now=self.app.clock.now())
        identity = await self.session.get(ChannelIdentity, case.reply_identity_id) if case.reply_identity_id else None
        citizen = await self.session.get(Citizen, case.citizen_id) if case.citizen_id else None
        await self._event(case, "identity_revealed", official=official, public=False)
        log.info("identity of case %s revealed to official %s", case.code, official.id)
        return Revealed(
            case.code, identity.channel if identity else None, identity.external_id if identity else None,
            identity.chat_id if identity else None, citizen.pseudonym if citizen else None,
            citizen.display_name if citizen else None, citizen.phone if citizen else None,
            (case.details or {}).get("contact"),
        )
