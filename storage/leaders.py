"""Leaders' own work under "5 rõ": breakthrough tasks and programme items (one table, tracked alike), their
milestones, progress reports, the standing committee's decisions, and overseers' recommendations.

Imported by storage.models, so the metadata (and Alembic) see these tables with the rest.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class Programme(Base):
    """A programme or project of the committee (chương trình/đề án), broken into work items."""

    __tablename__ = "programmes"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    year: Mapped[int]
    created_by: Mapped[int] = mapped_column(ForeignKey("officials.id"))
    created_at: Mapped[datetime]


class WorkItem(Base):
    """A breakthrough task of a leader (kind `task`) or a programme's work item (kind `item`).

    status: draft | submitted | change_requested | returned | approved | done | not_done
    (a task becomes `approved` only by the standing committee; a programme item is approved when recorded).
    """

    __tablename__ = "work_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    year: Mapped[int] = mapped_column(index=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), index=True)  # the responsible leader
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # the unit that carries it out
    title: Mapped[str] = mapped_column(String(255))
    problem: Mapped[str | None] = mapped_column(Text)
    expected_result: Mapped[str | None] = mapped_column(Text)
    method: Mapped[str | None] = mapped_column(Text)
    resources: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    percent: Mapped[int] = mapped_column(default=0)
    comment: Mapped[str | None] = mapped_column(Text)  # the committee's last comment
    closed_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


class Milestone(Base):
    __tablename__ = "work_milestones"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id"), index=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(255))
    due: Mapped[date] = mapped_column(Date)
    first_due: Mapped[date] = mapped_column(Date)  # as registered: a re-dated milestone keeps its history
    redated: Mapped[bool] = mapped_column(Boolean, default=False)  # once per milestone
    done_at: Mapped[datetime | None]


class WorkProgress(Base):
    __tablename__ = "work_progress"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id"), index=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"))
    period: Mapped[str | None] = mapped_column(String(16))  # the prompt's month, e.g. 2026-03
    percent: Mapped[int]
    note: Mapped[str | None] = mapped_column(Text)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    at: Mapped[datetime]


class WorkDecision(Base):
    """Something only the standing committee decides: a registration, a new date, a close as not done.

    kind: register | redate | not_done; status: pending | accepted | refused (register: approved |
    change_requested | returned).
    """

    __tablename__ = "work_decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("work_milestones.id"))
    new_due: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    comment: Mapped[str | None] = mapped_column(Text)
    asked_by: Mapped[int] = mapped_column(ForeignKey("officials.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class Recommendation(Base):
    """An overseer's recommendation (kiến nghị) to a unit: tracked until the unit answers, on time or late."""

    __tablename__ = "recommendations"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    overseer_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), index=True)
    from_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    due: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    answered_at: Mapped[datetime | None]
