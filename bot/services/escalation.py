"""Acknowledging an escalation ("Đã nắm"): only the official it was addressed to may, and it stops the repeats.

The escalation id arrives as untrusted input (a button's callback data, a typed `/ack 12`), so it is checked
against the official who pressed; someone else's escalation and a missing one get the same answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.context import AppContext
from storage.models import Case, Escalation, OutboxItem

RECENT = 10  # how far back a chat's last message with choices is looked for
ACK_PREFIX = "ack:"
ACK_KEY = re.compile(r"ack:([1-9][0-9]{0,11})")
# "đã nắm", "da nam 12", "đã nắm số 12", folded (no diacritics, lower case) before matching.
TYPED_ACK = re.compile(r"da nam(?: so)?(?: ([1-9][0-9]{0,11}))?")
NUMBER = re.compile(r"[1-9][0-9]{0,11}")


def ack_key(raw: str | None) -> int | None:
    """The escalation id in a choice key `ack:<id>`; None when the key is anything else."""
    found = ACK_KEY.fullmatch(raw or "")
    return int(found[1]) if found else None


def typed_ack(folded: str) -> tuple[bool, int | None]:
    """Whether folded text says "đã nắm", and the id it names if any."""
    found = TYPED_ACK.fullmatch(folded)
    return (False, None) if found is None else (True, int(found[1]) if found[1] else None)


def ack_argument(argument: str) -> int | None:
    """The id in `/ack <id>`; None for no id (or something that is not one)."""
    return int(argument) if NUMBER.fullmatch(argument.strip()) else None


class AckOutcome(StrEnum):
    DONE = "done"
    ALREADY = "already"
    NOT_YOURS = "not_yours"  # addressed to someone else, or no such escalation
    NONE = "none"  # nothing waits for this official
    PICK = "pick"  # several wait: the official chooses


@dataclass(frozen=True, slots=True)
class AckResult:
    outcome: AckOutcome
    code: str | None = None
    at: datetime | None = None
    pending: list[tuple[int, str]] = field(default_factory=list)  # (escalation id, case code)


class Escalations:
    def __init__(self, session: AsyncSession, app: AppContext) -> None:
        self.session, self.app = session, app

    async def pending_for(self, official_id: int) -> list[tuple[int, str]]:
        """Escalations still repeating for this official, oldest first."""
        stmt = (
            select(Escalation.id, Case.code)
            .join(Case, Case.id == Escalation.case_id)
            .where(Escalation.official_id == official_id, Escalation.acknowledged_at.is_(None),
                   Escalation.next_repeat_at.is_not(None))
            .order_by(Escalation.id)
        )
        return [(escalation_id, code) for escalation_id, code in (await self.session.execute(stmt)).all()]

    async def acknowledge(self, official_id: int, escalation_id: int | None) -> AckResult:
        if escalation_id is None:
            pending = await self.pending_for(official_id)
            if not pending:
                return AckResult(AckOutcome.NONE)
            if len(pending) > 1:
                return AckResult(AckOutcome.PICK, pending=pending)
            escalation_id = pending[0][0]
        row = (await self.session.execute(
            select(Escalation, Case.code).join(Case, Case.id == Escalation.case_id)
            .where(Escalation.id == escalation_id)
        )).first()
        if row is None or row[0].official_id != official_id:
            return AckResult(AckOutcome.NOT_YOURS)
        escalation, code = row
        if escalation.acknowledged_at is not None:
            return AckResult(AckOutcome.ALREADY, code=code, at=escalation.acknowledged_at)
        escalation.acknowledged_at = self.app.clock.now()
        escalation.next_repeat_at = None
        await self.session.flush()
        return AckResult(AckOutcome.DONE, code=code)

    async def latest_prompt(self, channel: str, chat_id: str) -> list[tuple[str, str]]:
        """The choices of the last message with choices this chat received, when it was an overdue report:
        a typed "1" or "đã nắm" then answers that report, although another transaction sent it."""
        stmt = (
            select(OutboxItem.payload)
            .where(OutboxItem.channel == channel, OutboxItem.chat_id == chat_id, OutboxItem.status == "sent")
            .order_by(OutboxItem.id.desc()).limit(RECENT)
        )
        for payload in (await self.session.execute(stmt)).scalars():
            choices = [(str(k), str(label)) for k, label in (payload or {}).get("choices") or []]
            if choices:
                return choices if all(k.startswith(ACK_PREFIX) for k, _ in choices) else []
        return []
