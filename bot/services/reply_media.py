"""The photos and voice notes of a citizen's answer to an official's question, relayed once in hand.

The answer's words go to the official at once (bot.services.verdicts); its files are still on the platform
then. They are recorded on the case (its evidence) with an owner key naming the answer; when the media job
has fetched and checked one, `relay_stored` sends it to whoever holds the case and clears the key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.model import Outbound
from bot.domain.owners import Holder, held_by
from bot.i18n import translator
from storage.models import Attachment, Case, ChannelIdentity
from storage.repositories import outbox
from storage.repositories.conversations import ConversationRepository
from storage.repositories.officials import OfficialRepository

DESK_ROLES = ("officer", "head")


def is_reply_media(row: Attachment) -> bool:
    return held_by(row.owner_key, Holder.REPLY)


async def _holders(session: AsyncSession, case: Case) -> list[ChannelIdentity]:
    """The holder's accounts, or the unit's desk when nobody holds the case."""
    officials = OfficialRepository(session)
    if case.assignee_id:
        return await officials.accounts_of([case.assignee_id])
    return await officials.accounts_in_unit(case.unit_id, DESK_ROLES)


async def relay_stored(session: AsyncSession, row: Attachment, now: datetime) -> int:
    """Send a fetched file of an answer to the case's holder; the number of messages written."""
    if not is_reply_media(row) or row.case_id is None:
        return 0
    row.owner_key = None
    case = await session.get(Case, row.case_id)
    if case is None:
        return 0
    written = 0
    for identity in await _holders(session, case):
        t = translator(await ConversationRepository(session).language(identity.channel, identity.chat_id) or "vi")
        text = t("officials.notice.reply_media", code=case.code, what=t(f"report.media_kind.{row.kind}"))
        await outbox.add(session, channel=identity.channel, chat_id=identity.chat_id,
                         payload=Outbound(text=text, attachment_ids=(row.id,)).to_json(), now=now,
                         purpose="notice", case_id=case.id, dedup_key=f"reply-media:{row.id}:{identity.id}")
        written += 1
    return written
