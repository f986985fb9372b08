"""A voice message recorded on the page (Opus in WebM): checked by content and size, stored as evidence like a
Telegram voice note, shown back in the transcript."""

from __future__ import annotations

import aiohttp
from sqlalchemy import select

from bot.web.chat import MAX_WEB_VOICE_BYTES
from storage.models import Attachment, InboxItem
from tests.support.web_client import WebVisitor, serving
from tests.web.test_webchat import web_container

WEBM = b"\x1aE\xdf\xa3" + b"\x9f\x42\x86\x81\x01" + bytes(2000)  # an EBML header and some payload


async def upload_voice(visitor: WebVisitor, content: bytes, mime: str = "audio/webm;codecs=opus") -> tuple[int, dict]:
    assert visitor.session is not None
    form = aiohttp.FormData()
    form.add_field("voice", content, content_type=mime, filename="voice.webm")
    async with visitor.session.post(f"{visitor.base_url}/chat/upload", data=form,
                                    headers={"Origin": visitor.base_url}) as response:
        return response.status, await response.json()


async def test_a_recorded_voice_message_reaches_the_bot_as_a_voice_note(db_url: str) -> None:
    container = web_container(db_url)
    async with serving(container) as base:
        visitor = await WebVisitor(base).open()
        try:
            assert (await upload_voice(visitor, b"RIFF" + bytes(100)))[0] == 415  # not WebM by its content
            assert (await upload_voice(visitor, WEBM, "audio/ogg"))[0] == 415
            assert (await upload_voice(visitor, WEBM[:4] + bytes(MAX_WEB_VOICE_BYTES)))[0] == 413
            status, body = await upload_voice(visitor, WEBM)
            assert status == 200 and body["mime"] == "audio/webm"
            sent = await visitor.send({"type": "voice", "attachment": body["attachment"]})
            assert (await visitor.wait_frame("ack", sent))["duplicate"] is False
            assert (await visitor.send({"type": "voice", "attachment": 999999}))
            assert (await visitor.wait_frame("error"))["text"]
            async with container.db.unit_of_work(readonly=True) as uow:
                stored = await uow.session.get(Attachment, body["attachment"])
                payloads = (await uow.session.execute(select(InboxItem.payload))).scalars().all()
            assert stored is not None and (stored.kind, stored.content) == ("voice", WEBM)
            voice = [p for p in payloads if p.get("kind") == "voice"]
            assert len(voice) == 1 and voice[0]["attachment"] == body["attachment"]
            inbound = container.web_chat.channel.to_inbound(voice[0])
            assert inbound is not None and inbound.kind.value == "voice" and inbound.media[0].kind == "voice"
            assert visitor.session is not None
            async with visitor.session.get(f"{base}/chat/media/{body['attachment']}") as media:
                assert media.status == 200 and media.content_type == "audio/webm"
        finally:
            await visitor.close()
