"""Four eyes and a tamper-evident record for revealing a denouncer (issue 11).

`tiepdan reveal` used to trust whoever typed `--by`, and its only record was an editable case event. Now a
second official (holding the identity grant, or a leader) issues a one-time approval code for one case and
one requester (`tiepdan reveal-approve`), valid APPROVAL_VALID; the reveal needs it. Both steps append to
`reveal_audit`, a hash chain: each row's SHA-256 covers its fields and the previous row's hash, the previous
hash is unique (the chain cannot fork), and `tiepdan audit verify` recomputes it, naming the first broken row.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.authz import Refused
from storage.models import Official, RevealAudit
from storage.repositories.dialect import is_postgres

APPROVAL_VALID = timedelta(minutes=30)
GENESIS = "0" * 64
APPROVER_ROLES = ("leader", "admin")


def approval_hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().replace("-", "").encode()).hexdigest()


def row_hash(prev_hash: str, at: datetime, action: str, case_id: int, official_id: int, other_official_id: int,
             approval_id: int | None, code_hash: str | None, reason: str) -> str:
    body = json.dumps([prev_hash, at.isoformat(), action, case_id, official_id, other_official_id, approval_id,
                       code_hash, reason], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def _hash_of(row: RevealAudit) -> str:
    return row_hash(row.prev_hash, row.at, row.action, row.case_id, row.official_id, row.other_official_id,
                    row.approval_id, row.code_hash, row.reason)


async def append(session: AsyncSession, *, at: datetime, action: str, case_id: int, official_id: int,
                 other_official_id: int, reason: str, approval_id: int | None = None,
                 code_hash: str | None = None) -> RevealAudit:
    """Add one link to the chain; concurrent appends queue on the table lock (PostgreSQL) or the write
    transaction (SQLite), and a fork would break the unique previous hash anyway."""
    if is_postgres(session):
        await session.execute(text("LOCK TABLE reveal_audit IN SHARE ROW EXCLUSIVE MODE"))
    last = (await session.execute(select(RevealAudit).order_by(RevealAudit.id.desc()).limit(1))).scalar_one_or_none()
    prev = last.hash if last is not None else GENESIS
    row = RevealAudit(at=at, action=action, case_id=case_id, official_id=official_id,
                      other_official_id=other_official_id, approval_id=approval_id, code_hash=code_hash,
                      reason=reason[:2000], prev_hash=prev, hash="")
    row.hash = _hash_of(row)
    session.add(row)
    await session.flush()
    return row


def may_approve(approver: Official, requester: Official) -> bool:
    return (approver.id != requester.id and approver.active
            and (approver.view_identity or approver.role in APPROVER_ROLES))


async def approve(session: AsyncSession, *, case_id: int, requester: Official, approver: Official, reason: str,
                  now: datetime) -> str:
    """A one-time approval code for `requester` to reveal the sender of `case_id`; recorded in the chain."""
    if not may_approve(approver, requester):
        raise Refused("officials.reveal.approver_refused")
    code = secrets.token_hex(4).upper()
    code = f"{code[:4]}-{code[4:]}"
    await append(session, at=now, action="approved", case_id=case_id, official_id=approver.id,
                 other_official_id=requester.id, reason=reason, code_hash=approval_hash(code))
    return code


async def use_approval(session: AsyncSession, *, case_id: int, requester: Official, code: str | None,
                       reason: str, now: datetime) -> RevealAudit:
    """Spend an approval on this reveal (once); records the reveal in the chain. Refused without one."""
    if not code:
        raise Refused("officials.reveal.needs_approval")
    approval = (await session.execute(
        select(RevealAudit).where(RevealAudit.action == "approved", RevealAudit.case_id == case_id,
                                  RevealAudit.other_official_id == requester.id,
                                  RevealAudit.code_hash == approval_hash(code))
    )).scalar_one_or_none()
    if approval is None or approval.at + APPROVAL_VALID < now:
        raise Refused("officials.reveal.bad_approval")
    used = (await session.execute(
        select(RevealAudit.id).where(RevealAudit.approval_id == approval.id))).scalar_one_or_none()
    if used is not None:
        raise Refused("officials.reveal.bad_approval")
    return await append(session, at=now, action="revealed", case_id=case_id, official_id=requester.id,
                        other_official_id=approval.official_id, approval_id=approval.id, reason=reason)


@dataclass(frozen=True, slots=True)
class ChainCheck:
    rows: int
    broken_at: int | None  # the id of the first row whose hash or link does not hold

    @property
    def ok(self) -> bool:
        return self.broken_at is None


async def verify(session: AsyncSession) -> ChainCheck:
    prev, count = GENESIS, 0
    for row in (await session.execute(select(RevealAudit).order_by(RevealAudit.id))).scalars():
        count += 1
        if row.prev_hash != prev or _hash_of(row) != row.hash:
            return ChainCheck(count, row.id)
        prev = row.hash
    return ChainCheck(count, None)
