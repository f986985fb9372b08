"""The media store: photos and voice notes in the database by default, so several machines share them."""

from __future__ import annotations

import hashlib
from datetime import datetime

from storage.models import Attachment
from storage.uow import Database


class MediaStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def load(self, attachment_id: int) -> tuple[bytes, str, str]:
        async with self.db.unit_of_work(readonly=True) as uow:
            row = await uow.session.get(Attachment, attachment_id)
            if row is None or row.content is None:
                raise LookupError(f"attachment {attachment_id} has no content")
            return row.content, row.mime, row.kind


def new_attachment(kind: str, mime: str, content: bytes, now: datetime, *, owner_key: str | None = None,
                   case_id: int | None = None) -> Attachment:
    """An attachment row. Bytes a person sent must be cleaned first (bot.services.imaging strips a photo's
    EXIF, GPS included); bytes the bot made itself (a chart, an export) are stored as they are."""
    return Attachment(
        kind=kind, mime=mime, size=len(content), sha256=hashlib.sha256(content).hexdigest(), storage="db",
        content=content, owner_key=owner_key, case_id=case_id, created_at=now,
    )
