"""Notices to officials: who should hear about a case, and how their notices reach the outbox.

A `Letterbox` collects the letters of one transaction and writes them at the end: per chat, more than
`BUNDLE_OVER` letters become one combined message; outside quiet hours a letter is held (status `held`,
`next_attempt_at` = when the window opens) unless the official opted out. Held letters do not block the chat's
other messages (the dispatcher only takes pending rows); the sweep releases them when the window opens, and an
official who writes to the bot meanwhile gets them at once (`outbox.release_held`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.model import Choice, Outbound
from bot.domain.calendar import WorkingCalendar
from bot.domain.reminders import QuietHours
from bot.i18n import translator
from bot.services.org_view import OrgSnapshot
from storage.models import OutboxItem
from storage.repositories.dialect import insert_for
from storage.repositories.officials import OfficialRepository

BUNDLE_OVER = 5  # more letters than this to one chat in one go are combined into one message
OFFICIAL_PURPOSES = ("deadline", "digest")  # outbox purposes whose held rows the quiet hours release


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
        return int((await session.execute(stmt)).rowcount or 0)


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
    return int(result.rowcount or 0)
