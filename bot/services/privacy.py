"""The citizen's privacy rights: see, export, correct, withdraw consent, delete (pseudonymise).

Deleting keeps the cases the administration must keep, under the citizen's pseudonym, and removes the person:
channel accounts, phone, name, consents, drafts, conversation state and the raw messages of their chats. The
last reply ("your account is deleted") needs the chat to be sent, so the chat's own traces are wiped by
`complete_erasures` once nothing is left to send to it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, cast, delete, exists, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.webchat import CHANNEL as WEB_CHANNEL
from bot.clock import Clock
from bot.domain.owners import Holder, owner
from bot.services.context import AppContext
from bot.services.evidence import Evidence
from bot.services.media import new_attachment
from bot.services.org_view import OrgSnapshot
from storage.models import (
    AnnouncementRecipient,
    Attachment,
    Case,
    CaseDraft,
    ChannelIdentity,
    Citizen,
    Consent,
    Conversation,
    DialogueQuestion,
    DialogueSupport,
    Erasure,
    InboxItem,
    OutboxItem,
    Subscription,
    WebMessage,
    WebPushSubscription,
)
from storage.repositories.cases import CaseRepository
from storage.repositories.dialect import is_postgres, rowcount
from storage.uow import Database

OPTIONAL = "optional_data"  # consent for data we can do without: the phone number
PROCESSING = "processing"
ERASED_CHAT = "erased"  # what an erased chat's raw updates are filed under; their platform ids stay, so a
# repeated delivery is still recognised and dropped
WAIT_FOR_LAST_REPLY = timedelta(days=1)  # after this long an undelivered reply no longer delays the wipe


@dataclass(frozen=True, slots=True)
class ConsentLine:
    purpose: str
    version: str
    granted_at: datetime
    withdrawn_at: datetime | None


@dataclass(frozen=True, slots=True)
class Overview:
    pseudonym: str
    phone: str | None
    language: str
    channels: list[str]
    consents: list[ConsentLine]
    case_codes: list[str]
    drafts: int


class Privacy:
    def __init__(self, session: AsyncSession, app: AppContext, org: OrgSnapshot) -> None:
        self.session, self.app, self.org = session, app, org
        self.case_rows = CaseRepository(session)

    async def _citizen(self, citizen_id: int) -> Citizen:
        citizen = await self.session.get(Citizen, citizen_id)
        if citizen is None:
            raise LookupError(f"citizen {citizen_id}")
        return citizen

    async def _identities(self, citizen_id: int) -> list[ChannelIdentity]:
        stmt = select(ChannelIdentity).where(ChannelIdentity.citizen_id == citizen_id).order_by(ChannelIdentity.id)
        return list((await self.session.execute(stmt)).scalars())

    async def _consents(self, citizen_id: int) -> list[Consent]:
        stmt = select(Consent).where(Consent.citizen_id == citizen_id).order_by(Consent.granted_at, Consent.id)
        return list((await self.session.execute(stmt)).scalars())

    async def _drafts(self, citizen_id: int, chats: list[tuple[str, str]]) -> list[CaseDraft]:
        stmt = select(CaseDraft).where(or_(CaseDraft.citizen_id == citizen_id, *_chat_is(CaseDraft, chats)))
        return list((await self.session.execute(stmt.order_by(CaseDraft.id))).scalars())

    # --- consent ------------------------------------------------------------------------------------------

    async def earlier_consent(self, citizen_id: int) -> str | None:
        """The notice version the citizen last agreed to, when it is not the current one."""
        versions = [c.notice_version for c in await self._consents(citizen_id)
                    if c.purpose == PROCESSING and c.withdrawn_at is None]
        if not versions or self.org.notice_version in versions:
            return None
        return versions[-1]

    # --- see ----------------------------------------------------------------------------------------------

    async def overview(self, citizen_id: int) -> Overview:
        citizen = await self._citizen(citizen_id)
        identities = await self._identities(citizen_id)
        chats = [(i.channel, i.chat_id) for i in identities]
        return Overview(
            pseudonym=citizen.pseudonym, phone=citizen.phone, language=citizen.language,
            channels=sorted({i.channel for i in identities}),
            consents=[ConsentLine(c.purpose, c.notice_version, c.granted_at, c.withdrawn_at)
                      for c in await self._consents(citizen_id)],
            case_codes=[c.code for c in await self.case_rows.all_of_citizen(citizen_id)],
            drafts=len(await self._drafts(citizen_id, chats)),
        )

    # --- export -------------------------------------------------------------------------------------------

    async def export(self, citizen_id: int, now: datetime) -> int:
        """Everything stored about the citizen as a JSON document; the attachment id to send."""
        data = await self.everything(citizen_id, now)
        body = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
        await self.session.execute(delete(Attachment).where(Attachment.owner_key == owner(Holder.EXPORT, citizen_id)))
        row = new_attachment("document", "application/json", body, now, owner_key=owner(Holder.EXPORT, citizen_id))
        row.name = f"tiepdan-{data['citizen']['pseudonym']}.json"
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def everything(self, citizen_id: int, now: datetime) -> dict[str, Any]:
        citizen = await self._citizen(citizen_id)
        identities = await self._identities(citizen_id)
        chats = [(i.channel, i.chat_id) for i in identities]
        return {
            "exported_at": now.isoformat(),
            "notice_version": self.org.notice_version,
            "citizen": {"pseudonym": citizen.pseudonym, "display_name": citizen.display_name,
                        "phone": citizen.phone, "language": citizen.language,
                        "created_at": citizen.created_at.isoformat()},
            "accounts": [{"channel": i.channel, "account_id": i.external_id, "chat_id": i.chat_id,
                          "created_at": i.created_at, "last_message_at": i.last_inbound_at} for i in identities],
            "consents": [{"purpose": c.purpose, "notice_version": c.notice_version, "granted_at": c.granted_at,
                          "withdrawn_at": c.withdrawn_at} for c in await self._consents(citizen_id)],
            "conversations": [{"channel": c.channel, "chat_id": c.chat_id, "flow": c.flow, "step": c.step,
                               "data": c.data, "language": c.language, "updated_at": c.updated_at}
                              for c in await self._rows(Conversation, chats)],
            "drafts": [{"channel": d.channel, "chat_id": d.chat_id, "content": d.facts,
                        "created_at": d.created_at, "updated_at": d.touched_at}
                       for d in await self._drafts(citizen_id, chats)],
            "cases": [await self._case_export(c) for c in await self.case_rows.all_of_citizen(citizen_id)],
            "messages_received": [{"channel": r.channel, "at": r.received_at, "update": r.payload}
                                  for r in await self._inbox(chats)],
            "messages_sent": [{"channel": r.channel, "at": r.created_at, "status": r.status,
                               "message": r.payload} for r in await self._rows(OutboxItem, chats)],
        }

    async def _case_export(self, case: Case) -> dict[str, Any]:
        category = self.org.categories_by_id.get(case.category_id or -1)
        area = self.org.areas_by_id.get(case.area_id or -1)
        unit = self.org.units_by_id.get(case.unit_id)
        attachments = (await self.session.execute(
            select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)
        )).scalars()
        # The public history only: officials' internal notes and who they are belong to the administration.
        events = await self.case_rows.history(case.id, public_only=True)
        return {
            "code": case.code, "kind": case.kind, "status": case.status,
            "category": category.code if category else None, "area": area.code if area else None,
            "unit": unit.code if unit else None, "text": case.text, "lat": case.lat, "lon": case.lon,
            "details": case.details, "created_at": case.created_at, "due_at": case.due_at,
            "resolved_at": case.resolved_at, "rating": case.rating,
            "history": [{"at": e.at, "action": e.action, "note": e.note} for e in events],
            "attachments": [{"id": a.id, "kind": a.kind, "mime": a.mime, "size": a.size, "sha256": a.sha256,
                             "status": a.status, "created_at": a.created_at} for a in attachments],
        }

    async def _rows(self, model: Any, chats: list[tuple[str, str]]) -> list[Any]:
        if not chats:
            return []
        stmt = select(model).where(or_(*_chat_is(model, chats)))
        order = model.id if hasattr(model, "id") else model.updated_at
        return list((await self.session.execute(stmt.order_by(order))).scalars())

    async def _inbox(self, chats: list[tuple[str, str]]) -> list[InboxItem]:
        if not chats:
            return []
        stmt = select(InboxItem).where(or_(*(and_(InboxItem.channel == ch, InboxItem.chat_key == chat)
                                             for ch, chat in chats)))
        return list((await self.session.execute(stmt.order_by(InboxItem.id))).scalars())

    # --- correct and withdraw -----------------------------------------------------------------------------

    async def set_phone(self, citizen_id: int, phone: str, now: datetime) -> None:
        """Keep a phone number the citizen gave; giving it is consenting to keep this optional data."""
        citizen = await self._citizen(citizen_id)
        citizen.phone = phone
        consents = await self._consents(citizen_id)
        if not any(c.purpose == OPTIONAL and c.withdrawn_at is None and c.notice_version == self.org.notice_version
                   for c in consents):
            self.session.add(Consent(citizen_id=citizen_id, purpose=OPTIONAL,
                                     notice_version=self.org.notice_version, granted_at=now))
        await self.session.flush()

    async def withdraw_optional(self, citizen_id: int, now: datetime) -> bool:
        """Withdraw consent for optional data: the phone number goes with it. False if there was nothing."""
        citizen = await self._citizen(citizen_id)
        had = citizen.phone is not None
        result = await self.session.execute(
            update(Consent).where(Consent.citizen_id == citizen_id, Consent.purpose == OPTIONAL,
                                  Consent.withdrawn_at.is_(None)).values(withdrawn_at=now)
        )
        citizen.phone = None
        await self.session.flush()
        return had or bool(rowcount(result))

    # --- delete -------------------------------------------------------------------------------------------

    async def delete_account(self, citizen_id: int, now: datetime) -> str:
        """Pseudonymise the citizen; returns the pseudonym their cases keep."""
        citizen = await self._citizen(citizen_id)
        identities = await self._identities(citizen_id)
        chats = [(i.channel, i.chat_id) for i in identities]
        identity_ids = [i.id for i in identities]
        drafts = await self._drafts(citizen_id, chats)
        await Evidence(self.session).drop([d.id for d in drafts])
        if drafts:
            await self.session.execute(delete(CaseDraft).where(CaseDraft.id.in_([d.id for d in drafts])))
        owners = [owner(Holder.EXPORT, citizen_id)] + [owner(Holder.WEB_UPLOAD, chat) for ch, chat in chats if ch == WEB_CHANNEL]
        await self.session.execute(delete(Attachment).where(Attachment.owner_key.in_(owners)))
        if identity_ids:
            # Cases stay, but nobody can be reached through them any more.
            await self.session.execute(
                update(Case).where(Case.reply_identity_id.in_(identity_ids)).values(reply_identity_id=None)
            )
            await self.session.execute(delete(Subscription).where(Subscription.identity_id.in_(identity_ids)))
            await self.session.execute(  # the announcements' tallies stay, without the person's chat
                update(AnnouncementRecipient).where(AnnouncementRecipient.identity_id.in_(identity_ids))
                .values(identity_id=None, chat_id=ERASED_CHAT))
            for model in (DialogueQuestion, DialogueSupport):  # the minutes keep the words, not the chat
                await self.session.execute(update(model).where(model.identity_id.in_(identity_ids))
                                           .values(identity_id=None))
            await self.session.execute(delete(ChannelIdentity).where(ChannelIdentity.id.in_(identity_ids)))
        web_chats = [chat for ch, chat in chats if ch == WEB_CHANNEL]
        if web_chats:  # nobody is called back any more
            await self.session.execute(delete(WebPushSubscription).where(WebPushSubscription.chat_id.in_(web_chats)))
        await self.session.execute(delete(Consent).where(Consent.citizen_id == citizen_id))
        citizen.phone = citizen.display_name = None
        citizen.deleted_at = now
        for channel, chat_id in chats:
            self.session.add(Erasure(channel=channel, chat_id=chat_id, scope="account", requested_at=now))
        await self.session.flush()
        return citizen.pseudonym

    async def forget_messages_later(self, channel: str, chat_id: str, now: datetime) -> None:
        """Wipe the chat's raw updates (profile names included) once they are all handled (denunciations)."""
        self.session.add(Erasure(channel=channel, chat_id=chat_id, scope="inbox", requested_at=now))
        await self.session.flush()


def _chat_is(model: Any, chats: list[tuple[str, str]]) -> list[Any]:
    return [and_(model.channel == channel, model.chat_id == chat) for channel, chat in chats]


# --- finishing erasures (a catch-up job: run it as often as you like) -------------------------------------

async def complete_erasures(db: Database, clock: Clock) -> int:
    """Wipe the traces of erased chats once their last messages are handled and sent; the number finished."""
    now = clock.now()
    done = 0
    async with db.unit_of_work() as uow:
        session = uow.session
        stmt = select(Erasure).order_by(Erasure.id).limit(500)
        if is_postgres(session):  # another process finishing erasures skips these
            stmt = stmt.with_for_update(skip_locked=True)
        for erasure in list((await session.execute(stmt)).scalars()):
            if await _still_busy(session, erasure) and now - erasure.requested_at < WAIT_FOR_LAST_REPLY:
                continue
            await _wipe(session, erasure)
            await session.execute(delete(Erasure).where(Erasure.id == erasure.id))
            done += 1
        await uow.commit()
    return done


async def _still_busy(session: AsyncSession, erasure: Erasure) -> bool:
    unhandled = exists().where(
        InboxItem.channel == erasure.channel, InboxItem.chat_key == erasure.chat_id, InboxItem.status == "new",
        InboxItem.received_at <= erasure.requested_at,
    )
    unsent = exists().where(
        OutboxItem.channel == erasure.channel, OutboxItem.chat_id == erasure.chat_id,
        OutboxItem.status.in_(("pending", "held")), OutboxItem.created_at <= erasure.requested_at,
    )
    return bool((await session.execute(select(unhandled | unsent))).scalar())


async def _wipe(session: AsyncSession, erasure: Erasure) -> None:
    channel, chat_id, until = erasure.channel, erasure.chat_id, erasure.requested_at
    await session.execute(
        update(InboxItem)
        .where(InboxItem.channel == channel, InboxItem.chat_key == chat_id, InboxItem.received_at <= until,
               InboxItem.status != "new")
        .values(payload={}, profile=None, chat_key=ERASED_CHAT,
                platform_id=literal("erased:") + cast(InboxItem.id, String))  # a web id names the visitor
    )
    if erasure.scope != "account":
        return
    await session.execute(delete(OutboxItem).where(
        OutboxItem.channel == channel, OutboxItem.chat_id == chat_id, OutboxItem.created_at <= until))
    await session.execute(delete(Conversation).where(
        Conversation.channel == channel, Conversation.chat_id == chat_id, Conversation.updated_at <= until))
    if channel == WEB_CHANNEL:  # the whole transcript, the final reply (written after the request) included
        await session.execute(delete(WebMessage).where(WebMessage.chat_id == chat_id))
