"""Several photos reach a Telegram chat as one album (sendMediaGroup), a voice note on its own, then the text."""

from __future__ import annotations

from bot.channels.model import Rendered, SendOutcome
from bot.channels.telegram import TelegramChannel
from tests.support.fake_telegram import FakeTelegram

FILES = {1: (b"\xff\xd8photo-1", "image/jpeg", "photo"), 2: (b"\xff\xd8photo-2", "image/jpeg", "photo"),
         3: (b"OggS-voice", "audio/ogg", "voice")}


async def load(attachment_id: int) -> tuple[bytes, str, str]:
    return FILES[attachment_id]


async def test_a_case_view_with_photos_is_an_album_on_telegram() -> None:
    fake = await FakeTelegram().start()
    channel = TelegramChannel(fake.token, fake.base_url, load)
    await channel.start()
    try:
        result = await channel.send("4242", Rendered(texts=["Hồ sơ PA-2026-000001"], attachment_ids=[1, 2, 3]))
        assert result.outcome is SendOutcome.SENT, result
        sent = [(m["method"], m.get("photo") or m.get("voice") or m.get("text")) for m in fake.sent]
        assert sent == [("sendMediaGroup", b"\xff\xd8photo-1"), ("sendMediaGroup", b"\xff\xd8photo-2"),
                        ("sendVoice", b"OggS-voice"), ("sendMessage", "Hồ sơ PA-2026-000001")]
        fake.sent.clear()
        await channel.send("4242", Rendered(texts=["Một ảnh"], attachment_ids=[1]))  # one photo: no album
        assert [m["method"] for m in fake.sent] == ["sendPhoto", "sendMessage"]
    finally:
        await channel.stop()
        await fake.stop()
