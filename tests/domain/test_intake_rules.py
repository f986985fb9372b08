"""The intake rules on their own: merging quick fragments, what to ask next, dates as people write them, the
complaint filing limit, units named in words, phone numbers, greetings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.cases import MAX_DESCRIPTION
from bot.domain.intake import (
    DraftFacts,
    Step,
    TooLong,
    add_words,
    filing_limit,
    is_small_talk,
    match_units,
    next_step,
    normalise_phone,
    parse_day,
    says_unknown,
)

T0 = datetime(2026, 2, 13, 2, 0, tzinfo=UTC)
TODAY = date(2026, 2, 13)
WITH_AREAS = frozenset({"SAODO"})


# --- merging --------------------------------------------------------------------------------------------------

def test_fragments_within_thirty_seconds_are_one_sentence_later_ones_a_new_line() -> None:
    facts = DraftFacts()
    assert add_words(facts, "nuoc ngap", T0, into="text") is False  # an answer to "what happened?"
    assert add_words(facts, "truoc cong truong", T0 + timedelta(seconds=30)) is True
    assert add_words(facts, "tu sang nay", T0 + timedelta(seconds=61)) is False  # 31 s after the last one
    assert facts.text == "nuoc ngap truoc cong truong\ntu sang nay"
    assert facts.text_at == T0 + timedelta(seconds=61)


def test_a_quick_follow_up_continues_the_field_written_last() -> None:
    facts = DraftFacts(text="Phạt sai", text_at=T0)
    add_words(facts, "Quyết định 12/QĐ-XPHC", T0 + timedelta(minutes=2), into="decision")
    add_words(facts, "ngày 5/1/2026 của UBND phường", T0 + timedelta(minutes=2, seconds=10))
    add_words(facts, "Tôi có giấy tờ", T0 + timedelta(minutes=5))
    assert (facts.decision, facts.text) == (
        "Quyết định 12/QĐ-XPHC ngày 5/1/2026 của UBND phường", "Phạt sai\nTôi có giấy tờ")


def test_words_past_the_limit_are_refused_and_nothing_changes() -> None:
    facts = DraftFacts(text="x" * (MAX_DESCRIPTION - 3), text_at=T0)
    with pytest.raises(TooLong) as refused:
        add_words(facts, "abcd", T0 + timedelta(seconds=5))
    assert refused.value.length == MAX_DESCRIPTION + 2
    assert facts.text == "x" * (MAX_DESCRIPTION - 3)


def test_facts_survive_json() -> None:
    facts = DraftFacts(kind="complaint", text="a", text_at=T0, learned_on=TODAY, media={"photo": 2}, lat=21.1)
    assert DraftFacts.from_json(facts.to_json()) == facts


# --- what to ask next ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("facts", "step"), [
    (DraftFacts(), Step.CONTENT),
    (DraftFacts(text="den hong"), Step.KIND),
    (DraftFacts(media={"photo": 1}, kind="report"), Step.DESCRIBE),
    (DraftFacts(media={"photo": 1}, kind="report", described=True), Step.WARD),
    (DraftFacts(media={"voice": 1}, kind="report"), Step.WARD),  # a voice note is the description
    (DraftFacts(text="x", kind="report", guess="SAODO"), Step.WARD_CONFIRM),
    (DraftFacts(text="x", kind="report", ward="SAODO"), Step.AREA),
    (DraftFacts(text="x", kind="report", ward="PHALAI"), Step.CATEGORY),  # no residential areas listed
    (DraftFacts(text="x", kind="question", ward="SAODO"), Step.CATEGORY),  # a question needs no area
    (DraftFacts(text="x", kind="report", place_skipped=True), Step.CATEGORY),
    (DraftFacts(text="x", kind="report", ward="SAODO", area_skipped=True, category="rac_thai"), Step.EVIDENCE),
    (DraftFacts(text="x", kind="report", ward="SAODO", area="SAODO_TIENDINH", category="rac_thai",
                media={"photo": 1}), Step.CONFIRM),
    (DraftFacts(text="x", kind="question", place_skipped=True, category="thu_tuc"), Step.CONFIRM),
    (DraftFacts(text="x", kind="complaint"), Step.DECISION),
    (DraftFacts(text="x", kind="complaint", decision="QĐ 12"), Step.LEARNED),
    (DraftFacts(text="x", kind="complaint", decision="QĐ 12", learned_unknown=True), Step.WARD),
    (DraftFacts(text="x", kind="denunciation", ward="SAODO"), Step.ACCUSED),
    (DraftFacts(text="x", kind="denunciation", accused_unit="P_SAODO"), Step.EVIDENCE),
    (DraftFacts(text="x", kind="denunciation", accused_unit="P_SAODO", evidence_done=True), Step.CONFIRM),
])
def test_next_step_asks_only_what_is_missing(facts: DraftFacts, step: Step) -> None:
    assert next_step(facts, WITH_AREAS) is step


# --- dates ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "day"), [
    ("15/1/2026", date(2026, 1, 15)),
    ("15-01-26", date(2026, 1, 15)),
    ("ngày 5 tháng 1 năm 2026", date(2026, 1, 5)),
    ("tu ngay 5/1", date(2026, 1, 5)),
    ("15/12", date(2025, 12, 15)),  # no year and still to come this year: last year
    ("hôm nay", TODAY),
    ("hom qua a", date(2026, 2, 12)),
    ("hôm kia", date(2026, 2, 11)),
    ("3 ngày trước", date(2026, 2, 10)),
    ("cách đây hai tuần", date(2026, 1, 30)),
    ("khoảng 1 tháng trước", date(2026, 1, 13)),
    ("tuần trước", date(2026, 2, 6)),
    ("yesterday", date(2026, 2, 12)),
    ("31/2/2026", None),
    ("ngày 12/1/2026 của UBND phường", None),  # a sentence with a date in it is not an answer
    ("không nhớ", None),
])
def test_days_as_people_write_them(typed: str, day: date | None) -> None:
    assert parse_day(typed, TODAY) == day


def test_not_remembering_is_an_answer_too() -> None:
    assert [says_unknown(t) for t in ("không nhớ", "khong nho ro", "ko biet", "hôm qua")] == [True, True, True, False]


def test_the_filing_limit_is_ninety_days_from_learning() -> None:
    open_limit = filing_limit(date(2026, 1, 5), TODAY)
    assert (open_limit.last_day, open_limit.days_left, open_limit.expired) == (date(2026, 4, 5), 51, False)
    passed = filing_limit(date(2025, 10, 1), TODAY)
    assert (passed.last_day, passed.days_left, passed.expired) == (date(2025, 12, 30), -45, True)
    assert filing_limit(date(2025, 11, 15), TODAY).days_left == 0  # the last day itself still counts


# --- units, phones, greetings --------------------------------------------------------------------------------

UNITS = {
    "P_SAODO": ("UBND phường Sao Đỏ", "Sao Do Ward People's Committee"),
    "CA": ("Công an thành phố", "City Police"),
    "TNMT": ("Phòng Tài nguyên và Môi trường", "Natural Resources and Environment Division"),
    "TTRA": ("Thanh tra thành phố", "City Inspectorate"),
}


@pytest.mark.parametrize(("typed", "units"), [
    ("phuong sao do", ["P_SAODO"]),
    ("cán bộ địa chính phường Sao Đỏ", ["P_SAODO"]),
    ("công an", ["CA"]),
    ("phong tai nguyen moi truong", ["TNMT"]),
    ("thanh tra", ["TTRA"]),
    ("công an phường Sao Đỏ", ["P_SAODO", "CA"]),  # two named: the citizen picks
    ("ủy ban", []),
])
def test_units_named_in_words(typed: str, units: list[str]) -> None:
    assert match_units(typed, UNITS) == units


@pytest.mark.parametrize(("typed", "phone"), [
    ("0912345678", "0912345678"),
    ("0912 345 678", "0912345678"),
    ("+84 912.345.678", "0912345678"),
    ("84912345678", "0912345678"),
    ("02203 456 789", "02203456789"),
    ("091234567", None),
    ("0112345678", None),
    ("không có", None),
])
def test_phone_numbers(typed: str, phone: str | None) -> None:
    assert normalise_phone(typed) == phone


@pytest.mark.parametrize(("typed", "small"), [
    ("Xin chào", True), ("alo", True), ("cảm ơn bạn", True), ("ok", True), ("123", True),
    ("đèn hỏng", False), ("chao ban, duong ngap", False),
])
def test_greetings_are_not_cases(typed: str, small: bool) -> None:
    assert is_small_talk(typed) is small
