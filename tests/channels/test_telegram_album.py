"""A message with several photos (a case's view or card) reaches a Telegram chat as one album (sendMediaGroup);
its words and buttons follow in one message, since an album carries no buttons. One photo stays one photo, with
the card's words as its caption and the buttons under it."""

from __future__ import annotations

import json

from bot.channels.model import Choice, Rendered, SendOutcome
from bot.channels.telegram import ALBUM_SIZE, TelegramChannel
from tests.support.fake_telegram import FakeTelegram

PHOTOS = {n: (b"\xff\xd8photo-%d" % n, "image/jpeg", "photo") for n in range(1, 13)}
FILES = {**PHOTOS, 99: (b"OggS-voice", "audio/ogg", "voice")}
VIEW = "Hồ sơ PA-2026-000001 (Phản ánh)\nTình trạng: Đang xử lý"


async def load(attachment_id: int) -> tuple[bytes, str, str]:
    return FILES[attachment_id]


def buttons_of(markup: object) -> list[str]:
    keyboard = json.loads(markup) if isinstance(markup, str) else markup
    assert isinstance(keyboard, dict)
    return [b["callback_data"] for row in keyboard["inline_keyboard"] for b in row]


async def test_a_case_with_photos_is_an_album_then_its_words_and_buttons() -> None:
    fake = await FakeTelegram().start()
    channel = TelegramChannel(fake.token, fake.base_url, load)
    await channel.start()
    try:
        view = Rendered(texts=[VIEW], buttons=[Choice("take", "Nhận xử lý")], attachment_ids=[1, 2, 99],
                        caption=VIEW)
        result = await channel.send("4242", view)
        assert result.outcome is SendOutcome.SENT, result
        sent = [(m["method"], m.get("photo") or m.get("voice") or m.get("text"), m.get("caption"))
                for m in fake.sent]
        assert sent == [("sendMediaGroup", b"\xff\xd8photo-1", None), ("sendMediaGroup", b"\xff\xd8photo-2", None),
                        ("sendVoice", b"OggS-voice", None), ("sendMessage", VIEW, None)]
        assert fake.sent[0]["album"] == fake.sent[1]["album"]  # one request: one album
        assert buttons_of(fake.sent[-1]["reply_markup"]) == ["take"]  # the buttons ride on the words
        assert result.message_id == str(fake.sent[-1]["message_id"])

        fake.sent.clear()  # one photo: no album; the card's words are its caption, the buttons under it
        await channel.send("4242", Rendered(texts=[VIEW], buttons=[Choice("take", "Nhận xử lý")],
                                            attachment_ids=[1], caption=VIEW))
        assert [(m["method"], m.get("caption")) for m in fake.sent] == [("sendPhoto", VIEW)]
        assert buttons_of(fake.sent[0]["reply_markup"]) == ["take"]

        fake.sent.clear()  # twelve photos: an album of ten and one of two, in order
        await channel.send("4242", Rendered(texts=[VIEW], attachment_ids=list(range(1, 13))))
        assert [m["method"] for m in fake.sent] == ["sendMediaGroup"] * 12 + ["sendMessage"]
        assert [m["photo"] for m in fake.sent[:12]] == [PHOTOS[n][0] for n in range(1, 13)]
        albums = [m["album"] for m in fake.sent[:12]]
        assert albums == [albums[0]] * ALBUM_SIZE + [albums[0] + 1] * 2

        fake.sent.clear()  # eleven: the one left over goes by itself (an album holds two at least)
        await channel.send("4242", Rendered(texts=[VIEW], attachment_ids=list(range(1, 12))))
        assert [m["method"] for m in fake.sent] == ["sendMediaGroup"] * 10 + ["sendPhoto", "sendMessage"]
    finally:
        await channel.stop()
        await fake.stop()
