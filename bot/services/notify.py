"""Messages to officials, written to the outbox in the caller's transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.model import Outbound
from bot.i18n import translator
from bot.services.context import AppContext
from bot.services.org_view import OrgSnapshot, UnitInfo
from storage.models import Case, ChannelIdentity, Official
from storage.repositories import outbox

DESK_ROLES = ("officer", "head")
PREVIEW = 300


class Notifier:
    def __init__(self, session: AsyncSession, app: AppContext, org: OrgSnapshot) -> None:
        self.session, self.app, self.org = session, app, org

    async def unit_desks(self, unit_id: int) -> list[ChannelIdentity]:
        """The linked accounts of the unit's officers and head."""
        stmt = (
            select(ChannelIdentity)
            .join(Official, Official.id == ChannelIdentity.official_id)
            .where(Official.unit_id == unit_id, Official.active.is_(True), Official.role.in_(DESK_ROLES))
            .order_by(Official.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def new_case(self, case: Case, unit: UnitInfo) -> None:
        for identity in await self.unit_desks(unit.id):
            t = translator("vi")
            category = self.org.categories_by_id.get(case.category_id or -1)
            area = self.org.areas_by_id.get(case.area_id or -1)
            text = t(
                "official.new_case",
                code=case.code,
                kind=t(f"kind.{case.kind}"),
                category=category.name("vi") if category else t("common.none"),
                area=area.name if area else t("common.none"),
                due=t.due(case.due_at, self.app.tz) if case.due_at else t("common.none"),
                text=case.text[:PREVIEW],
            )
            await outbox.add(
                self.session, channel=identity.channel, chat_id=identity.chat_id,
                payload=Outbound(text=text).to_json(), now=self.app.clock.now(), purpose="notice",
                case_id=case.id, dedup_key=f"new:{case.id}:{identity.id}",
            )
