"""Signed values (bot.web.signing): one key per purpose, any change refused, and age judged by the injected
clock, so expiry is tested by moving the clock, never by waiting."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from bot.services.track_links import TrackLinks
from bot.web.media import MediaLinks
from bot.web.signing import MAX_SIGNED, Signer

SECRET = b"s" * 32
START = datetime(2026, 2, 13, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def test_a_value_comes_back_only_for_its_own_purpose(clock: FakeClock) -> None:
    signer = Signer(SECRET, clock)
    signed = signer.sign("web-visitor", "visitor-123")
    assert signed.startswith("visitor-123.")
    assert signer.unsign("web-visitor", signed, HOUR) == "visitor-123"
    for other in ("track-rate", "dashboard-session", "media", "track-link"):
        assert signer.unsign(other, signed, HOUR) is None
    assert Signer(b"t" * 32, clock).unsign("web-visitor", signed, HOUR) is None  # another secret


def test_any_change_is_refused(clock: FakeClock) -> None:
    signer = Signer(SECRET, clock)
    signed = signer.sign("track-rate", "PA-2026-000001")
    value, stamp, signature = signed.split(".")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    earlier = Signer(SECRET, FakeClock(START - HOUR / 2)).sign("x", "y").split(".")[1]
    forgeries = [
        f"PA-2026-000002.{stamp}.{signature}",  # another case
        f"{value}.{earlier}.{signature}",  # another time
        f"{value}.{stamp}.{flipped}",
        f"{value}.{stamp}",  # no signature
        value, "", None, ".", "..", f"{value}.{stamp}.{signature}x",
        "A" * (MAX_SIGNED + 1),
    ]
    for forged in forgeries:
        assert signer.unsign("track-rate", forged, HOUR) is None, forged


def test_age_is_judged_by_the_clock(clock: FakeClock) -> None:
    signer = Signer(SECRET, clock)
    signed = signer.sign("media", "42")
    clock.advance(minutes=59, seconds=59)
    assert signer.unsign("media", signed, HOUR) == "42"
    clock.advance(seconds=2)
    assert signer.unsign("media", signed, HOUR) is None


def test_a_clock_a_little_ahead_is_tolerated_a_far_one_is_not(clock: FakeClock) -> None:
    """Another process signed it with a clock running ahead of ours: minutes pass, hours do not."""
    ahead = FakeClock(START + timedelta(minutes=4))
    far = FakeClock(START + timedelta(hours=2))
    signer = Signer(SECRET, clock)
    assert signer.unsign("web-visitor", Signer(SECRET, ahead).sign("web-visitor", "v"), HOUR) == "v"
    assert signer.unsign("web-visitor", Signer(SECRET, far).sign("web-visitor", "v"), HOUR) is None


def test_the_keyed_digest_is_stable_per_purpose_and_hides_its_value(clock: FakeClock) -> None:
    signer = Signer(SECRET, clock)
    first = signer.digest("origin", "203.0.113.9")
    clock.advance(days=3)
    assert signer.digest("origin", "203.0.113.9") == first  # no time inside
    assert signer.digest("dashboard-csrf", "203.0.113.9") != first
    assert signer.digest("origin", "203.0.113.8") != first
    assert "203" not in first and len(first) == 22


def test_the_receipt_link_holds_two_years_and_no_longer(clock: FakeClock) -> None:
    links = TrackLinks(Signer(SECRET, clock), "https://tiepdan.example/")
    link = links.link("PA-2026-000001")
    assert link.startswith("https://tiepdan.example/track?t=PA-2026-000001.")
    token = link.split("t=", 1)[1]
    clock.advance(days=729)
    assert links.code_of(token) == "PA-2026-000001"
    clock.advance(days=2)
    assert links.code_of(token) is None
    assert links.code_of(token.replace("000001", "000002")) is None


def test_a_photo_link_names_only_its_photo_for_a_day(clock: FakeClock) -> None:
    links = MediaLinks(Signer(SECRET, clock), "https://tiepdan.example")
    token = links.url(7).rsplit("/", 1)[1]
    assert links.attachment_of(token) == 7
    assert links.attachment_of(Signer(SECRET, clock).sign("track-link", "7")) is None  # another purpose
    clock.advance(hours=24, seconds=1)
    assert links.attachment_of(token) is None


def _first_format_link(secret: bytes, code: str, issued: datetime) -> str:
    """A receipt link as the first releases wrote it: CODE~UNIX-TIME~HMAC-SHA256("track-link\\nCODE~TIME")."""
    value = f"{code}~{int(issued.timestamp())}"
    digest = hmac.new(secret, f"track-link\n{value}".encode(), hashlib.sha256).digest()
    return f"{value}~{base64.urlsafe_b64encode(digest).decode('ascii')[:32]}"


def test_receipt_links_already_sent_keep_opening_their_case_for_two_years(clock: FakeClock) -> None:
    links = TrackLinks(Signer(SECRET, clock), "https://tiepdan.example")
    old = _first_format_link(SECRET, "PA-2026-000042", START - timedelta(days=300))
    assert links.code_of(old) == "PA-2026-000042"
    assert links.code_of(old.replace("000042", "000043")) is None  # another case: the signature does not fit
    assert links.code_of(_first_format_link(b"x" * 32, "PA-2026-000042", START)) is None  # not our key
    clock.advance(days=731 - 300)
    assert links.code_of(old) is None  # two years after it was issued
    assert links.code_of(links.token("PA-2026-000042")) == "PA-2026-000042"  # new receipts: the new format
