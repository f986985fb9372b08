"""The web chat's frames (bot.web.frames): each kind the page sends is read, and each forged, oversized or
unknown frame gets the clear answer it got before the frames were pydantic models."""

from __future__ import annotations

import typing

import pytest

from bot.i18n import LANGUAGES
from bot.web import frames
from bot.web.frames import MAX_LABEL, MAX_TEXT, Refused, read_frame, read_subscription
from storage.models import InboxItem, WebMessage
from tests.support.web_client import WebVisitor, serving
from tests.web.test_webchat import count, web_container

ID = "a1b2c3d4e5"
MALFORMED = Refused("web.error.malformed")


def test_each_kind_the_page_sends_is_read() -> None:
    assert read_frame({"type": "start"}) == frames.StartFrame(type="start")
    assert read_frame({"type": "proof", "nonce": "123"}) == frames.ProofFrame(type="proof", nonce="123")
    assert read_frame({"type": "language", "id": ID, "lang": "en"}) == frames.LanguageFrame(type="language", id=ID, lang="en")
    assert read_frame({"type": "text", "id": ID, "text": "  Đèn hỏng \n"}) == frames.TextFrame(type="text", id=ID, text="Đèn hỏng")
    choice = read_frame({"type": "choice", "id": ID, "key": "menu:report", "label": "  Phản ánh  "})
    assert isinstance(choice, frames.ChoiceFrame) and (choice.key, choice.shown) == ("menu:report", "Phản ánh")
    location = read_frame({"type": "location", "id": ID, "lat": 21, "lon": 106.3967})
    assert isinstance(location, frames.LocationFrame) and (location.lat, location.lon) == (21.0, 106.3967)
    assert read_frame({"type": "voice", "id": ID, "attachment": 7}) == frames.VoiceFrame(type="voice", id=ID, attachment=7)
    photo = read_frame({"type": "photo", "id": ID, "attachment": 8, "text": " ngõ 12 ", "extra": {"x": 1}})
    assert photo == frames.PhotoFrame(type="photo", id=ID, attachment=8, text="ngõ 12")


def test_the_language_frame_knows_every_language_of_the_catalogs() -> None:
    assert set(typing.get_args(frames.LanguageFrame.model_fields["lang"].annotation)) == set(LANGUAGES)


def test_a_choice_without_a_usable_label_shows_its_key() -> None:
    for label in (None, "   ", 5, ["x"]):
        frame = read_frame({"type": "choice", "id": ID, "key": "yes", "label": label})
        assert isinstance(frame, frames.ChoiceFrame) and frame.shown == "yes"
    frame = read_frame({"type": "choice", "id": ID, "key": "yes", "label": "x" * 1000})
    assert isinstance(frame, frames.ChoiceFrame) and frame.shown == "x" * MAX_LABEL


@pytest.mark.parametrize("data", [
    None, [], "text", 5, {"type": "text", "text": "hi"},  # no client id
    {"type": "text", "id": "short", "text": "hi"},  # a client id is 8 to 64 safe characters
    {"type": "text", "id": "x" * 65, "text": "hi"},
    {"type": "text", "id": "a b c d e f g h", "text": "hi"},
    {"type": "text", "id": 12345678, "text": "hi"},
    {"type": "text", "id": ID + "\n", "text": "hi"},
    {"type": "language", "id": ID, "lang": "fr"},
    {"type": "language", "lang": "en"},
    {"type": "choice", "id": ID, "key": ""},
    {"type": "choice", "id": ID, "key": "k" * 65},
    {"type": "choice", "id": ID, "key": 1},
    {"type": "location", "id": ID, "lat": 91.0, "lon": 106.4},
    {"type": "location", "id": ID, "lat": 21.1, "lon": -180.5},
    {"type": "location", "id": ID, "lat": "21.1", "lon": 106.4},  # a string is not a number
    {"type": "location", "id": ID, "lat": True, "lon": 1},  # nor is a boolean
    {"type": "location", "id": ID, "lat": float("nan"), "lon": 106.4},
    {"type": "location", "id": ID, "lat": float("inf"), "lon": 106.4},
    {"type": "location", "id": ID, "lat": 21.1},
    {"type": "unknown", "id": "bad"},  # an unknown kind with a forged id: malformed first
    {"type": "photo", "id": "bad", "text": "x" * (MAX_TEXT + 1), "attachment": 1},  # the id is checked first
])
def test_a_forged_frame_is_malformed(data: object) -> None:
    assert read_frame(data) == MALFORMED


@pytest.mark.parametrize("data", [
    {"type": "launch", "id": ID}, {"type": 5, "id": ID}, {"id": ID}, {"type": None, "id": ID},
    {"type": "TEXT", "id": ID, "text": "hi"},
])
def test_an_unknown_kind_is_unsupported(data: object) -> None:
    assert read_frame(data) == Refused("web.error.unsupported")


@pytest.mark.parametrize("text", [None, "", "   \n\t", 42, ["hi"]])
def test_an_empty_text_says_so(text: object) -> None:
    data = {"type": "text", "id": ID} if text is None else {"type": "text", "id": ID, "text": text}
    assert read_frame(data) == Refused("web.error.empty")


def test_an_oversized_text_or_caption_says_how_long_it_is_and_may_be() -> None:
    assert read_frame({"type": "text", "id": ID, "text": "x" * MAX_TEXT}) == frames.TextFrame(type="text", id=ID, text="x" * MAX_TEXT)
    assert read_frame({"type": "text", "id": ID, "text": " " + "x" * (MAX_TEXT + 1)}) == Refused(
        "web.error.too_long", {"length": MAX_TEXT + 1, "limit": MAX_TEXT})
    caption = {"type": "photo", "id": ID, "attachment": "forged", "text": "x" * MAX_TEXT + " "}
    assert read_frame(caption) == Refused("web.error.too_long", {"length": MAX_TEXT + 1, "limit": MAX_TEXT})


@pytest.mark.parametrize("attachment", [None, "7", 7.0, True, [7], {"id": 7}])
def test_a_voice_or_photo_without_a_real_attachment_id_is_missing_its_file(attachment: object) -> None:
    for kind in ("voice", "photo"):
        data = {"type": kind, "id": ID} if attachment is None else {"type": kind, "id": ID, "attachment": attachment}
        assert read_frame(data) == Refused("web.error.photo_missing")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_over_the_socket_a_refused_frame_is_answered_by_its_id_and_nothing_is_stored(db_url: str) -> None:
    container = web_container(db_url)
    async with serving(container) as base:
        visitor = await WebVisitor(base).open()
        try:
            answers: dict[str, list[dict[str, object]]] = {
                "Tin nhắn không đọc được. Xin thử lại.": [
                    {"type": "location", "lat": True, "lon": 106.4}, {"type": "choice", "key": "k" * 65},
                    {"type": "language", "lang": "fr"}],
                "Trang này chưa gửi được loại tin nhắn đó.": [{"type": "TEXT", "text": "hi"}],
                "Tin nhắn đang trống.": [{"type": "text", "text": ["hi"]}],
                "Không tìm thấy ảnh vừa tải lên. Xin gửi lại ảnh.": [{"type": "photo", "attachment": "1"}],
            }
            for text, frames in answers.items():
                for frame in frames:
                    sent = await visitor.send(frame)
                    assert (await visitor.wait_frame("error", sent))["text"] == text, frame
            await visitor.send({"type": "text", "id": "no", "text": "hi"})  # a forged id: malformed, echoed as given
            assert await visitor.wait_frame("error", "no") == {
                "type": "error", "client_id": "no", "text": "Tin nhắn không đọc được. Xin thử lại."}
            assert await count(container, InboxItem) == 0 and await count(container, WebMessage) == 0
        finally:
            await visitor.close()


def test_a_push_subscription_is_the_browsers_json_or_nothing() -> None:
    good = {"endpoint": "https://push.example/abc", "expirationTime": None, "keys": {"p256dh": "BPk", "auth": "xyz"}}
    read = read_subscription(good)
    assert read is not None and (read.endpoint, read.keys.p256dh, read.keys.auth) == ("https://push.example/abc",
                                                                                       "BPk", "xyz")
    bad: object
    for bad in (None, [], "x", {"endpoint": "https://push.example/abc"}, {**good, "keys": {"p256dh": "BPk"}},
                {**good, "endpoint": ""}, {**good, "endpoint": "https://p.example/" + "a" * 1024},
                {**good, "endpoint": 5}, {**good, "keys": {"p256dh": "B" * 129, "auth": "x"}},
                {**good, "keys": {"p256dh": "BPk", "auth": ""}}):
        assert read_subscription(bad) is None, bad
