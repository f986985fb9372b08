"""Who holds a stored file that no case owns yet: the keys in `attachments.owner_key`. Pure: no I/O.

A photo sent while a report is still a draft, uploaded in the web chat before it is sent, attached to an
official's answer or notice being written, sent with a citizen's reply, or a citizen's data export, is kept
under its holder's key: only that holder may send, view or drop it, and the key's kind tells the clean-up
jobs and the media job what the holder is.
"""

from __future__ import annotations

from enum import StrEnum


class Holder(StrEnum):
    DRAFT = "draft"  # a report being written: the draft's id
    WEB_UPLOAD = "webupload"  # uploaded in the web chat, not yet sent: the chat
    EXPORT = "export"  # a citizen's data export: the citizen
    REPLY = "reply"  # a citizen's answer to an official's question, relayed once fetched: the case
    ANNOUNCEMENT = "announce"  # a notice to an area's followers being written: the official
    ANSWER = "answer"  # an official's answer being written: the case and the official


def owner(holder: Holder, *ids: int | str) -> str:
    """`draft:12`, `webupload:<chat>`, `answer:<case>:<official>`."""
    return ":".join([holder.value, *(str(i) for i in ids)])


def held_by(key: str | None, holder: Holder) -> bool:
    return bool(key) and str(key).startswith(f"{holder.value}:")


def first_id(key: str) -> str:
    """The first id in a key: `draft:12` -> "12"."""
    return key.split(":", 2)[1]
