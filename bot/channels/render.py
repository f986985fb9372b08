"""Shape one Outbound for a channel's declared capabilities. Flows never branch on the channel."""

from __future__ import annotations

from bot.channels.model import Capabilities, Choice, Outbound, Rendered


def numbered(choices: tuple[Choice, ...] | list[Choice]) -> str:
    return "\n".join(f"{i}. {c.label}" for i, c in enumerate(choices, start=1))


def split_text(text: str, limit: int) -> list[str]:
    """Split on paragraph, then line, then word boundaries so no part exceeds `limit` characters."""
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"))
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut < limit // 4:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not parts:
        parts.append(rest)
    return parts


def render(message: Outbound, caps: Capabilities) -> Rendered:
    text = message.text
    buttons: list[Choice] = []
    if message.choices:
        if caps.buttons and len(message.choices) <= caps.max_buttons:
            buttons = list(message.choices)
        else:
            # The least capable channel: the choices become a numbered list answered by number or label.
            text = f"{text}\n\n{numbered(message.choices)}"
            if caps.buttons:  # a long list: its numbers as compact buttons
                buttons = [Choice(c.key, str(i)) for i, c in enumerate(message.choices, start=1)]
    request = message.request if (message.request == "location" and caps.location_request) or (
        message.request == "contact" and caps.contact_request
    ) else None
    edit = message.edit if caps.edits else None  # a channel that cannot edit gets the words anew
    return Rendered(
        texts=split_text(text, caps.max_text),
        buttons=buttons,
        attachment_ids=list(message.attachment_ids) if caps.photos else [],
        request=request,
        request_label=message.request_label if request else None,
        caption=message.caption if caps.photos and (message.attachment_ids or edit) else None,
        edit=edit,
    )


def merge_plain(messages: list[Outbound], limit: int) -> Outbound | None:
    """Consecutive plain texts to one chat become one message when they fit; None if they do not."""
    if len(messages) < 2 or not all(m.is_plain_text for m in messages):
        return None
    text = "\n\n".join(m.text for m in messages)
    return Outbound(text=text) if len(text) <= limit else None
