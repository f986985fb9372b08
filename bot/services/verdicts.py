"""The citizen's side of a case: answering an official's question, and the verdict on an answer.

Not satisfied reopens a report, petition or question once at the same unit; a second time it goes up to the
head of the unit above. A complaint is not reopened: the law's next step is a second-level complaint (a new
case at the next authority) or a lawsuit. An answer nobody rates within 7 days closes (`expire_ratings`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.channels.model import MediaRef
from bot.clock import Clock
from bot.domain.action_keys import Verb
from bot.domain.authz import Refused
from bot.domain.cases import OPEN_STATUSES, Action, CaseKind, CaseStatus, next_status, tracking_code
from bot.domain.deadlines import due_at, pick_policy
from bot.domain.media import MediaRejected, check_media
from bot.domain.owners import Holder, owner
from bot.i18n import Translator
from bot.services.case_work import MAX_TEXT, RATING_DAYS, CaseWork, unique_accounts
from bot.services.intake import Receipt
from bot.services.notices import MAP_LINK, action_choices
from bot.services.org_view import UnitInfo
from bot.services.pins import hash_pin, new_pin
from storage.models import Attachment, Case, ChannelIdentity
from storage.repositories.cases import next_number
from storage.uow import Database

OPEN = tuple(s.value for s in OPEN_STATUSES)


@dataclass(frozen=True, slots=True)
class Verdict:
    code: str
    outcome: str  # closed | reopened | sent_up | second_level
    unit: UnitInfo | None = None
    due_at: datetime | None = None


class Verdicts(CaseWork):
    """The citizen's answers: to a question, and on an answer."""

    async def waiting_for(self, identity_id: int) -> list[tuple[int, str]]:
        """(id, code) of the cases on which an official waits for this account's answer, oldest first."""
        return await self.case_rows.waiting_on(identity_id, CaseStatus.WAITING_CITIZEN.value)

    async def _citizens_case(self, case_id: int, identity_id: int | None) -> Case:
        """The case, if it answers to this account (None: a walk-in case, as the tracking page rates it)."""
        case = await self._locked(case_id)
        if case.reply_identity_id != identity_id:
            raise Refused("officials.refused.not_your_case")
        return case

    async def citizen_reply(self, identity_id: int, case_id: int, text: str, *, channel: str | None = None,
                            media: Sequence[MediaRef] = (), lat: float | None = None, lon: float | None = None,
                            follow_up: bool = False) -> str:
        """The citizen's answer to an official's question - words, photos, voice notes, a location: back on
        the case, relayed to whoever holds it, the clock running again. `follow_up`: a further message of the
        same answer (an album's next photo, the words after the photo), sent while the case is still open."""
        case = await self._citizens_case(case_id, identity_id)
        waiting = case.status == CaseStatus.WAITING_CITIZEN.value
        if not waiting and not (follow_up and case.status in OPEN):
            raise Refused("officials.reply.not_waiting", code=case.code)
        text = (text or "").strip()
        if not media and lat is None:
            text = self._text(text, minimum=1)
        elif len(text) > MAX_TEXT:
            raise Refused("officials.refused.too_long", limit=MAX_TEXT, length=len(text))
        evidence = await self._reply_media(case, channel, media)
        if lat is not None and lon is not None and case.lat is None:
            case.lat, case.lon = lat, lon
        moved = None
        if waiting:
            moved = self._move(case, Action.CITIZEN_REPLY)
            if case.assignee_id is None:  # its holder lost access meanwhile: the unit takes it again
                moved = (moved[0], self._move(case, Action.HAND_BACK)[1])
            self._resume_clock(case)
        data: dict[str, Any] = {"attachments": len(evidence)}
        if lat is not None and lon is not None:
            data["location"] = [lat, lon]
        await self._event(case, "citizen_replied" if waiting else "citizen_added", citizen=True, moved=moved,
                          note=text or None, data=data)
        code, case_key, photos = case.code, case.id, len(evidence)

        def render(t: Translator) -> str:
            lines = [t("officials.notice.citizen_replied", code=code, text=text or t("officials.notice.reply_no_text"))]
            if lat is not None and lon is not None:
                lines.append(t("officials.card_location", lat=f"{lat:.6f}", lon=f"{lon:.6f}",
                               link=MAP_LINK.format(lat=lat, lon=lon)))
            if photos:
                lines.append(t("officials.notice.reply_media_coming", count=photos))
            return "\n".join(lines)

        await self.notifier.tell(
            await self.reply_recipients(case), render, case_id=case.id,
            choices=lambda t: action_choices(t, case_key, (Verb.ANSWER, Verb.ASK, Verb.VIEW)),
        )
        return case.code

    async def reply_recipients(self, case: Case) -> list[ChannelIdentity]:
        return (await self.notifier.accounts_of([case.assignee_id]) if case.assignee_id
                else await self.notifier.receivers(case.unit_id))

    async def _reply_media(self, case: Case, channel: str | None, media: Sequence[MediaRef]) -> list[Attachment]:
        """The files of an answer, as the case's evidence: recorded now, fetched by the media job, which then
        relays each to the official (bot.services.reply_media)."""
        rows = []
        for ref in media:
            try:
                check_media(ref.kind, ref.mime, ref.size)
            except MediaRejected:
                raise Refused("reply.bad_media") from None
            row = Attachment(
                kind=ref.kind, mime=ref.mime or "application/octet-stream", size=ref.size or 0, sha256="",
                storage="db", case_id=case.id, owner_key=owner(Holder.REPLY, case.id), created_at=self.now,
                status="pending", channel=channel, platform_ref=ref.ref, name=ref.name, fetch_attempts=0,
                fetch_after=self.now,
            )
            self.session.add(row)
            rows.append(row)
        await self.session.flush()
        return rows

    async def ratable(self, identity_id: int | None, case_id: int) -> str:
        """The case's code, if this account may still give its verdict on the answer."""
        case = await self._citizens_case(case_id, identity_id)
        if case.status != CaseStatus.RESOLVED.value or case.rating is not None:
            raise Refused("officials.rating.closed", code=case.code)
        return case.code

    async def second_level_open(self, identity_id: int, case_id: int) -> str:
        """The case's code, if this account may file a second-level complaint about its answer."""
        case = await self._citizens_case(case_id, identity_id)
        if (case.kind != CaseKind.COMPLAINT.value or case.rating != "unsatisfied"
                or (case.details or {}).get("second_level")):
            raise Refused("officials.second_level.not_open", code=case.code)
        return case.code

    async def rate(self, identity_id: int | None, case_id: int, satisfied: bool,
                   comment: str | None = None) -> Verdict:
        case = await self._citizens_case(case_id, identity_id)
        if case.status != CaseStatus.RESOLVED.value or case.rating is not None:
            raise Refused("officials.rating.closed", code=case.code)
        comment = (comment or "").strip()[:MAX_TEXT] or None
        code, unit = case.code, self._unit(case.unit_id)
        told = await self.notifier.accounts_of([case.assignee_id]) if case.assignee_id else []
        if satisfied:
            moved = self._move(case, Action.SATISFIED)
            case.rating, case.closed_at = "satisfied", self.now
            await self._event(case, "rated_satisfied", citizen=True, moved=moved, note=comment)
            await self.notifier.tell(told, lambda t: t("officials.notice.satisfied", code=code), case_id=case.id)
            return Verdict(case.code, "closed")
        if case.kind == CaseKind.COMPLAINT.value:
            # The law's next step is a second-level complaint or a lawsuit, not a reopening: the first-level
            # case keeps its answer, and closes when the rating window ends.
            case.rating = "unsatisfied"
            await self._event(case, "rated_unsatisfied", citizen=True, note=comment)
            told += await self.notifier.unit_chiefs(case.unit_id)
            await self.notifier.tell(unique_accounts(told), lambda t: t(
                "officials.notice.unsatisfied_complaint", code=code), case_id=case.id)
            return Verdict(case.code, "second_level", self._next_authority(case))
        moved = self._move(case, Action.UNSATISFIED)
        await self._event(case, "rated_unsatisfied", citizen=True, moved=moved, note=comment)
        case.assignee_id, case.resolved_at, case.rating = None, None, None
        case.reopen_count += 1
        self._new_period(case)
        note = comment or "-"
        if case.reopen_count == 1:
            await self._event(case, "reopened", data={"unit": unit.code})
            await self.notifier.card(case, await self.notifier.receivers(unit.id),
                                     lambda t: t("officials.card_reopened", comment=note))
            return Verdict(case.code, "reopened", unit, case.due_at)
        upper = self._parent(unit.id) or self._coordinator() or unit
        case.unit_id, count = upper.id, case.reopen_count
        await self._event(case, "sent_up", data={"from": unit.code, "to": upper.code})
        await self.notifier.card(case, await self.notifier.unit_chiefs(upper.id), lambda t: t(
            "officials.card_escalated", unit=unit.name(t.language), count=count, comment=note))
        return Verdict(case.code, "sent_up", upper, case.due_at)

    def _next_authority(self, case: Case) -> UnitInfo:
        return self._parent(case.unit_id) or self._coordinator() or self._unit(case.unit_id)

    async def second_level(self, identity_id: int, case_id: int, text: str) -> Receipt:
        """A second-level complaint about a first-level answer the citizen did not accept: a new case at the
        next authority, linked both ways."""
        await self.second_level_open(identity_id, case_id)
        first = await self._locked(case_id)
        text = self._text(text)
        authority = self._next_authority(first)
        receipt = await self._open_case(first, authority, text)
        first.details = {**(first.details or {}), "second_level": receipt.code}
        await self._event(first, "second_level_started", citizen=True, data={"case": receipt.code})
        return receipt

    async def _open_case(self, first: Case, unit: UnitInfo, text: str) -> Receipt:
        now, calendar = self.now, self.org.calendar
        category = self.org.categories_by_id.get(first.category_id or -1)
        policy = pick_policy(self.org.policies, first.kind, category.code if category else None)
        if policy is None:
            raise Refused("officials.second_level.not_open", code=first.code)
        accept = due_at(now, policy.accept, calendar) if policy.accept else None
        resolve = due_at(now, policy.resolve, calendar)
        prefix = tracking_code(first.kind, now.astimezone(self.app.tz).year, 0).rsplit("-", 1)[0]
        number = await next_number(self.session, prefix)
        pin = new_pin()
        pin_hash = await asyncio.to_thread(hash_pin, pin)  # 60,000 rounds: off the event loop
        case = Case(
            code=tracking_code(first.kind, now.astimezone(self.app.tz).year, number), kind=first.kind,
            status=CaseStatus.SUBMITTED.value, category_id=first.category_id, area_id=first.area_id,
            unit_id=unit.id, citizen_id=first.citizen_id, reply_identity_id=first.reply_identity_id,
            source=first.source, text=text, lat=first.lat, lon=first.lon, sealed=first.sealed,
            language=first.language, pin_hash=pin_hash, details={"first_level": first.code, "level": 2},
            created_at=now, accept_due_at=accept, due_at=resolve, original_due_at=resolve,
            next_action_at=accept or resolve,
        )
        self.session.add(case)
        await self.session.flush()
        await self._event(case, "submitted", citizen=True, moved=(None, case.status),
                          data={"unit": unit.code, "first_level": first.code})
        source = self._unit(first.unit_id)
        first_code = first.code
        await self.notifier.card(case, await self.notifier.receivers(unit.id), lambda t: t(
            "officials.card_second_level", first=first_code, unit=source.name(t.language)))
        return Receipt(case.id, case.code, pin, unit, resolve)


# --- the periodic catch-up ------------------------------------------------------------------------------------


async def expire_ratings(db: Database, clock: Clock, *, batch: int = 200) -> int:
    """Close every answered case whose citizen gave no verdict within 7 days; returns how many closed.

    A catch-up job: run it at any interval (or late, after downtime) and it closes exactly what is due.
    """
    closed = 0
    while True:
        now = clock.now()
        async with db.unit_of_work() as uow:
            stmt = (
                select(Case)
                .where(Case.status == CaseStatus.RESOLVED.value, Case.resolved_at <= now - timedelta(days=RATING_DAYS))
                .order_by(Case.resolved_at, Case.id).limit(batch).with_for_update(skip_locked=True)
            )
            rows = list((await uow.session.execute(stmt)).scalars())
            for case in rows:
                before = case.status
                case.status = next_status(before, Action.EXPIRE_RATING).value
                case.closed_at = now
                await uow.cases.add_event(case, at=now, action="rating_expired", actor_kind="system",
                                         actor_id=None, from_status=before, to_status=case.status)
            await uow.commit()
        closed += len(rows)
        if len(rows) < batch:
            return closed
