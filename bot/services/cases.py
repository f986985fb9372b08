"""What a citizen may read about their own cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.cases import PublicEvent
from bot.services.context import AppContext
from bot.services.org_view import OrgSnapshot
from storage.models import Case
from storage.repositories.cases import CaseRepository

PAGE_SIZE = 5


@dataclass(frozen=True, slots=True)
class CaseLine:
    code: str
    kind: str
    status: str
    category: str | None
    unit: str
    due_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CitizenCaseView:
    line: CaseLine
    text: str
    history: list[PublicEvent]


class CaseQueries:
    def __init__(self, session: AsyncSession, app: AppContext, org: OrgSnapshot) -> None:
        self.session, self.app, self.org = session, app, org
        self.case_rows = CaseRepository(session)

    async def mine(self, citizen_id: int, page: int, language: str) -> tuple[list[CaseLine], int]:
        """One page of the citizen's cases, newest first, and the number of pages."""
        rows, total = await self.case_rows.for_citizen(citizen_id, page * PAGE_SIZE, PAGE_SIZE)
        pages = max(1, -(-total // PAGE_SIZE))
        return [self._line(c, language) for c in rows], pages

    async def one_of_mine(self, citizen_id: int, code: str, language: str) -> CitizenCaseView | None:
        """A case by code, only if it is this citizen's: anyone else's looks exactly like a missing one."""
        case = await self.case_rows.by_code(code)
        if case is None or case.citizen_id != citizen_id:
            return None
        events = await self.case_rows.history(case.id, public_only=True)
        return CitizenCaseView(
            self._line(case, language), case.text, [PublicEvent(e.at, e.action, e.note) for e in events]
        )

    def _line(self, case: Case, language: str) -> CaseLine:
        category = self.org.categories_by_id.get(case.category_id or -1)
        unit = self.org.units_by_id.get(case.unit_id)
        return CaseLine(
            code=case.code, kind=case.kind, status=case.status,
            category=category.name(language) if category else None,
            unit=unit.name(language) if unit else "", due_at=case.due_at, created_at=case.created_at,
        )
