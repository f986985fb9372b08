"""What officials teach the matcher: a case re-categorised (or sent to another unit for "not ours") becomes an
example of its final category, used from the next read of the organisation snapshot on.

`tiepdan examples list` shows them, `tiepdan examples remove ID...` takes a wrong lesson back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Case, Category, CategoryExample

MAX_TEXT = 2000  # an example is the start of a case's text: enough to learn its phrasing


@dataclass(frozen=True, slots=True)
class Example:
    id: int
    category: str
    previous: str | None
    reason: str
    case_code: str | None
    text: str
    created_at: datetime


async def teach(session: AsyncSession, case: Case, category_id: int, previous_id: int | None,
                official_id: int | None, reason: str, now: datetime) -> CategoryExample:
    row = CategoryExample(category_id=category_id, text=case.text[:MAX_TEXT], case_id=case.id,
                          official_id=official_id, reason=reason, previous_category_id=previous_id,
                          created_at=now)
    session.add(row)
    await session.flush()
    return row


async def list_examples(session: AsyncSession, category: str | None = None) -> list[Example]:
    previous = aliased(Category)
    stmt = (
        select(CategoryExample, Category.code, previous.code, Case.code)
        .join(Category, Category.id == CategoryExample.category_id)
        .outerjoin(previous, previous.id == CategoryExample.previous_category_id)
        .outerjoin(Case, Case.id == CategoryExample.case_id)
        .order_by(CategoryExample.id)
    )
    if category:
        stmt = stmt.where(Category.code == category)
    return [
        Example(row.id, code, before, row.reason, case_code, row.text, row.created_at)
        for row, code, before, case_code in (await session.execute(stmt)).all()
    ]


async def remove_examples(session: AsyncSession, ids: list[int]) -> list[int]:
    """Remove these examples; returns the ids that existed."""
    found = list((await session.execute(
        select(CategoryExample.id).where(CategoryExample.id.in_(ids))
    )).scalars())
    if found:
        await session.execute(delete(CategoryExample).where(CategoryExample.id.in_(found)))
    return sorted(found)
