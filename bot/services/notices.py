"""Notices: every message that leaves a transaction for someone else's chat - officials' case cards and
notices, what the citizen is told about their case, and the deadline letters of the sweep and the digest. All
go to the outbox in the caller's transaction, so they are sent only if the change that caused them commits.

Texts are rendered per recipient, in the language of the recipient's chat. Nothing here ever names the
citizen's account to an official or an official's account to the citizen: the bot is the relay.

`Notifier` writes at once. A `Letterbox` collects the letters of one transaction and writes them at the end:
per chat, more than `BUNDLE_OVER` letters become one combined message; outside quiet hours a letter is held
(status `held`, `next_attempt_at` = when the window opens) unless the official opted out. Held letters do not
block the chat's other messages (the dispatcher only takes pending rows); the sweep releases them when the
window opens, and an official who writes to the bot meanwhile gets them at once (`outbox.release_held`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.model import EDIT_OF_ROW, Choice, Outbound
from bot.domain.action_keys import Verb, is_case_key, key
from bot.domain.calendar import WorkingCalendar
from bot.domain.reminders import QuietHours
from bot.i18n import Translator, translator
from bot.services.context import AppContext
from bot.services.org_view import AreaInfo, OrgSnapshot, UnitInfo
from storage.models import Attachment, Case, ChannelIdentity, OutboxItem
from storage.repositories import outbox
from storage.repositories.conversations import ConversationRepository
from storage.repositories.dialect import insert_for, rowcount
from storage.repositories.officials import OfficialRepository

DESK_ROLES = ("officer", "head")
CARD_ACTIONS = (Verb.ACCEPT, Verb.ASK, Verb.TRANSFER, Verb.EXTEND, Verb.ANSWER, Verb.REJECT)
PREVIEW = 1200  # the case view's text
CARD_LIMIT = 399  # a card reads on a phone's screen without scrolling, and fits a photo's caption
RECENT = 10  # how far back to look for the last message with choices
MAP_LINK = "https://www.openstreetmap.org/?mlat={lat:.5f}&mlon={lon:.5f}"  # short; previews are off
WARD_KINDS = ("ward", "commune")
BUNDLE_OVER = 5  # more letters than this to one chat in one go are combined into one message
OFFICIAL_PURPOSES = ("deadline", "digest")  # outbox purposes whose held rows the quiet hours release

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

    async def _card_shown(self, identity: ChannelIdentity, case_id: int) -> tuple[str, dict[str, Any]] | None:
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
        ward: AreaInfo | None = area
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


# --- deadline letters: collected per transaction, bundled, held for quiet hours ---------------------------


@dataclass(frozen=True, slots=True)
class Reach:
    """One linked messenger account of an official."""

    identity_id: int
    channel: str
    chat_id: str
    official_id: int
    language: str
    opt_out: bool  # the official asked to get notices at any hour


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    name: str
    unit_id: int
    role: str


@dataclass(frozen=True, slots=True)
class Letter:
    to: Reach
    text: str
    dedup_key: str
    choices: tuple[Choice, ...] = ()
    case_id: int | None = None
    attachment_ids: tuple[int, ...] = ()
    purpose: str = "deadline"
    caption: str | None = None
    code: str | None = None  # the case's code, to tell its choices apart in a bundle


class Recipients:
    """Recipients and their accounts, looked up once per unit of work."""

    def __init__(self, session: AsyncSession, org: OrgSnapshot) -> None:
        self.session, self.org = session, org
        self.official_rows = OfficialRepository(session)
        self._people: dict[tuple[int, tuple[str, ...]], list[Person]] = {}
        self._reach: dict[int, list[Reach]] = {}
        self._names: dict[int, str] = {}

    async def in_unit(self, unit_id: int, roles: Sequence[str]) -> list[Person]:
        key = (unit_id, tuple(roles))
        if key not in self._people:
            self._people[key] = [Person(*row) for row in await self.official_rows.in_unit(unit_id, roles)]
        return self._people[key]

    async def first_of(self, unit_id: int, *role_order: str) -> list[Person]:
        """The officials of the first role in `role_order` the unit has (e.g. its heads, else its leaders)."""
        for role in role_order:
            people = await self.in_unit(unit_id, (role,))
            if people:
                return people
        return []

    async def leading(self, unit_code: str | None, *role_order: str) -> list[Person]:
        """Who leads `unit_code`, climbing the tree when a unit has nobody in those roles."""
        seen: set[str] = set()
        while unit_code is not None and unit_code in self.org.units and unit_code not in seen:
            seen.add(unit_code)
            unit = self.org.units[unit_code]
            people = await self.first_of(unit.id, *role_order)
            if people:
                return people
            unit_code = unit.parent_code
        return []

    async def name(self, official_id: int | None) -> str | None:
        if official_id is None:
            return None
        if official_id not in self._names:
            self._names[official_id] = (await self.official_rows.names([official_id])).get(official_id, "")
        return self._names[official_id]

    async def reach(self, official_ids: Iterable[int]) -> list[Reach]:
        """The linked accounts of these officials (active ones), in the order given."""
        ids = list(dict.fromkeys(official_ids))
        missing = [i for i in ids if i not in self._reach]
        if missing:
            for official_id in missing:
                self._reach[official_id] = []
            for identity_id, channel, chat_id, official_id, language, opt_out in await self.official_rows.reach(missing):
                self._reach[official_id].append(
                    Reach(identity_id, channel, chat_id, official_id, language or "vi", bool(opt_out))
                )
        return [r for i in ids for r in self._reach[i]]


@dataclass
class Letterbox:
    """Letters of one transaction, written to the outbox by `post`."""

    calendar: WorkingCalendar
    quiet: QuietHours
    letters: list[Letter] = field(default_factory=list)

    def add(self, letter: Letter) -> None:
        self.letters.append(letter)

    async def post(self, session: AsyncSession, now: datetime) -> int:
        """Write the letters (combined per chat when there are too many); the number of rows written."""
        by_chat: dict[tuple[str, str], list[Letter]] = {}
        for letter in self.letters:
            by_chat.setdefault((letter.to.channel, letter.to.chat_id), []).append(letter)
        self.letters = []
        written = 0
        for letters in by_chat.values():
            batch = [combine(letters)] if len(letters) > BUNDLE_OVER else letters
            for letter in batch:
                written += await self._write(session, letter, now)
        return written

    async def _write(self, session: AsyncSession, letter: Letter, now: datetime) -> int:
        release = now if letter.to.opt_out else self.quiet.next_allowed(now, self.calendar)
        held = release > now
        payload = Outbound(text=letter.text, choices=letter.choices, attachment_ids=letter.attachment_ids,
                           caption=letter.caption)
        stmt = insert_for(session, OutboxItem).values(
            channel=letter.to.channel, chat_id=letter.to.chat_id, payload=payload.to_json(),
            purpose=letter.purpose, case_id=letter.case_id, dedup_key=letter.dedup_key,
            status="held" if held else "pending", attempts=0, next_attempt_at=release, created_at=now,
        ).on_conflict_do_nothing(index_elements=["dedup_key"])
        return rowcount(await session.execute(stmt))


def combine(letters: list[Letter]) -> Letter:
    """One message for many letters to the same chat: a header, then each letter whole, every choice kept."""
    first = letters[0]
    t = translator(first.to.language)
    text = "\n".join([t("deadline.bundle", count=len(letters)), *(f"- {letter.text}" for letter in letters)])
    choices = tuple(dict.fromkeys(
        Choice(c.key, f"{c.label} {letter.code}") if letter.code else c for letter in letters for c in letter.choices))
    digest = hashlib.sha256("\n".join(sorted(letter.dedup_key for letter in letters)).encode()).hexdigest()
    return Letter(to=first.to, text=text, dedup_key=f"bundle:{digest[:48]}", choices=choices,
                  purpose=first.purpose)


async def release_held(session: AsyncSession, now: datetime) -> int:
    """Notices held for quiet hours whose window has opened go to the dispatcher.

    Only rows the dispatcher never tried (attempts = 0): a row it held for a closed reply window waits for
    the chat to write again, as the dispatcher decided.
    """
    result = await session.execute(
        update(OutboxItem)
        .where(OutboxItem.status == "held", OutboxItem.next_attempt_at <= now, OutboxItem.attempts == 0,
               OutboxItem.purpose.in_(OFFICIAL_PURPOSES))
        .values(status="pending")
    )
    return rowcount(result)
