"""Matching what citizens type against places, categories and the choices the bot offered.

Words are read through `bot.domain.lexicon` (teencode expanded, formulas masked) and compared folded, so
"phường Sao Đỏ", "phuong sao do", "P.Sao Đỏ" and "phuwowngf sao ddor" are the same words; marks the citizen
typed are compared too where they decide ("sao đo" is a near miss, "chỉ mình" no place at all, "có" no
"cỏ"). Indexes (`PlaceIndex`, `CategoryIndex`, both from `build_matchers`) are built once per organisation
snapshot; the module-level functions accept either an index or the plain list.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Literal, TypeGuard, TypeVar

from bot.domain.classify import TopicModel, TrainingText
from bot.domain.lexicon import Lexicon, default_lexicon
from bot.domain.text import edit_distance, fold, normalise, similarity, split_words, tokens

__all__ = [
    "CategoryIndex", "CategorySuggestion", "CategoryTerms", "Place", "PlaceArea", "PlaceIndex", "PlaceMatch", "Street",
    "build_matchers", "distance_m", "match_nearest", "match_place", "parse_choice", "parse_yes_no", "suggest_categories",
]

PlaceKind = Literal["ward", "commune", "residential"]
_KINDS = ("ward", "commune", "residential")


def is_place_kind(kind: str) -> TypeGuard[PlaceKind]:
    """An area of this kind is a place intake matches (a province or a district is not)."""
    return kind in _KINDS


# --- places ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Place:
    code: str
    name: str
    kind: PlaceKind
    parent: str | None = None
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"place {self.code}: kind must be one of {_KINDS}, not {self.kind!r}")


@dataclass(frozen=True)
class PlaceMatch:
    place: Place
    score: float
    sure: bool  # an unambiguous exact name/alias hit; anything else the bot confirms with the citizen


_WARD = frozenset({"ward"})
_COMMUNE = frozenset({"commune"})
_TOWN = frozenset({"ward", "commune"})  # thị trấn: a commune-level town, often called a ward by residents
_RESIDENTIAL = frozenset({"residential"})
_PREFIXES: dict[tuple[str, ...], frozenset[str]] = {
    tuple(phrase.split()): kinds
    for kinds, phrases in (
        (_WARD, ("p", "phuong", "f")),
        (_COMMUNE, ("x", "xa")),
        (_TOWN, ("tt", "thi tran")),
        (_RESIDENTIAL, ("kdc", "khu dan cu", "khu", "to dan pho", "tdp", "thon", "khu pho", "kp", "ap", "xom")),
    )
    for phrase in phrases
}
_GLUED_PREFIX = re.compile(r"^(p|f|x|kp|tdp)(\d+)$")  # "p3" -> "p 3"

_EXACT, _ACCENT_DIFFERS, _INITIALS, _FUZZY = 0.95, 0.85, 0.75, 0.85
_PREFIX_AGREES, _PREFIX_DISAGREES, _ANCESTOR = 0.05, -0.10, -0.05
_FUZZY_MIN_SIMILARITY = 0.75
_SHORT_REPLY_WORDS = 4  # a reply this short is tried whole for typos ("saodo", "hoang tam")
_SHORT_KEY = 3  # keys this short ("sd", "td") count only as the whole reply or right after a prefix


_W = TypeVar("_W", str, tuple[str, str])


@dataclass(frozen=True, slots=True)
class _Key:
    place: int
    folded: tuple[str, ...]
    spellings: tuple[tuple[str, ...], ...]  # the same folded words as written in the name and aliases
    derived: bool  # initials computed from the name, not written by the organisation
    prefixed: bool  # "khu dân cư Tiền Định": typos are looked for in the prefix-less key only

    @property
    def short(self) -> bool:
        return sum(map(len, self.folded)) <= _SHORT_KEY

    @property
    def fuzzy(self) -> bool:
        return not (self.derived or self.prefixed or self.short)


@dataclass(slots=True)
class _Hit:
    score: float
    exact: bool = False
    clear: bool = False  # an exact hit whose mention is unambiguous (prefix, whole reply, own marks...)
    prefix_agrees: bool = False


def _strip_prefix(words: list[_W]) -> list[_W]:
    """Without a leading "phường", "p.", "khu dân cư"...; words are tokens or (surface, token) pairs."""
    folded = tuple(w if isinstance(w, str) else w[1] for w in words)
    for size in (3, 2, 1):
        if len(folded) > size and folded[:size] in _PREFIXES:
            return words[size:]
    return words


def _place_keys(index: int, place: Place) -> list[_Key]:
    """Name and aliases, each also without its prefix; initials of a name of two words or more."""
    spellings: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    prefixed: set[tuple[str, ...]] = set()
    for text in (place.name, *place.aliases):
        full = split_words(text)
        core = _strip_prefix(full)
        for words in (full, core):
            if words:
                spellings.setdefault(tuple(t for _, t in words), []).append(tuple(s for s, _ in words))
        if len(core) < len(full):
            prefixed.add(tuple(t for _, t in full))
    keys = [_Key(index, folded, tuple(dict.fromkeys(written)), derived=False, prefixed=folded in prefixed)
            for folded, written in spellings.items()]
    core_words = _strip_prefix(tokens(place.name))
    initials = ("".join(t[0] for t in core_words),)
    if len(core_words) >= 2 and initials not in spellings:
        keys.append(_Key(index, initials, (initials,), derived=True, prefixed=False))
    return keys


_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")


def _tone_split(word: str) -> tuple[str, str]:
    """("hoà" and "hòa" alike) -> ("hoa", grave): letters with vowel marks, and the tone wherever it sits."""
    decomposed = unicodedata.normalize("NFD", word)
    return (unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS)),
            "".join(c for c in decomposed if c in _TONE_MARKS))


def _accents_agree(typed: tuple[str, ...], key: _Key) -> bool:
    """Typed without any mark: fine. Typed with marks: they must be the name's own, word for word,
    so "sao đo" or "phả lai" (a mark missing or wrong) is a near miss the bot confirms."""
    if all(word == fold(word) for word in typed):
        return True
    return any(all(_tone_split(t) == _tone_split(w) for t, w in zip(typed, written, strict=True))
               for written in key.spellings)


@dataclass(frozen=True)
class Street:
    """A street of the area, as the organisation lists it, and the ward(s) it runs through."""

    name: str
    wards: tuple[str, ...]


_MASK = "\x00"  # a word that is never part of a place: a formula, the city's own name, a listed street


def _accents_all_differ(typed: tuple[str, ...], key: _Key) -> bool:
    """Every word typed with marks, none of them the name's own: another phrase, not a slip."""
    if any(word == fold(word) for word in typed):
        return False
    return all(all(_tone_split(t) != _tone_split(w) for t, w in zip(typed, written, strict=True))
               for written in key.spellings)


class PlaceIndex:
    """Places with their folded names, prefix-less names, aliases and initials, ready for `match`.

    A place is `sure` (filled in without asking) only when its mention is unambiguous: after a prefix
    ("phường", "p.", "khu", "thôn"...), as the whole reply, or as a full name typed with its own marks (or,
    without marks, at the start or after "ở/tại") and not inside a street's or a person's name. A listed
    street ("đường Nguyễn Thái Học") names its ward when only one ward lists it.
    """

    def __init__(self, places: Iterable[Place], lexicon: Lexicon | None = None,
                 streets: Iterable[Street] = ()) -> None:
        self.places = tuple(places)
        self.lexicon = lexicon or default_lexicon()
        self._by_first: dict[str, list[_Key]] = {}
        self._fuzzy_keys: list[_Key] = []
        self._fuzzy_by_word: dict[str, list[_Key]] = {}  # a long message only tries keys sharing a word
        for index, place in enumerate(self.places):
            for key in _place_keys(index, place):
                self._by_first.setdefault(key.folded[0], []).append(key)
                if key.fuzzy:
                    self._fuzzy_keys.append(key)
                    for word in key.folded:
                        self._fuzzy_by_word.setdefault(word, []).append(key)
        by_code = {p.code: i for i, p in enumerate(self.places)}
        self._ancestors = [self._ancestry(i, by_code) for i in range(len(self.places))]
        self._streets: dict[str, list[tuple[tuple[str, ...], tuple[int, ...]]]] = {}
        for street in streets:
            folded = tuple(tokens(street.name))
            wards = tuple(by_code[w] for w in street.wards if w in by_code)
            if folded:
                self._streets.setdefault(folded[0], []).append((folded, wards))

    def _ancestry(self, index: int, by_code: dict[str, int]) -> frozenset[int]:
        found: set[int] = set()
        parent = self.places[index].parent
        while parent in by_code and by_code[parent] not in found and by_code[parent] != index:
            found.add(by_code[parent])
            parent = self.places[by_code[parent]].parent
        return frozenset(found)

    def match(self, text: str) -> list[PlaceMatch]:
        words = _split_glued([(w.written, _MASK if w.masked else w.folded)
                              for w in self.lexicon.read(text)])
        if not words:
            return []
        hits: dict[int, _Hit] = {}
        words = self._street_hits(words, hits)
        self._exact(words, hits)
        self._fuzzy(words, hits)
        return self._rank(hits)

    def _street_hits(self, words: list[tuple[str, str]], hits: dict[int, _Hit]) -> list[tuple[str, str]]:
        """Listed streets name their ward (surely after "đường/phố" when one ward lists them); their words are
        no place's own name ("đường Nguyễn Thái Học" is not phường Thái Học). After a place prefix ("khu
        Nguyễn Trãi") the words are the place's, not the street's."""
        if not self._streets:
            return words
        query = [t for _, t in words]
        out = list(words)
        for start, token in enumerate(query):
            for folded, wards in self._streets.get(token, ()):
                end = start + len(folded)
                if tuple(query[start:end]) != folded or _prefix_before(query, start)[0] is not None:
                    continue
                if start == 0 and end == len(query):  # the whole reply: a place of that name wins, else a guess
                    for ward in wards:
                        self._record(hits, ward, _EXACT, None, exact=True, clear=False)
                    continue
                for i in range(start, end):
                    out[i] = (out[i][0], _MASK)
                if start > 0 and query[start - 1] in self.lexicon.person_titles:
                    continue  # "anh Nguyễn Thái Học" is a person
                named = start > 0 and self._is_street_word(query, start)
                for ward in wards:
                    self._record(hits, ward, _EXACT, None, exact=True, clear=named and len(wards) == 1)
        return out

    def _is_street_word(self, query: list[str], start: int) -> bool:
        return query[start - 1] in self.lexicon.street_words or \
            " ".join(query[max(0, start - 2):start]) in self.lexicon.street_words

    def _blocked(self, query: list[str], start: int) -> bool:
        """Right after "đường", "ông", "bà", "Nguyễn"...: part of a street's or a person's name."""
        if start == 0:
            return False
        before = query[start - 1]
        lex = self.lexicon
        return self._is_street_word(query, start) or before in lex.person_titles or before in lex.surnames

    def _after_locative(self, query: list[str], start: int) -> bool:
        lex = self.lexicon
        return start > 0 and (query[start - 1] in lex.locatives
                              or " ".join(query[max(0, start - 2):start]) in lex.locatives)

    def _exact(self, words: list[tuple[str, str]], hits: dict[int, _Hit]) -> None:
        query = [t for _, t in words]
        for start, token in enumerate(query):
            for key in self._by_first.get(token, ()):
                end = start + len(key.folded)
                if tuple(query[start:end]) != key.folded:
                    continue
                kinds, prefix_start = _prefix_before(query, start)
                standalone = (prefix_start == 0 or start == 0) and end == len(query)
                if key.short and kinds is None and not standalone:
                    continue  # "sd" inside a sentence is "sử dụng", not Sao Đỏ
                typed = tuple(s for s, _ in words[start:end])
                if kinds is None and start > 0 and query[start - 1] in self.lexicon.person_titles:
                    continue  # "chị Thanh Mai" is a person
                if not key.derived and _accents_all_differ(typed, key):
                    continue  # "chỉ mình" typed with its own marks is not Chí Minh
                exact = not key.derived and _accents_agree(typed, key)
                marked = any(t != fold(t) for t in typed)
                clear = kinds is not None or standalone or (
                    not self._blocked(query, start)
                    and (marked or start == 0 or self._after_locative(query, start))
                )
                base = _INITIALS if key.derived else _EXACT if exact else _ACCENT_DIFFERS
                self._record(hits, key.place, base, kinds, exact=exact, clear=clear)

    def _fuzzy(self, words: list[tuple[str, str]], hits: dict[int, _Hit]) -> None:
        """Typos in plain letters ("sao dor", "hoang tam"); words typed with marks are what they say."""
        query = [t for _, t in words]
        plain = [t if s == t else _MASK for s, t in words]
        short_reply = len(_strip_prefix(query)) <= _SHORT_REPLY_WORDS
        lex = self.lexicon
        keys = self._fuzzy_keys if short_reply else list(dict.fromkeys(
            key for word in set(plain) for key in self._fuzzy_by_word.get(word, ())))
        for key in keys:
            if key.place in hits:
                continue
            found = _best_window(plain, key.folded, every_window=short_reply)
            if found is None:
                continue
            score, start = found
            kinds = _prefix_before(query, start)[0]
            if kinds is None and (self._blocked(query, start) or query[start] in lex.person_titles):
                continue  # "ông Hòa" is a neighbour, not Cộng Hòa
            self._record(hits, key.place, _FUZZY * score, kinds, exact=False, clear=False)

    def _record(self, hits: dict[int, _Hit], place: int, base: float, kinds: frozenset[str] | None,
                *, exact: bool, clear: bool) -> None:
        agrees = kinds is not None and self.places[place].kind in kinds
        if kinds is not None:
            base += _PREFIX_AGREES if agrees else _PREFIX_DISAGREES
        hit = hits.setdefault(place, _Hit(base))
        hit.score = max(hit.score, base)
        hit.exact = hit.exact or exact
        hit.clear = hit.clear or (exact and clear)
        hit.prefix_agrees = hit.prefix_agrees or (exact and agrees)

    def _rank(self, hits: dict[int, _Hit]) -> list[PlaceMatch]:
        named_below = set().union(*(self._ancestors[p] for p in hits)) if hits else set()
        exact = [p for p, hit in hits.items() if hit.exact]
        # "kdc Tiền Định, phường Sao Đỏ": the ward is the area's own parent, not a rival answer.
        rivals = [p for p in exact if not any(p in self._ancestors[q] for q in exact)]
        if len(rivals) > 1:
            rivals = [p for p in rivals if hits[p].prefix_agrees]
        sure = rivals[0] if len(rivals) == 1 and hits[rivals[0]].clear else None
        ranked = [
            (p, round(min(1.0, hit.score + (_ANCESTOR if p in named_below else 0.0)), 3))
            for p, hit in hits.items()
        ]
        ranked.sort(key=lambda item: (item[0] != sure, -item[1], item[0]))
        return [PlaceMatch(self.places[p], score, p == sure) for p, score in ranked]


def _split_glued(words: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for surface, token in words:
        glued = _GLUED_PREFIX.match(token)
        out.extend([(glued[1], glued[1]), (glued[2], glued[2])] if glued else [(surface, token)])
    return out


def _prefix_before(query: list[str], start: int) -> tuple[frozenset[str] | None, int | None]:
    """The place-kind prefix ("p", "khu dân cư", ...) right before `start`: (its kinds, where it starts)."""
    for size in (3, 2, 1):
        phrase = tuple(query[max(0, start - size):start])
        if len(phrase) == size and phrase in _PREFIXES:
            return _PREFIXES[phrase], start - size
    return None, None


def _best_window(query: list[str], key: tuple[str, ...], *, every_window: bool) -> tuple[float, int] | None:
    """Best typo-tolerant window ("sao dor", "saodo", "hoang tam"): (similarity, start) or None.

    In a long message only windows sharing a word with the key are tried, to stay cheap and precise.
    """
    target = "".join(key)
    allowed = int(len(target) * (1 - _FUZZY_MIN_SIMILARITY))
    shared = [i for i, word in enumerate(query) if word in key]
    best: tuple[float, int] | None = None
    for size in range(max(1, len(key) - 1), len(key) + 2):
        last = len(query) - size
        starts = range(last + 1) if every_window else {s for i in shared for s in range(i - size + 1, i + 1)}
        for start in starts:
            if not 0 <= start <= last:
                continue
            candidate = "".join(query[start:start + size])
            # a slip in the very first letter is rare, and checking it first keeps long messages cheap
            if candidate[0] != target[0] or abs(len(candidate) - len(target)) > allowed or _MASK in candidate:
                continue
            distance = edit_distance(candidate, target, allowed)
            if distance <= allowed:
                score = 1.0 - distance / max(len(candidate), len(target))
                if best is None or (score, -start) > (best[0], -best[1]):
                    best = (score, start)
    return best


@lru_cache(maxsize=16)
def _place_index(places: tuple[Place, ...]) -> PlaceIndex:
    return PlaceIndex(places)


def match_place(text: str, places: PlaceIndex | Iterable[Place]) -> list[PlaceMatch]:
    """Places named in `text`, best first; `sure` only for one unambiguous exact name/alias hit."""
    index = places if isinstance(places, PlaceIndex) else _place_index(tuple(places))
    return index.match(text)


# --- coordinates -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlaceArea:
    """A place's centre and the radius (metres) within which a shared location counts as inside it."""

    code: str
    lat: float
    lon: float
    radius_m: float


_EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def match_nearest(
    lat: float, lon: float, places_with_coords: Iterable[PlaceArea | tuple[str, float, float, float]],
) -> str | None:
    """The code of the place with the nearest centre among those whose radius holds the point."""
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    best: tuple[float, str] | None = None
    for area in places_with_coords:
        code, plat, plon, radius = (
            (area.code, area.lat, area.lon, area.radius_m) if isinstance(area, PlaceArea) else area
        )
        distance = distance_m(lat, lon, plat, plon)
        if distance <= radius and (best is None or distance < best[0]):
            best = (distance, code)
    return None if best is None else best[1]


# --- categories ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CategoryTerms:
    code: str
    names: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()  # messages written the way citizens write about this category


@dataclass(frozen=True)
class CategorySuggestion:
    code: str
    score: float  # the share of the evidence among the categories suggested (0..1]
    matched: tuple[str, ...]  # the words of the message that decided, as typed, strongest first


_NAME_PARTS = re.compile(r"[,;/:]")
KEYWORD_WEIGHT = 3.0  # a keyword is a strong prior: worth three example messages
NAME_WEIGHT = 1.0  # a title ("Xây dựng trái phép") is a weaker guide than a keyword
EXAMPLE_WEIGHT = 1.0
LEARNED_WEIGHT = 2.0  # an official's correction outweighs a written example
MIN_SCORE = 1.5  # below this the words point nowhere in particular: no suggestion
SECOND_SHARE = 0.3  # further suggestions only with at least this fraction of the first one's score


class CategoryIndex:
    """A topic model over the categories' keywords, names and examples; `suggest` ranks a message."""

    def __init__(self, categories: Iterable[CategoryTerms], lexicon: Lexicon | None = None,
                 learned: Iterable[tuple[str, str]] = ()) -> None:
        self.categories = tuple(categories)
        self.lexicon = lexicon or default_lexicon()
        position = {c.code: i for i, c in enumerate(self.categories)}
        texts: list[TrainingText] = []
        for i, category in enumerate(self.categories):
            texts += [TrainingText(i, k, KEYWORD_WEIGHT, phrase=True) for k in category.keywords]
            texts += [TrainingText(i, p.strip(), NAME_WEIGHT, phrase=True)
                      for name in category.names[:1] for p in _NAME_PARTS.split(name) if p.strip()]
            texts += [TrainingText(i, e, EXAMPLE_WEIGHT) for e in category.examples]
        texts += [TrainingText(position[code], text, LEARNED_WEIGHT) for code, text in learned if code in position]
        self.model = TopicModel(len(self.categories), texts, self.lexicon)

    def suggest(self, text: str, limit: int = 3) -> list[CategorySuggestion]:
        scored = [s for s in self.model.score(text) if s.score >= MIN_SCORE]
        if not scored:
            return []
        scored = [s for s in scored if s.score >= SECOND_SHARE * scored[0].score][:limit]
        total = sum(s.score for s in scored)
        return [CategorySuggestion(self.categories[s.category].code, round(s.score / total, 3),
                                   tuple(e.said for e in s.evidence)) for s in scored]


@lru_cache(maxsize=16)
def _category_index(categories: tuple[CategoryTerms, ...]) -> CategoryIndex:
    return CategoryIndex(categories)


def suggest_categories(
    text: str, categories: CategoryIndex | Iterable[CategoryTerms], limit: int = 3,
) -> list[CategorySuggestion]:
    """Categories the words of `text` point to, best first, with the words that decided; empty when none."""
    index = categories if isinstance(categories, CategoryIndex) else _category_index(tuple(categories))
    return index.suggest(text, limit)


def build_matchers(
    places: Iterable[Place], categories: Iterable[CategoryTerms], matching: Mapping[str, Any] | None = None,
    learned: Iterable[tuple[str, str]] = (),
) -> tuple[PlaceIndex, CategoryIndex]:
    """Both indexes of an organisation: its places and streets, its categories with their examples, the
    shipped lexicon with the organisation's additions, and the (category, text) examples officials taught."""
    matching = matching or {}
    lexicon = default_lexicon().extended(
        matching.get("abbreviations") or {}, matching.get("formulas") or (), matching.get("not_places") or (),
    )
    wards_of: dict[str, list[str]] = {}
    for ward, names in (matching.get("streets") or {}).items():
        for name in names:
            wards_of.setdefault(name, []).append(ward)
    streets = [Street(name, tuple(wards)) for name, wards in wards_of.items()]
    examples = matching.get("examples") or {}
    categories = [
        c if c.code not in examples else replace(c, examples=(*c.examples, *examples[c.code]))
        for c in categories
    ]
    places = list(places)
    # Place and street names say where, not what: "Cộng Hòa" is no flower, "Bến Tắm" no bath.
    names = [n for p in places for n in (p.name, *p.aliases) if len(fold(n).replace(" ", "")) > _SHORT_KEY]
    topic_lexicon = lexicon.extended(formulas=[*names, *wards_of])
    return PlaceIndex(places, lexicon, streets), CategoryIndex(categories, topic_lexicon, learned)


# --- replies to questions --------------------------------------------------------------------------------

K = TypeVar("K")

_NUMBER_WORDS = {
    "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8, "chin": 9,
    "muoi": 10, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
}
_NUMBERED = re.compile(
    r"^(?:(?:toi|em|minh|chau|con|da)\s+)?(?:(?:xin\s+)?chon\s+)?"
    r"(?:(?:so|muc|cau|lua chon|phuong an|option|number|no)\s+)?"
    rf"(\d{{1,2}}|{'|'.join(_NUMBER_WORDS)})(?:\s+(?:a|nhe|nha|nhen|ha|di|oi|thoi))*$"
)
_LABEL_PREFIX_MIN_LETTERS = 3
_LABEL_TYPO_MIN_SIMILARITY = 0.8


def _choice_by_number(query: str, count: int) -> int | None:
    found = _NUMBERED.match(query)
    if found is None:
        return None
    number = int(found[1]) if found[1].isdigit() else _NUMBER_WORDS[found[1]]
    return number - 1 if 1 <= number <= count else None


def _only(candidates: list[int]) -> int | None:
    return candidates[0] if len(candidates) == 1 else None


def _choice_by_label(query: str, labels: list[str]) -> int | None:
    """An unambiguous start of one label, else one label within a typo or two."""
    if len(query.replace(" ", "")) >= _LABEL_PREFIX_MIN_LETTERS:
        prefixed = [i for i, label in enumerate(labels) if label.startswith(query)]
        if prefixed:
            return _only(prefixed)
        close = [i for i, label in enumerate(labels) if similarity(query, label) >= _LABEL_TYPO_MIN_SIMILARITY]
        return _only(close)
    return None


def parse_choice(text: str | None, options: Sequence[tuple[K, str]]) -> K | None:
    """A typed reply to a numbered list: "2", "2.", "số 2", "hai", the label (with or without marks) or
    an unambiguous start of it (>= 3 letters). None when ambiguous or unrecognised."""
    query = normalise(text or "")
    if not query or not options:
        return None
    labels = [normalise(label) for _, label in options]
    exact = [i for i, label in enumerate(labels) if label == query]
    if exact:
        chosen = _only(exact)
    else:
        chosen = _choice_by_number(query, len(options))
        if chosen is None:
            chosen = _choice_by_label(query, labels)
    return None if chosen is None else options[chosen][0]


_YES = frozenset({
    "co", "u", "uh", "um", "uhm", "uk", "ok", "oke", "okay", "oki", "okie", "yes", "y", "yeah", "yep", "sure",
    "vang", "da", "dung", "chuan", "phai", "duoc", "dc", "dong y", "chinh xac", "xac nhan", "chac chan",
    "dung vay", "dung the", "duoc roi", "dung roi", "chuan roi", "co a", "vang a", "da vang", "da dung",
    "da co", "da phai", "ok roi", "oke roi", "gui", "gui di",
})
_NO_FIRST = frozenset({"khong", "ko", "k", "kg", "khg", "kh", "hong", "hok", "no", "n", "nope", "sai", "chua", "huy"})
_NO = frozenset({"thoi", "cancel", "khong can", "thoi khoi", "bo qua"})
_COURTESY_LEAD = frozenset({"da", "em", "toi", "minh", "chau", "con"})
_COURTESY_TAIL = frozenset({"a", "nhe", "nha", "nhen", "ha", "oi", "roi", "vay", "the", "ak", "ah"})


def _trim_courtesy(words: list[str]) -> list[str]:
    """ "dạ không ạ" -> "không"; a lone "dạ" stays (it is a yes)."""
    while len(words) > 1 and words[-1] in _COURTESY_TAIL:
        words = words[:-1]
    while len(words) > 1 and words[0] in _COURTESY_LEAD:
        words = words[1:]
    return words


def parse_yes_no(text: str | None) -> bool | None:
    """True for có/ừ/ok/đồng ý/vâng/đúng..., False for không/ko/k/sai/chưa..., None otherwise."""
    words = tokens(text or "")
    if not words:
        return None
    phrase = " ".join(words)
    if phrase in _YES:
        return True
    if phrase in _NO:
        return False
    words = _trim_courtesy(words)
    phrase = " ".join(words)
    if words[0] in _NO_FIRST or phrase in _NO:  # "không đồng ý", "chưa đúng", "ko phải"
        return False
    if phrase in _YES or (words[0] in _YES and not any(w in _NO_FIRST for w in words)):
        return True
    return None
