"""People at their phones, on one channel: the end-to-end tests speak through a driver, so the same journey
runs on every channel that has a local fake server (Telegram now; a Zalo driver adds one class).

A driver knows users by name. `chooses` picks a choice by its label, the way the user would on that channel:
a button where the channel has buttons, its number typed back where it has a numbered list.
"""

from __future__ import annotations

import re
from typing import Protocol

from tests.support.fake_telegram import FakeTelegram
from tests.support.fake_zalo_bot import FakeZaloBot

NUMBERED = re.compile(r"^(\d+)\. (.+)$", re.MULTILINE)
LIST = re.compile(r"\n\n(?:\d+\. [^\n]+\n?)+\Z")  # the numbered choices a channel without buttons appends


class Driver(Protocol):
    channel: str
    sends_photos: bool  # whether the channel, as configured in the tests, delivers photos

    async def next(self, user: str, count: int = 1) -> list[str]:
        """The next `count` messages to `user` not read yet (waiting for them)."""
        ...

    def chat(self, user: str) -> str: ...

    def says(self, user: str, text: str) -> None: ...

    def chooses(self, user: str, label: str) -> None: ...

    async def one(self, user: str) -> str: ...

    def texts_to(self, user: str) -> list[str]: ...

    async def wait_for(self, user: str, count: int) -> list[str]: ...

    def choices(self, user: str) -> list[str]: ...

    def sends_photo(self, user: str, content: bytes) -> None: ...

    def photos_to(self, user: str) -> list[bytes]: ...

    async def told_taken(self, user: str) -> str:
        """How `user` learns another official took a case: their card edited (Telegram), or a notice."""
        ...


class ReadsInOrder:
    """How every driver reads: the messages to a user not read yet, in order, waiting for them."""

    def __init__(self) -> None:
        self._read: dict[str, int] = {}

    async def wait_for(self, user: str, count: int) -> list[str]:
        raise NotImplementedError

    async def next(self, user: str, count: int = 1) -> list[str]:
        start = self._read.get(user, 0)
        texts = await self.wait_for(user, start + count)
        self._read[user] = start + count
        return texts[start:start + count]

    async def one(self, user: str) -> str:
        return (await self.next(user))[0]

    async def told_taken(self, user: str) -> str:
        """A channel that does not edit a sent message: a one-line notice."""
        return await self.one(user)


class TelegramDriver(ReadsInOrder):
    channel = "telegram"
    sends_photos = True

    def __init__(self, fake: FakeTelegram, users: dict[str, int]) -> None:
        super().__init__()
        self.fake, self.users = fake, users
        self._edits_read: dict[str, int] = {}

    async def told_taken(self, user: str) -> str:
        """The card edited in place: its first line says who took the case, its buttons are gone."""
        seen = self._edits_read.get(user, 0)
        edit = (await self.fake.wait_for_edits(self.users[user], seen + 1))[seen]
        self._edits_read[user] = seen + 1
        assert edit["reply_markup"] is None, edit
        return str(edit.get("caption") or edit.get("text")).split("\n\n", 1)[0]

    def chat(self, user: str) -> str:
        return str(self.users[user])

    def says(self, user: str, text: str) -> None:
        self.fake.says(self.users[user], text)

    def presses_raw(self, user: str, data: str) -> None:
        """A button press with any callback data at all (a forged or replayed one)."""
        self.fake.presses(self.users[user], data)

    def sends_photo(self, user: str, content: bytes) -> None:
        self.fake.sends_photo(self.users[user], content)

    def photos_to(self, user: str) -> list[bytes]:
        """The photos the user received, in order (their bytes, as uploaded)."""
        chat = self.users[user]
        return [m["photo"] for m in self.fake.sent
                if m.get("chat_id") == chat and m["method"] in ("sendPhoto", "sendMediaGroup")]

    def shares_contact(self, user: str, phone: str, *, own: bool = True) -> None:
        self.fake.shares_contact(self.users[user], phone, own=own)

    def chooses(self, user: str, label: str) -> None:
        chat = self.users[user]
        buttons = self.fake.last_buttons(chat)
        by_label = {text: data for text, data in buttons}
        if label in by_label:
            self.fake.presses(chat, by_label[label])
            return
        # A long list comes as numbered text with the numbers as buttons.
        number = self._number_of(chat, label)
        self.fake.presses(chat, dict(buttons)[number])

    def _number_of(self, chat: int, label: str) -> str:
        for entry in reversed(self.fake.sent):
            if entry.get("chat_id") == chat and entry.get("reply_markup") and "text" in entry:
                numbered = {text: number for number, text in NUMBERED.findall(entry["text"])}
                if label in numbered:
                    return numbered[label]
        raise AssertionError(f"no choice {label!r} offered to {chat}")

    def texts_to(self, user: str) -> list[str]:
        return self.fake.texts_to(self.users[user])

    async def wait_for(self, user: str, count: int) -> list[str]:
        return await self.fake.wait_for(self.users[user], count, within=60.0)

    def choices(self, user: str) -> list[str]:
        """The button labels of the last message the user received ([] when it has none)."""
        chat = self.users[user]
        last = next((e for e in reversed(self.fake.sent) if e.get("chat_id") == chat), None)
        rows = ((last or {}).get("reply_markup") or {}).get("inline_keyboard") or []
        return [button["text"] for row in rows for button in row]


class ZaloDriver(ReadsInOrder):
    """Zalo Bot API: no buttons - every choice is a numbered line, answered by typing its number."""

    channel = "zalo"
    sends_photos = True  # by URL: a signed, expiring link to the media route (bot.web.media)

    def __init__(self, fake: FakeZaloBot, users: dict[str, int]) -> None:
        super().__init__()
        self.fake = fake
        self.users = {name: f"zu{number}" for name, number in users.items()}

    def chat(self, user: str) -> str:
        return self.users[user]

    def says(self, user: str, text: str) -> None:
        self.fake.says(self.users[user], text)

    def chooses(self, user: str, label: str) -> None:
        texts = self.fake.texts_to(self.users[user])
        for text in reversed(texts):
            numbered = {item: number for number, item in NUMBERED.findall(text)}
            if label in numbered:
                self.says(user, numbered[label])
                return
        raise AssertionError(f"no choice {label!r} offered to {user}")

    def texts_to(self, user: str) -> list[str]:
        return [LIST.sub("", text) for text in self.fake.texts_to(self.users[user])]

    async def wait_for(self, user: str, count: int) -> list[str]:
        await self.fake.wait_for(self.users[user], count, within=60.0)
        return self.texts_to(user)

    def choices(self, user: str) -> list[str]:
        texts = self.fake.texts_to(self.users[user])
        if not texts:
            return []
        block = LIST.search(texts[-1])
        return [item for _, item in NUMBERED.findall(block.group(0))] if block else []

    def sends_photo(self, user: str, content: bytes) -> None:
        self.fake.sends_photo(self.users[user], content)

    def photos_to(self, user: str) -> list[bytes]:
        return [m["photo"] for m in self.fake.sent if m["chat_id"] == self.users[user] and m["method"] == "sendPhoto"]
