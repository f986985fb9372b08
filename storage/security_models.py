"""Tables that keep the service safe to expose: guessing limits, abuse counters, the reveal audit chain.

Imported by storage.models, so the metadata (and the migrations that follow it) include them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class PinGuard(Base):
    """Wrong PINs against one tracking code: each try is counted here BEFORE the PIN is checked (one row lock
    per code), so concurrent guesses cannot exceed the allowance; a right PIN resets it."""

    __tablename__ = "pin_guards"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    next_try_at: Mapped[datetime]  # no PIN is checked for this code before then
    updated_at: Mapped[datetime]


class AbuseCounter(Base):
    """How much one key (an address, a visitor) did in one window: cases filed per day, uploads per hour."""

    __tablename__ = "abuse_counters"
    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class RevealAudit(Base):
    """An append-only, hash-chained record of identity reveals and their approvals: each row's hash covers its
    fields and the previous row's hash (unique, so the chain cannot fork), so an edited or deleted row breaks
    the chain (`tiepdan audit verify`). Nothing in the code updates or deletes a row."""

    __tablename__ = "reveal_audit"
    __table_args__ = (Index("ix_reveal_audit_case", "case_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(16))  # approved | revealed
    case_id: Mapped[int]
    official_id: Mapped[int]  # who approved, or who saw the identity
    other_official_id: Mapped[int]  # approved: for whom; revealed: who approved it
    approval_id: Mapped[int | None] = mapped_column(unique=True)  # revealed: the approval it used (once)
    code_hash: Mapped[str | None] = mapped_column(String(64))  # approved: the approval code, hashed
    reason: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
