"""Messages that leave a transaction for someone else's chat: officials' case cards and notices, and what the
citizen is told about their case. All go to the outbox in the caller's transaction, so they are sent only if
the change that caused them commits.

Texts are rendered per recipient, in the language of the recipient's chat. Nothing here ever names the
citizen's account to an official or an official's account to the citizen: the bot is the relay.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.model import EDIT_OF_ROW, Choice, Outbound
from bot.domain.action_keys import Verb, is_case_key, key
from bot.i18n import Translator, translator
from bot.services.context import AppContext
from bot.services.org_view import OrgSnapshot, UnitInfo
from storage.models import Attachment, Case, ChannelIdentity, OutboxItem
from storage.repositories import outbox
from storage.repositories.conversations import ConversationRepository
from storage.repositories.officials import OfficialRepository

DESK_ROLES = ("officer", "head")
CARD_ACTIONS = (Verb.ACCEPT, Verb.ASK, Verb.TRANSFER, Verb.EXTEND, Verb.ANSWER, Verb.REJECT)
PREVIEW = 1200  # the case view's text
CARD_LIMIT = 399  # a card reads on a phone's screen without scrolling, and fits a photo's caption
RECENT = 10  # how far back to look for the last message with choices
MAP_LINK = "https://www.openstreetmap.org/?mlat={lat:.5f}&mlon={lon:.5f}"  # short; previews are off
WARD_KINDS = ("ward", "commune")

Render = Callable[[Translator], str]


def action_choices(t: Translator, case_id: int, verbs: Iterable[Verb]) -> list[Choice]:
    labels = {
        Verb.ACCEPT: t("officials.action.accept"),
        Verb.ASK: t("officials.action.ask"),
        Verb.TRANSFER: t("officials.action.transfer"),
        Verb.EXTEND: t("officials.action.extend"),
        Verb.ANSWER: t("officials.action.answer"),
        Verb.REJECT: t("officials.action.reject"),
        Verb.VIEW: t("officials.action.view"),
        Verb.APPROVE_EXTENSION: t("officials.action.approve_extension"),
        Verb.DECLINE_EXTENSION: t("officials.action.decline_extension"),
        Verb.ASSIGN: t("officials.action.assign"),
    }
    return [Choice(key(verb, case_id), labels[verb]) for verb in verbs]


class Notifier:
    def __init__(self, session: AsyncSession, app: AppContext, org: OrgSnapshot) -> None:
        self.session, self.app, self.org = session, app, org
        self.official_rows, self.conversation_rows = OfficialRepository(session), ConversationRepository(session)

    # --- who ---------------------------------------------------------------------------------------------

    async def unit_desks(self, unit_id: int) -> list[ChannelIdentity]:
        """The linked accounts of the unit's officers and head."""
        return await self.official_rows.accounts_in_unit(unit_id, DESK_ROLES)

    async def receivers(self, unit_id: int) -> list[ChannelIdentity]:
        """Who gets a unit's case cards: its officers and head, or - in a unit without them, like a city's
        leadership - whoever answers for it."""
        return await self.unit_desks(unit_id) or await self.unit_chiefs(unit_id)

    async def unit_chiefs(self, unit_id: int) -> list[ChannelIdentity]:
        """The accounts of whoever answers for the unit: its heads, or its leaders where it has no head."""
        for role in ("head", "leader"):
            found = await self.official_rows.accounts_in_unit(unit_id, (role,))
            if found:
                return found
        return []

    async def accounts_of(self, official_ids: Iterable[int]) -> list[ChannelIdentity]:
        return await self.official_rows.accounts_of(official_ids)

    async def language_of(self, identity: ChannelIdentity, fallback: str = "vi") -> str:
        return await self.conversation_rows.language(identity.channel, identity.chat_id) or fallback

    # --- sending -----------------------------------------------------------------------------------------

    async def send(self, identity: ChannelIdentity, message: Outbound, *, purpose: str, case_id: int | None,
                   dedup_key: str | None = None) -> None:
        await outbox.add(
            self.session, channel=identity.channel, chat_id=identity.chat_id, payload=message.to_json(),
            now=self.app.clock.now(), purpose=purpose, case_id=case_id, dedup_key=dedup_key,
        )

    async def tell(self, recipients: Sequence[ChannelIdentity], render: Render, *, case_id: int | None,
                   choices: Callable[[Translator], list[Choice]] | None = None) -> None:
        """A notice to officials, each in their chat's language."""
        for identity in recipients:
            t = translator(await self.language_of(identity))
            await self.send(identity, Outbound(text=render(t), choices=tuple(choices(t) if choices else ())),
                            purpose="notice", case_id=case_id)

    async def taken(self, case: Case, recipients: Sequence[ChannelIdentity], name: str) -> None:
        """Someone took the case: the others' cards say so and lose their buttons where the channel can edit
        a sent message (Telegram); elsewhere - or when the card has not gone out yet - a one-line notice."""
        code = case.code
        for identity in recipients:
            t = translator(await self.language_of(identity))
            line = t("officials.notice.taken", code=code, name=name)
            shown = await self._card_shown(identity, case.id) if self._edits(identity.channel) else None
            if shown is None:
                await self.send(identity, Outbound(text=line), purpose="notice", case_id=case.id)
                continue
            message_id, payload = shown
            words = f"{line}\n\n{payload.get('caption') or payload.get('text') or ''}".rstrip()
            captioned = bool(payload.get("attachment_ids")) and payload.get("caption") is not None
            await self.send(identity, Outbound(text=words, caption=words if captioned else None, edit=message_id),
                            purpose="notice", case_id=case.id)

    def _edits(self, channel: str) -> bool:
        registry = self.app.channels
        return registry is not None and channel in registry and registry.get(channel).capabilities.edits

    async def _card_shown(self, identity: ChannelIdentity, case_id: int) -> tuple[str, dict] | None:
        """(what to edit, payload) of the last card of the case this chat was shown, or is about to be shown,
        with a Take button: the platform's message id once sent; the outbox row while it still waits (the edit
        follows it in the chat's order)."""
        accept = key(Verb.ACCEPT, case_id)
        stmt = (
            select(OutboxItem.id, OutboxItem.status, OutboxItem.platform_message_id, OutboxItem.payload)
            .where(OutboxItem.channel == identity.channel, OutboxItem.chat_id == identity.chat_id,
                   OutboxItem.case_id == case_id, OutboxItem.status.in_(("sent", "pending")))
            .order_by(OutboxItem.id.desc())
            .limit(RECENT)
        )
        for row_id, status, message_id, payload in (await self.session.execute(stmt)).all():
            if not any(k == accept for k, _ in (payload or {}).get("choices") or []):
                continue
            if status == "pending":
                return f"{EDIT_OF_ROW}{row_id}", payload
            if message_id is not None:
                return str(message_id), payload
        return None

    async def to_citizen(self, case: Case, render: Render, *, purpose: str,
                         choices: Callable[[Translator], list[Choice]] | None = None,
                         attachment_ids: Sequence[int] = ()) -> bool:
        """A message to the account the case answers to; False when there is none (walk-in, phone)."""
        if case.reply_identity_id is None:
            return False
        identity = await self.session.get(ChannelIdentity, case.reply_identity_id)
        if identity is None:
            return False
        t = translator(await self.language_of(identity, case.language))
        message = Outbound(text=render(t), choices=tuple(choices(t) if choices else ()),
                           attachment_ids=tuple(attachment_ids))
        await self.send(identity, message, purpose=purpose, case_id=case.id)
        return True

    async def latest_prompt(self, channel: str, chat_id: str) -> list[tuple[str, str]]:
        """The choices of the last message with choices this chat has received, when they are about a case
        (a card, a question, a rating prompt): a typed "2" then means that message's second choice, even
        though it was sent from another chat's transaction."""
        # Sent, or going out right now (the row is marked sent a moment after the platform took it); not one
        # held back for later (quiet hours, a closed reply window), which the person has not seen.
        shown = (OutboxItem.status == "sent") | (
            (OutboxItem.status == "pending") & (OutboxItem.next_attempt_at <= self.app.clock.now()))
        stmt = (
            select(OutboxItem.payload)
            .where(OutboxItem.channel == channel, OutboxItem.chat_id == chat_id, shown)
            .order_by(OutboxItem.id.desc())
            .limit(RECENT)
        )
        for payload in (await self.session.execute(stmt)).scalars():
            choices = [(str(k), str(label)) for k, label in (payload or {}).get("choices") or []]
            if choices:
                return choices if all(is_case_key(k) for k, _ in choices) else []
        return []

    # --- the case card -----------------------------------------------------------------------------------

    async def new_case(self, case: Case, unit: UnitInfo) -> None:
        """A new case: its card to every officer and the head of its unit."""
        for identity in await self.receivers(unit.id):
            await self._card_to(identity, case, None, dedup_key=f"new:{case.id}:{identity.id}")

    async def card(self, case: Case, recipients: Sequence[ChannelIdentity], header: Render | None) -> None:
        """The card again, with a first line that says why (transferred, reopened, sent up)."""
        for identity in recipients:
            await self._card_to(identity, case, header)

    async def _card_to(self, identity: ChannelIdentity, case: Case, header: Render | None,
                       dedup_key: str | None = None) -> None:
        t = translator(await self.language_of(identity))
        text = self.card_text(t, case)
        if header is not None:
            text = f"{header(t)}\n\n{text}"
        sealed_voices = await self.sealed_voices(case)
        if sealed_voices:
            text = f"{text}\n{t('officials.card_voice_sealed', count=sealed_voices)}"
        media = tuple(await self.media_of(case))
        # The first photo is the card's own photo, the card its caption (where the channel has captions).
        message = Outbound(text=text, choices=tuple(action_choices(t, case.id, CARD_ACTIONS)),
                           attachment_ids=media, caption=text if media else None)
        await self.send(identity, message, purpose="notice", case_id=case.id, dedup_key=dedup_key)

    async def media_of(self, case: Case) -> list[int]:
        """The case's photos and voice notes in hand, oldest first (one still being fetched from its platform
        cannot be sent yet; documents stay in the case view). A denouncer's voice is never forwarded: a voice
        identifies its speaker as surely as a name (see sealed_voices)."""
        kinds = ("photo",) if case.sealed else ("photo", "voice")
        stmt = (
            select(Attachment.id)
            .where(Attachment.case_id == case.id, Attachment.kind.in_(kinds),
                   Attachment.status == "stored")
            .order_by(Attachment.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def sealed_voices(self, case: Case) -> int:
        """How many voice notes of a sealed case are kept back from the officials (they may ask for a
        transcript, made by someone entitled to hear the recording)."""
        if not case.sealed:
            return 0
        stmt = select(func.count(Attachment.id)).where(Attachment.case_id == case.id, Attachment.kind == "voice")
        return int((await self.session.execute(stmt)).scalar_one())

    def _place(self, case: Case) -> str | None:
        """The case's area, with its ward when the area is a part of one (a residential group)."""
        area = self.org.areas_by_id.get(case.area_id or -1)
        if area is None:
            return None
        ward = area
        while ward is not None and ward.kind not in WARD_KINDS:
            ward = self.org.areas.get(ward.parent_code) if ward.parent_code else None
        return area.name if ward is None or ward is area else f"{area.name}, {ward.name}"

    def card_text(self, t: Translator, case: Case, *, whole: bool = False) -> str:
        """Code, kind, category, area and its ward, due date, location and text; never who sent it. A card
        stays under CARD_LIMIT characters (the text cut short); `whole`: the case view, with the full text."""
        category = self.org.categories_by_id.get(case.category_id or -1)
        place = self._place(case)
        unit = self.org.units_by_id.get(case.unit_id)
        tz = self.app.tz
        lines = [t(
            "officials.card",
            code=case.code, kind=t(f"kind.{case.kind}"),
            category=category.name(t.language) if category else t("common.none"),
            area=place or t("common.none"),
            unit=unit.name(t.language) if unit else t("common.none"),
            due=t.due(case.due_at, tz) if case.due_at else t("common.none"),
        )]
        if case.accept_due_at is not None and case.accepted_at is None:
            lines.append(t("officials.card_accept_due", due=t.due(case.accept_due_at, tz)))
        if case.lat is not None and case.lon is not None:
            lines.append(t("officials.card_location", lat=f"{case.lat:.6f}", lon=f"{case.lon:.6f}",
                           link=MAP_LINK.format(lat=case.lat, lon=case.lon)))
        contact = (case.details or {}).get("contact")
        if contact and not case.sealed:
            lines.append(t("officials.card_contact", source=t(f"officials.source.{case.source}"), contact=contact))
        suggestion = (case.details or {}).get("suggestion") or {}
        suggested = self.org.categories.get(suggestion.get("category") or "")
        if suggested is not None and suggestion.get("why"):
            words = ", ".join(f"\u201c{w}\u201d" for w in suggestion["why"])
            lines.append(t("officials.card_suggested", category=suggested.name(t.language), words=words))
        limit = PREVIEW if whole else CARD_LIMIT - len("\n".join(lines)) - len(t("officials.card_text", text="")) - 1
        text = case.text if len(case.text) <= limit else case.text[:max(limit - 1, 20)].rstrip() + "…"
        lines.append(t("officials.card_text", text=text))
        return "\n".join(lines)
