"""What officials do to a case, each an event with who, when and why: take it, ask the citizen, transfer,
extend (approved by the head), answer and resolve, reject with a reason, record a walk-in case.

Every action loads the case under a row lock, re-checks the official against the case as it is now
(bot.domain.authz), moves it through the lifecycle (bot.domain.cases) and writes what others must be told to
the outbox - all in the caller's transaction (see bot.services.case_work). The bot relays between the two
sides: an official never sees the citizen's account, nor anything that identifies a denunciation's sender;
a citizen never sees the official's. The read side is bot.services.case_views, the citizen's side
bot.services.verdicts; `CaseActions` is all of them, as flows and pages reach it (`services.case_actions`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select

from bot.channels.model import MediaRef
from bot.domain.action_keys import Verb
from bot.domain.authz import Act, Refused, may_record
from bot.domain.cases import OPEN_STATUSES, Action, CaseStatus
from bot.domain.media import MediaRejected, check_media
from bot.domain.owners import Holder, owner
from bot.i18n import Translator
from bot.services.case_views import CaseBrief, CaseViews
from bot.services.case_work import (
    ANSWER_PHOTOS,
    EXTENSION_DAYS,
    PENDING_EXTENSION,
    REJECT_REASONS,
    case_choice,
    sealed_contact,
)
from bot.services.examples import teach
from bot.services.intake import Draft, Receipt
from bot.services.notices import action_choices
from bot.services.org_view import UnitInfo
from bot.services.sweep import rearm
from bot.services.verdicts import Verdict, Verdicts, expire_ratings
from storage.models import Attachment, Case, CaseEvent, CaseReminder, Official

OPEN_VALUES = tuple(s.value for s in OPEN_STATUSES)
HANDED_BACK = (CaseStatus.ASSIGNED.value, CaseStatus.IN_PROGRESS.value)  # a waiting case stays waiting

__all__ = ["EXTENSION_DAYS", "REJECT_REASONS", "CaseActions", "Verdict", "expire_ratings"]


@dataclass(frozen=True, slots=True)
class Taken:
    case_id: int
    code: str
    due_at: datetime | None
    actions: tuple[Verb, ...]


@dataclass(frozen=True, slots=True)
class Transferred:
    code: str
    unit: UnitInfo
    to_coordinator: bool
    proposed: UnitInfo | None


@dataclass(frozen=True, slots=True)
class Recategorised:
    code: str
    category: str
    transferred: Transferred | None  # the new category is another unit's: the case went there


@dataclass(frozen=True, slots=True)
class Extension:
    code: str
    days: int
    new_due: datetime
    granted: bool  # False: waiting for the head's approval


@dataclass(frozen=True, slots=True)
class Revoked:
    official: Official
    accounts: int
    invites: int
    handed_back: list[tuple[str, str]]  # (case code, unit code) of the cases given back to their unit


@dataclass(frozen=True, slots=True)
class Delivered:
    code: str
    to_citizen: bool  # False: no chat account (walk-in, phone) - the official tells the citizen
    contact: str | None


class CaseActions(CaseViews, Verdicts):
    """Every action on a case: the officials' (here), their reading (CaseViews), the citizen's (Verdicts)."""

    async def accept(self, official_id: int | None, case_id: int) -> Taken:
        official, case = await self._authorised(official_id, case_id, Act.ACCEPT)
        moved = self._move(case, Action.ACCEPT)
        case.assignee_id = official.id
        case.accepted_at = case.accepted_at or self.now
        rearm(case, self.now)  # the acceptance deadline is met: the sweep plans from the resolve date
        await self._event(case, "accepted", official=official, moved=moved)
        await self.notifier.taken(case, await self._others_at_desk(case, official.id), official.name)
        seat = await self.officials.seat(official.id)
        assert seat is not None
        return Taken(case.id, case.code, case.due_at, await self.available(seat, case))

    async def assignable(self, official_id: int | None, case_id: int) -> list[tuple[int, str]]:
        """(id, name) of the officers the head may give this case to: the unit's active officers."""
        _, case = await self._authorised(official_id, case_id, Act.ASSIGN)
        rows = await self.session.execute(
            select(Official.id, Official.name).where(Official.unit_id == case.unit_id, Official.active.is_(True),
                                                     Official.role == "officer").order_by(Official.name))
        return [(i, n) for i, n in rows.all()]

    async def assign(self, official_id: int | None, case_id: int, officer_id: int) -> Taken:
        """The head gives the case to a named officer, who is told with the card's actions."""
        head, case = await self._authorised(official_id, case_id, Act.ASSIGN)
        if officer_id not in {i for i, _ in await self.assignable(official_id, case_id)}:
            raise Refused("officials.assign.not_officer", code=case.code)
        officer = await self.officials.get(officer_id)
        assert officer is not None
        moved = self._move(case, Action.ACCEPT) if case.assignee_id is None else None
        previous = case.assignee_id
        case.assignee_id = officer.id
        case.accepted_at = case.accepted_at or self.now
        rearm(case, self.now)
        await self._event(case, "assigned", official=head, moved=moved, data={"to": officer.id, "from": previous})
        code, name, head_name, due, tz, case_key = case.code, officer.name, head.name, case.due_at, self.app.tz, case.id
        await self.notifier.tell(
            await self.notifier.accounts_of([officer.id]),
            lambda t: t("officials.assign.to_you", code=code, head=head_name,
                        due=t.due(due, tz) if due else t("common.none")),
            case_id=case.id,
            choices=lambda t: action_choices(t, case_key, (Verb.ANSWER, Verb.ASK, Verb.EXTEND, Verb.VIEW)),
        )
        others = [i for i in await self.notifier.receivers(case.unit_id) if i.official_id not in (officer.id, head.id)]
        await self.notifier.taken(case, others, name)
        seat = await self.officials.seat(head.id)
        assert seat is not None
        return Taken(case.id, case.code, case.due_at, await self.available(seat, case))

    async def ask(self, official_id: int | None, case_id: int, question: str) -> str:
        official, case = await self._authorised(official_id, case_id, Act.ASK)
        question = self._text(question)
        if case.reply_identity_id is None:
            raise Refused("officials.ask.no_account", code=case.code,
                          contact=sealed_contact(case) or "-")
        moved = self._move(case, Action.ASK)
        case.paused_at = self.now
        await self._event(case, "asked", official=official, moved=moved, note=question)
        code = case.code
        await self.notifier.to_citizen(
            case, lambda t: t("officials.citizen.question", code=code, question=question), purpose="question",
            choices=lambda t: [case_choice(Verb.REPLY, case_id, t("officials.citizen.reply_button"))],
        )
        return case.code

    async def transfer(self, official_id: int | None, case_id: int, unit_code: str, reason: str) -> Transferred:
        official, case = await self._authorised(official_id, case_id, Act.TRANSFER)
        target = self.org.units.get(unit_code)
        if target is None or target not in self.transfer_targets(case.unit_id, case.sealed):
            raise Refused("officials.transfer.bad_unit", code=case.code)
        reason = self._text(reason)
        source = self._unit(case.unit_id)
        coordinator = self._coordinator()
        # Passing the buck is visible: from the second transfer on, the coordinator decides where it goes.
        # (A denunciation stays with the inspection units: they settle it among themselves.)
        bounced = (coordinator is not None and case.transfer_count >= 1 and source.id != coordinator.id
                   and target.id != coordinator.id and not case.sealed)
        destination = coordinator if bounced and coordinator is not None else target
        held_since = await self._arrived_at_unit(case)  # the days it was late here count against this unit
        moved = self._move(case, Action.TRANSFER)
        case.unit_id, case.assignee_id = destination.id, None
        case.transfer_count += 1
        rearm(case, self.now)  # the receiving unit's reminders, not the old unit's
        case.details = {k: v for k, v in (case.details or {}).items() if k != PENDING_EXTENSION}
        await self._event(case, "transferred", official=official, moved=moved, note=reason, data={
            "from": source.code, "to": destination.code, "proposed": target.code if bounced else None,
            "held_since": held_since.isoformat(),
        })
        # The citizen's clock stays; the receiving unit inherits the reminders (the old unit's claims go) and
        # the escalation ladder (bot.services.sweep climbs the new unit's chain).
        await self.session.execute(delete(CaseReminder).where(CaseReminder.case_id == case.id))
        code, count = case.code, case.transfer_count
        late = self._late_words(case)
        if bounced:
            def header(t: Translator) -> str:
                return t("officials.card_bounced", source=source.name(t.language), count=count,
                         proposed=target.name(t.language), reason=reason) + late(t)
        else:
            def header(t: Translator) -> str:
                return t("officials.card_transferred", source=source.name(t.language), reason=reason) + late(t)
        await self.notifier.card(case, await self.notifier.receivers(destination.id), header)
        if bounced:
            await self.notifier.to_citizen(case, lambda t: t(
                "officials.citizen.to_coordinator", code=code, unit=destination.name(t.language), reason=reason,
            ), purpose="notice")
        else:
            await self.notifier.to_citizen(case, lambda t: t(
                "officials.citizen.transferred", code=code, unit=destination.name(t.language), reason=reason,
            ), purpose="notice")
        return Transferred(case.code, destination, bounced, target if bounced else None)

    async def by_code(self, official_id: int | None, code: str, verb: Verb) -> CaseBrief:
        """The case with this tracking code, if this official may do `verb` to it now (else: not found)."""
        case = await self.case_rows.by_code(code[:32]) if code else None
        if case is None:
            raise Refused("officials.case.not_found", code=code[:32])
        try:
            return await self.check(official_id, case.id, verb)
        except Refused:
            raise Refused("officials.case.not_found", code=code[:32]) from None

    async def recategorise(self, official_id: int | None, case_id: int, category_code: str,
                           transfer_reason: str | None = None) -> Recategorised:
        """File the case under another category: the matcher learns from it (an example for the next load),
        and when the new category is another unit's, the case goes there ("not ours") with the reason given."""
        official, case = await self._authorised(official_id, case_id, Act.TRANSFER)
        new = self.org.categories.get(category_code)
        if new is None or not new.active:
            raise Refused("officials.category.unknown", code=case.code)
        if case.category_id == new.id:
            raise Refused("officials.category.same", code=case.code, category=new.name_vi)
        before = self.org.categories_by_id.get(case.category_id or -1)
        case.category_id = new.id
        await self._event(case, "recategorised", official=official, public=False, data={
            "from": before.code if before else None, "to": new.code,
        })
        area = self.org.areas_by_id.get(case.area_id or -1)
        routed = self.org.route(new.code, area.code if area else None, self.now.astimezone(self.app.tz).date())
        moves = (not case.sealed and routed.id != case.unit_id and transfer_reason is not None
                 and routed in self.transfer_targets(case.unit_id, case.sealed))
        if not case.sealed:  # a denunciation's words stay with the inspection units, not in a word list
            await teach(self.session, case, new.id, before.id if before else None, official.id,
                        "transferred" if moves else "recategorised", self.now)
        transferred = await self.transfer(official_id, case_id, routed.code, transfer_reason or "") if moves else None
        return Recategorised(case.code, new.code, transferred)

    async def _arrived_at_unit(self, case: Case) -> datetime:
        """When the case reached the unit that holds it now: its last arrival (filed, transferred, sent up)."""
        found = (await self.session.execute(
            select(func.max(CaseEvent.at)).where(CaseEvent.case_id == case.id,
                                                 CaseEvent.action.in_(("submitted", "transferred", "sent_up"))))
        ).scalar_one_or_none()
        return found or case.created_at

    def _late_words(self, case: Case) -> Callable[[Translator], str]:
        """A line for a card whose case is already past its due date (empty otherwise)."""
        due, now, calendar = case.due_at, self.now, self.org.calendar
        if due is None or due >= now or case.paused_at is not None:
            return lambda t: ""
        days = max(1, calendar.working_days_between(calendar.local(due).date(), calendar.local(now).date()))
        tz = self.app.tz
        return lambda t: "\n" + t("officials.card_overdue", due=t.due(due, tz), days=days)

    async def request_extension(self, official_id: int | None, case_id: int, days: int,
                                reason: str) -> Extension:
        official, case = await self._authorised(official_id, case_id, Act.EXTEND)
        if days not in EXTENSION_DAYS or case.due_at is None:
            raise Refused("officials.extend.bad_days")
        reason = self._text(reason)
        new_due = self.org.calendar.add_working_days(case.due_at, days)
        seat = await self.officials.seat(official.id)
        assert seat is not None
        if seat.role in ("head", "leader") and seat.unit_id == case.unit_id:
            await self._grant_extension(case, official, official, days, reason)
            return Extension(case.code, days, new_due, True)
        case.details = {**(case.details or {}), PENDING_EXTENSION: {
            "by": official.id, "days": days, "reason": reason, "at": self.now.isoformat(),
        }}
        await self._event(case, "extension_requested", official=official, note=reason, public=False,
                          data={"days": days})
        code, name, tz = case.code, official.name, self.app.tz
        await self.notifier.tell(
            await self.notifier.unit_chiefs(case.unit_id),
            lambda t: t("officials.extension.request", name=name, code=code, days=days, reason=reason,
                        due=t.due(new_due, tz)),
            case_id=case.id,
            choices=lambda t: action_choices(t, case_id, (Verb.APPROVE_EXTENSION, Verb.DECLINE_EXTENSION)),
        )
        return Extension(case.code, days, new_due, False)

    async def decide_extension(self, official_id: int | None, case_id: int, approve: bool) -> Extension:
        official, case = await self._authorised(official_id, case_id, Act.DECIDE_EXTENSION)
        request = dict((case.details or {})[PENDING_EXTENSION])
        case.details = {k: v for k, v in case.details.items() if k != PENDING_EXTENSION}
        requester = await self.officials.get(int(request["by"])) or official
        days, reason = int(request["days"]), str(request["reason"])
        assert case.due_at is not None
        new_due = self.org.calendar.add_working_days(case.due_at, days)
        code, tz = case.code, self.app.tz
        if approve:
            await self._grant_extension(case, requester, official, days, reason)
            render = lambda t: t("officials.extension.approved", code=code, due=t.due(new_due, tz))  # noqa: E731
        else:
            await self._event(case, "extension_declined", official=official, public=False, data={"days": days})
            render = lambda t: t("officials.extension.declined", code=code)  # noqa: E731
        if requester.id != official.id:
            await self.notifier.tell(await self.notifier.accounts_of([requester.id]), render, case_id=case.id)
        return Extension(case.code, days, new_due, approve)

    async def _grant_extension(self, case: Case, requester: Official, approver: Official, days: int,
                               reason: str) -> None:
        assert case.due_at is not None
        case.original_due_at = case.original_due_at or case.due_at
        case.due_at = self.org.calendar.add_working_days(case.due_at, days)
        rearm(case, self.now)  # the reminders and escalations follow the new date
        case.extended = True
        await self._event(case, "extended", official=approver, note=reason,
                          data={"days": days, "requested_by": requester.id})
        code, due, tz = case.code, case.due_at, self.app.tz
        await self.notifier.to_citizen(case, lambda t: t(
            "officials.citizen.extended", code=code, due=t.due(due, tz), reason=reason,
        ), purpose="notice")

    async def add_answer_photo(self, official_id: int | None, case_id: int, channel: str, ref: MediaRef) -> int:
        """A photo of the result for the answer being written: recorded now, fetched by the media job; the
        number of photos so far."""
        official, case = await self._authorised(official_id, case_id, Act.ANSWER)
        if ref.kind != "photo":
            raise Refused("officials.answer.photos_only")
        key = owner(Holder.ANSWER, case.id, official.id)
        count = int((await self.session.execute(
            select(func.count(Attachment.id)).where(Attachment.owner_key == key))).scalar_one())
        if count >= ANSWER_PHOTOS:
            raise Refused("officials.answer.too_many_photos", limit=ANSWER_PHOTOS)
        try:
            check_media("photo", ref.mime, ref.size)
        except MediaRejected:
            raise Refused("officials.answer.bad_photo") from None
        self.session.add(Attachment(
            kind="photo", mime=ref.mime or "image/jpeg", size=ref.size or 0, sha256="", storage="db",
            owner_key=key, created_at=self.now, status="pending", channel=channel, platform_ref=ref.ref,
            fetch_attempts=0, fetch_after=self.now,
        ))
        await self.session.flush()
        return count + 1

    async def drop_answer_photos(self, official_id: int | None, case_id: int) -> None:
        """The official gave up on the answer: its photos go too."""
        if official_id is not None:
            await self.session.execute(delete(Attachment).where(
                Attachment.owner_key == owner(Holder.ANSWER, case_id, official_id), Attachment.case_id.is_(None)))

    async def answer(self, official_id: int | None, case_id: int, text: str) -> Delivered:
        official, case = await self._authorised(official_id, case_id, Act.ANSWER)
        text = self._text(text)
        bound = await self._answer_photos(case, official)
        moved = self._move(case, Action.ANSWER)
        case.resolved_at, case.rating = self.now, None
        await self._event(case, "answered", official=official, moved=moved, note=text,
                          data={"attachments": bound})
        code, unit = case.code, self._unit(case.unit_id)
        sent = await self.notifier.to_citizen(
            case, lambda t: t("officials.citizen.answer", code=code, unit=unit.name(t.language), answer=text),
            purpose="answer", attachment_ids=bound,
            choices=lambda t: [case_choice(Verb.SATISFIED, case_id, t("officials.citizen.satisfied")),
                               case_choice(Verb.UNSATISFIED, case_id, t("officials.citizen.unsatisfied"))],
        )
        return Delivered(case.code, sent, None if sent else sealed_contact(case))

    async def _answer_photos(self, case: Case, official: Official) -> list[int]:
        """The answer's photos, moved onto the case; refused while one is still being fetched (the answer
        would go without it). A photo the platform could not give is dropped."""
        key = owner(Holder.ANSWER, case.id, official.id)
        rows = list((await self.session.execute(
            select(Attachment).where(Attachment.owner_key == key).order_by(Attachment.id))).scalars())
        if any(r.status == "pending" for r in rows):
            raise Refused("officials.answer.photos_loading")
        kept = [r for r in rows if r.status == "stored"]
        for row in rows:
            if row.status == "stored":
                row.case_id, row.owner_key = case.id, None
            else:
                await self.session.delete(row)
        await self.session.flush()
        return [r.id for r in kept]

    async def reject(self, official_id: int | None, case_id: int, reason: str, detail: str | None) -> Delivered:
        official, case = await self._authorised(official_id, case_id, Act.REJECT)
        await self.check_reject_reason(case, reason)
        detail = (detail or "").strip()
        if reason == "outside_remit":
            detail = self._text(detail, minimum=3)
        elif reason == "duplicate":
            detail = await self._duplicate_of(case, detail)
        moved = self._move(case, Action.REJECT)
        case.closed_at = None
        await self._event(case, "rejected", official=official, moved=moved, note=detail or None,
                          data={"reason": reason})
        code = case.code
        if reason == "outside_remit":
            render = lambda t: t("officials.citizen.rejected_outside_remit", code=code, where=detail)  # noqa: E731
        elif reason == "duplicate":
            render = lambda t: t("officials.citizen.rejected_duplicate", code=code, other=detail)  # noqa: E731
        else:
            render = lambda t: t("officials.citizen.rejected_not_enough_info", code=code)  # noqa: E731
        sent = await self.notifier.to_citizen(case, render, purpose="answer")
        return Delivered(case.code, sent, None if sent else sealed_contact(case))

    async def check_reason(self, official_id: int | None, case_id: int, reason: str) -> None:
        """Whether this reason can be given for rejecting this case now (asked before the details)."""
        _, case = await self._authorised(official_id, case_id, Act.REJECT)
        await self.check_reject_reason(case, reason)

    async def check_reject_reason(self, case: Case, reason: str) -> None:
        if reason not in REJECT_REASONS:
            raise Refused("officials.reject.bad_reason")
        if reason == "not_enough_info":
            asked = await self.session.execute(
                select(CaseEvent.id).where(CaseEvent.case_id == case.id, CaseEvent.action == "asked").limit(1)
            )
            if asked.first() is None:
                raise Refused("officials.reject.ask_first", code=case.code)

    async def _duplicate_of(self, case: Case, code: str) -> str:
        other = await self.case_rows.by_code(code[:32]) if code else None
        if other is None or other.id == case.id:
            raise Refused("officials.reject.no_duplicate", code=code[:32])
        return other.code

    # --- taking an official's access away --------------------------------------------------------------------

    async def revoke_official(self, ref: str) -> Revoked:
        """Unlink the official's accounts (they are told their access ended) and hand every open case they
        held back to its unit, whose officers and head get the card again: no case stays with nobody able
        to act on it."""
        official = await self.officials.resolve(ref)
        accounts = await self.notifier.accounts_of([official.id]) if official is not None else []
        official, unlinked, invites = await self.officials.revoke(ref)
        name = official.name
        await self.notifier.tell(accounts, lambda t: t("officials.access_ended", name=name), case_id=None)
        return Revoked(official, unlinked, invites, await self.hand_back(official))

    async def hand_back(self, official: Official) -> list[tuple[str, str]]:
        given: list[tuple[str, str]] = []
        name = official.name
        for case in await self.case_rows.held_by(official.id, OPEN_VALUES):
            moved = self._move(case, Action.HAND_BACK) if case.status in HANDED_BACK else None
            case.assignee_id = None
            rearm(case, self.now)
            await self._event(case, "handed_back", moved=moved, data={"from": official.id})
            await self.notifier.card(case, await self.notifier.receivers(case.unit_id),
                                     lambda t: t("officials.card_handed_back", name=name))
            given.append((case.code, self._unit(case.unit_id).code))
        return given

    # --- recording a case for a citizen who came in or called ---------------------------------------------

    async def record(self, official_id: int | None, draft: Draft, contact: str | None) -> Receipt:
        seat = await self.officials.seat(official_id)
        if not may_record(seat):
            raise Refused("officials.record.not_allowed")
        assert seat is not None
        if draft.source not in ("walk_in", "phone"):
            raise Refused("officials.record.not_allowed")
        details = {**(draft.details or {}), "recorded_by": seat.official_id}
        if contact:
            details["contact"] = contact.strip()[:255]
        receipt = await self.intake.submit(
            Draft(kind=draft.kind, text=self._text(draft.text), category=draft.category, area=draft.area,
                  language=draft.language, source=draft.source, details=details, accused_unit=draft.accused_unit),
            citizen_id=None, identity_id=None,
        )
        case = await self._locked(receipt.case_id)
        official = await self.officials.get(seat.official_id)
        await self._event(case, "recorded", official=official, data={"source": draft.source})
        return receipt
