"""Intake rules: what a case draft still lacks, how quick fragments merge, what the words suggest.

Pure: no I/O. A draft's facts are plain data (kept as JSON in the `drafts` table); the conversation asks the
question `next_step` names, so a citizen who already said where and what is never asked again.
"""

from __future__ import annotations

import copy
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.domain.cases import MAX_DESCRIPTION, CaseKind
from bot.domain.matching import (
    CategoryIndex,
    PlaceArea,
    PlaceIndex,
    match_nearest,
    suggest_categories,
)
from bot.domain.text import normalise, tokens

MERGE_WINDOW = timedelta(seconds=30)  # messages this close together are one description
REMIND_AFTER = timedelta(days=1)  # an untouched draft gets one reminder after this long
KEEP_FOR = timedelta(days=7)  # and is dropped after this long without the citizen touching it
MEDIA_LIMITS = {"photo": 5, "voice": 5, "document": 5}
COMPLAINT_FILING_DAYS = 90  # Luật Khiếu nại 2011, Điều 9: 90 days from learning of the decision or act
UNSURE_MIN_SCORE = 0.7  # a weaker place match is not even offered for confirmation


class Step(StrEnum):
    """The questions of the report flow; each is a declared state of the flow."""

    CONTENT = "content"  # tell us what happened (words, photo, voice)
    RESUME = "resume"  # an unfinished draft exists: continue it or start afresh
    KIND = "kind"  # the one triage question
    DESCRIBE = "describe"  # a photo came without words: a few words, or skip
    DECISION = "decision"  # complaint: which decision or act
    LEARNED = "learned"  # complaint: when the citizen learned of it
    ACCUSED = "accused"  # denunciation: which unit it is about
    WARD = "ward"
    WARD_CONFIRM = "ward_confirm"  # an unsure place match: yes or no
    AREA = "area"  # the residential area inside the ward
    CATEGORY = "category"
    EVIDENCE = "evidence"  # photos, voice notes, a document, a location
    CONFIRM = "confirm"  # the summary: send, change or discard
    CHANGE = "change"  # which part to change


# The triage choices in plain words, each to the kind of case it files.
TRIAGE: dict[str, CaseKind] = {
    "question": CaseKind.QUESTION,
    "report": CaseKind.REPORT,
    "complaint": CaseKind.COMPLAINT,
    "denunciation": CaseKind.DENUNCIATION,
}


class TooLong(ValueError):
    def __init__(self, length: int) -> None:
        super().__init__(f"{length} characters, more than {MAX_DESCRIPTION}")
        self.length = length


@dataclass(slots=True)
class DraftFacts:
    """Everything a draft holds besides its evidence files (those are attachment rows, counted here)."""

    kind: str | None = None
    text: str = ""
    text_at: datetime | None = None  # when words were last added: a message within MERGE_WINDOW continues them
    last_field: str = "text"  # text | decision: where a continuation goes
    described: bool = False  # the DESCRIBE question was answered or skipped
    ward: str | None = None
    area: str | None = None  # residential area inside `ward`
    guess: str | None = None  # a place matched unsurely, to confirm
    no_guess: bool = False  # the citizen turned a guess down (or chose to change the place): ask, don't guess
    place_skipped: bool = False
    area_skipped: bool = False
    category: str | None = None
    suggested: list[str] = field(default_factory=list)  # categories the words suggest, best first
    why: list[str] = field(default_factory=list)  # the words that decided the first suggestion, as typed
    evidence_done: bool = False
    media: dict[str, int] = field(default_factory=dict)  # photo / voice / document -> how many
    lat: float | None = None
    lon: float | None = None
    decision: str = ""
    learned_on: date | None = None
    learned_unknown: bool = False
    accused_unit: str | None = None

    @property
    def media_total(self) -> int:
        return sum(self.media.values())

    @property
    def has_content(self) -> bool:
        return bool(self.text or self.media_total or self.lat is not None)

    @property
    def case_kind(self) -> CaseKind | None:
        return CaseKind(self.kind) if self.kind else None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["text_at"] = self.text_at.isoformat() if self.text_at else None
        data["learned_on"] = self.learned_on.isoformat() if self.learned_on else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DraftFacts:
        # A deep copy: the row keeps the JSON it was read with, so a change here shows as a change there.
        known = {k: copy.deepcopy(v) for k, v in data.items() if k in cls.__dataclass_fields__}
        if known.get("text_at"):
            known["text_at"] = datetime.fromisoformat(known["text_at"])
        if known.get("learned_on"):
            known["learned_on"] = date.fromisoformat(known["learned_on"])
        return cls(**known)


# --- words ------------------------------------------------------------------------------------------------

def add_words(facts: DraftFacts, words: str, now: datetime, *, into: str | None = None) -> bool:
    """Add a message's words; True when it continued the previous message (within MERGE_WINDOW).

    `into` names the field a step's answer goes to; without it the words continue the field written last
    when they came quickly, and the description otherwise. Raises TooLong (nothing changes) past the limit.
    """
    words = words.strip()
    continued = facts.text_at is not None and now - facts.text_at <= MERGE_WINDOW
    target = into or (facts.last_field if continued else "text")
    current = facts.decision if target == "decision" else facts.text
    # A quick follow-up is the same sentence going on; a later one is a new line of the same description.
    separator = " " if continued else "\n"
    joined = f"{current}{separator}{words}" if current else words
    if len(joined) > MAX_DESCRIPTION:
        raise TooLong(len(joined))
    if target == "decision":
        facts.decision = joined
    else:
        facts.text = joined
    facts.text_at, facts.last_field = now, target
    return continued and into is None


def replace_words(facts: DraftFacts, words: str, now: datetime) -> None:
    """The citizen rewrote the description (the change step): the new words replace the old."""
    words = words.strip()
    if len(words) > MAX_DESCRIPTION:
        raise TooLong(len(words))
    facts.text, facts.text_at, facts.last_field = words, now, "text"


# --- places and categories --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PlaceFound:
    code: str  # the place matched: a ward or a residential area
    ward: str
    area: str | None
    sure: bool


def find_place(text: str, places: PlaceIndex, *, within_ward: str | None = None) -> PlaceFound | None:
    """The best place named in `text` (only the areas of `within_ward` when given), or None."""
    for match in places.match(text):
        place = match.place
        ward = place.parent if place.kind == "residential" and place.parent else place.code
        if within_ward is not None and (ward != within_ward or place.kind != "residential"):
            continue
        if not match.sure and match.score < UNSURE_MIN_SCORE:
            return None
        area = place.code if place.kind == "residential" else None
        return PlaceFound(place.code, ward, area, match.sure)
    return None


def set_place(facts: DraftFacts, found: PlaceFound) -> None:
    facts.ward, facts.area, facts.guess = found.ward, found.area, None
    facts.place_skipped = False


def ward_at(lat: float, lon: float, wards: list[PlaceArea]) -> str | None:
    """The ward whose circle holds a shared location (nearest centre first)."""
    return match_nearest(lat, lon, wards)


def understand(facts: DraftFacts, places: PlaceIndex, categories: CategoryIndex) -> None:
    """Read the words again: a place not asked yet, and the categories they suggest.

    Only fills what is still open: an answer the citizen gave is never overwritten by a guess.
    """
    words = "\n".join(w for w in (facts.text, facts.decision) if w)
    if facts.kind != CaseKind.DENUNCIATION.value and facts.ward is None and facts.guess is None \
            and not facts.place_skipped and not facts.no_guess and words:
        found = find_place(words, places)
        if found is not None and found.sure:
            set_place(facts, found)
        elif found is not None:
            facts.guess = found.code
    suggestions = suggest_categories(words, categories) if words else []
    facts.suggested = [s.code for s in suggestions]
    facts.why = list(suggestions[0].matched) if suggestions else []


# --- what to ask next -------------------------------------------------------------------------------------

def next_step(facts: DraftFacts, wards_with_areas: frozenset[str] | set[str]) -> Step:
    """The first thing the draft still lacks, in the order a counter clerk would ask."""
    kind = facts.case_kind
    if not facts.has_content:
        return Step.CONTENT
    if kind is None:
        return Step.KIND
    if not facts.text and not facts.media.get("voice") and not facts.described:
        return Step.DESCRIBE
    if kind is CaseKind.COMPLAINT:
        if not facts.decision:
            return Step.DECISION
        if facts.learned_on is None and not facts.learned_unknown:
            return Step.LEARNED
    if kind is CaseKind.DENUNCIATION:
        if facts.accused_unit is None:
            return Step.ACCUSED
    else:
        if facts.ward is None and not facts.place_skipped:
            return Step.WARD_CONFIRM if facts.guess else Step.WARD
        if (kind is not CaseKind.QUESTION and facts.ward in wards_with_areas and facts.area is None
                and not facts.area_skipped):
            return Step.AREA
        if facts.category is None:
            return Step.CATEGORY
    if kind is not CaseKind.QUESTION and not facts.evidence_done and not facts.media_total \
            and facts.lat is None:
        return Step.EVIDENCE
    return Step.CONFIRM


# --- complaints: the filing time limit --------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FilingLimit:
    learned_on: date
    last_day: date
    days_left: int  # negative once the limit has passed

    @property
    def expired(self) -> bool:
        return self.days_left < 0


def filing_limit(learned_on: date, today: date, days: int = COMPLAINT_FILING_DAYS) -> FilingLimit:
    last_day = learned_on + timedelta(days=days)
    return FilingLimit(learned_on, last_day, (last_day - today).days)


_FILLER = frozenset({
    "tu", "ngay", "vao", "khoang", "hom", "luc", "a", "da", "toi", "em", "minh", "chau", "con", "biet", "nhan",
    "duoc", "la", "cach", "day", "truoc", "since", "on", "about", "the", "i", "learned", "knew", "it",
})
_UNKNOWN = frozenset({
    "khong nho", "khong biet", "khong ro", "quen roi", "toi khong nho", "khong nho ro", "chua ro", "ko nho",
    "ko biet", "k nho", "k biet", "ko nho ro", "khong nho nua",
    "dont know", "don t know", "not sure", "i don t know", "unknown",
})
_NUMBERS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8, "chin": 9,
            "muoi": 10, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_AMOUNT = rf"(\d{{1,3}}|{'|'.join(_NUMBERS)})"
_PATTERNS = (
    ("dmy", re.compile(r"\b(\d{1,2}) (?:thang )?(\d{1,2})(?: (?:nam )?(\d{4}|\d{2}))?\b")),
    ("words", re.compile(r"\b(hom nay|hom qua|hom kia|today|yesterday)\b")),
    ("ago", re.compile(rf"\b{_AMOUNT} (ngay|tuan|thang|days?|weeks?|months?)(?: (?:truoc|nay|ago))?\b")),
    ("last", re.compile(r"\b(tuan truoc|thang truoc|last week|last month)\b")),
)


def says_unknown(text: str) -> bool:
    return " ".join(tokens(text)) in _UNKNOWN


def parse_day(text: str, today: date) -> date | None:
    """A day written the way people write it: 15/1/2026, 15-01, "ngày 5 tháng 3", "hôm qua", "3 ngày trước".

    The whole reply must be the date (give or take "từ", "ngày", "khoảng"...): a sentence that merely contains
    a date is not an answer to "when did you learn of it?".
    """
    query = normalise(text)
    for kind, pattern in _PATTERNS:
        found = pattern.search(query)
        if found is None:
            continue
        rest = (query[:found.start()] + " " + query[found.end():]).split()
        if any(word not in _FILLER for word in rest):
            return None
        return _day_of(kind, found, today)
    return None


def _day_of(kind: str, found: re.Match[str], today: date) -> date | None:
    if kind == "dmy":
        day, month = int(found[1]), int(found[2])
        year = int(found[3]) if found[3] else today.year
        year = year + 2000 if year < 100 else year
        try:
            moment = date(year, month, day)
        except ValueError:
            return None
        if not found[3] and moment > today:  # "15/12" written in January means last December
            moment = _months_back(moment, 12)
        return moment
    if kind == "words":
        back = {"hom nay": 0, "today": 0, "hom qua": 1, "yesterday": 1, "hom kia": 2}[found[1]]
        return today - timedelta(days=back)
    if kind == "last":
        return _months_back(today, 1) if "thang" in found[1] or "month" in found[1] else today - timedelta(weeks=1)
    amount = int(found[1]) if found[1].isdigit() else _NUMBERS[found[1]]
    unit = found[2]
    if unit.startswith(("thang", "month")):
        return _months_back(today, amount)
    return today - (timedelta(weeks=amount) if unit.startswith(("tuan", "week")) else timedelta(days=amount))


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # unreachable: the 28th exists in every month


# --- denunciations: which unit ----------------------------------------------------------------------------

# Words every unit name shares; what is left ("sao do", "tai nguyen moi truong", "cong an") tells them apart.
_UNIT_LEADING = ("uy ban nhan dan", "ubnd", "phong")  # only as a name's first words: "Văn phòng" keeps its own
_UNIT_GENERIC = ("phuong", "xa", "thanh pho", "thi tran", "tinh", "va", "ward", "people s committee",
                 "division", "city", "of the", "and")


def _core(name: str) -> tuple[str, ...]:
    words = f" {' '.join(tokens(name))} "
    for leading in _UNIT_LEADING:
        if words.startswith(f" {leading} "):
            words = words[len(leading) + 1:]
    for generic in _UNIT_GENERIC:
        words = words.replace(f" {generic} ", " ")
    return tuple(words.split())


def match_units(text: str, units: dict[str, tuple[str, ...]]) -> list[str]:
    """Codes of the units named in `text` (every distinctive word of a name present), most specific first.

    `units` maps a code to its names (Vietnamese, English...).
    """
    typed = set(tokens(text))
    found: dict[str, int] = {}
    for code, names in units.items():
        for name in names:
            core = _core(name)
            if core and set(core) <= typed:
                found[code] = max(found.get(code, 0), len(core))
    if not found:
        return []
    longest = max(found.values())
    return [code for code, size in found.items() if size == longest]


# --- small things people type -----------------------------------------------------------------------------

_SMALL_TALK = frozenset({
    "hi", "hello", "helo", "hey", "alo", "a lo", "chao", "xin chao", "chao ban", "chao em", "chao anh",
    "chao chi", "chao bot", "ok", "oke", "okay", "cam on", "cam on ban", "cam on nhieu", "thanks", "thank you",
    "test", "thu", "a", "u", "vang", "da",
})


def is_small_talk(text: str) -> bool:
    """A greeting, a thank-you or no words at all ("123", "?"): worth a friendly answer, not a case."""
    words = tokens(text)
    return not any(c.isalpha() for c in text) or " ".join(words) in _SMALL_TALK


_PHONE_JUNK = re.compile(r"[\s.\-()]")


def normalise_phone(text: str) -> str | None:
    """A Vietnamese phone number as 0xxxxxxxxx: mobiles (10 digits) and landlines (11, 02x); else None."""
    digits = _PHONE_JUNK.sub("", text.strip())
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if not digits.isdigit():
        return None
    if len(digits) == 10 and digits[:2] in ("03", "05", "07", "08", "09"):
        return digits
    if len(digits) == 11 and digits.startswith("02"):
        return digits
    return None
