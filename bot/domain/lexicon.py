"""The language data the matcher reads messages with: abbreviations, formulas, common and function words.

The data is a file (`locales/vi/matching.yaml`), not code, so it can be corrected without a release; an
organisation file may add its own abbreviations, formulas and names that are never places (the city's own
name). `read` turns a message into `Word`s: teencode expanded, formulas masked, each word with the marks
the citizen typed (or none) and its folded form.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.domain.text import fold, split_words, untelex

__all__ = ["Lexicon", "Word", "default_lexicon", "load_lexicon"]

DEFAULT_FILE = Path(__file__).resolve().parent.parent.parent / "locales" / "vi" / "matching.yaml"

# Always read as places' context, whatever the file says: words before a street name or a person's name.
_STREET_WORDS = frozenset({"duong", "pho", "ngo", "ngach", "hem", "kiet", "dg", "quoc lo", "tinh lo"})
_PERSON_TITLES = frozenset({
    "ong", "ba", "anh", "chi", "co", "chu", "bac", "cu", "cau", "mo", "di", "thim", "em", "chau", "thay",
    "nha", "gia dinh", "ho",
})
_SURNAMES = frozenset({
    "nguyen", "tran", "le", "pham", "hoang", "huynh", "phan", "vu", "vo", "dang", "bui", "do", "ho", "ngo",
    "duong", "ly", "mac", "dinh", "truong", "luong", "doan", "trinh", "cao", "ha", "ta", "lam", "quach",
})
_WORD = re.compile(r"[\w\u0300-\u036f]+")
_BREAK = re.compile(r"[.,;:!?\n]")


def _nfc(s: str) -> str:
    return s if s.isascii() else unicodedata.normalize("NFC", s)


_LOCATIVES = frozenset({"o", "tai", "thuoc", "khu vuc", "dia ban", "gan", "canh"})


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a message: `marked` is the word as typed when it carries marks (else None)."""

    folded: str
    marked: str | None
    masked: bool = False  # part of a formula or a name that is never a place: no weight, never matched
    clause: int = 0  # which part of the message (split at . , ; : ! ? and line breaks)
    spelled: str | None = None  # with the marks Telex/VNI keys put in too ("ddor" -> "đỏ"); None: as `marked`

    @property
    def written(self) -> str:
        """The word with every mark the citizen typed, keys included: what places compare."""
        return self.spelled or self.marked or self.folded

    @property
    def key(self) -> str:
        """The feature the word stands for: its marks when typed with them, its folded letters otherwise."""
        return f"m:{self.marked}" if self.marked else f"f:{self.folded}"


@dataclass(frozen=True)
class Lexicon:
    abbreviations: Mapping[str, tuple[tuple[str | None, str], ...]] = field(default_factory=dict)  # (marked, folded)
    formulas: tuple[tuple[str, ...], ...] = ()  # folded phrases, longest first
    not_places: tuple[tuple[str, ...], ...] = ()
    function_words: frozenset[str] = frozenset()  # folded AND marked forms
    common_words: frozenset[str] = frozenset()  # folded forms

    street_words: frozenset[str] = _STREET_WORDS
    person_titles: frozenset[str] = _PERSON_TITLES
    surnames: frozenset[str] = _SURNAMES
    locatives: frozenset[str] = _LOCATIVES

    def extended(self, abbreviations: Mapping[str, str] | None = None, formulas: Iterable[str] = (),
                 not_places: Iterable[str] = ()) -> Lexicon:
        """This lexicon with an organisation's own additions."""
        merged = dict(self.abbreviations)
        merged.update(_abbreviations(abbreviations or {}))
        return replace(self, abbreviations=merged, formulas=_phrases([*map(" ".join, self.formulas), *formulas]),
                       not_places=_phrases([*map(" ".join, self.not_places), *not_places]))

    def read(self, text: str) -> list[Word]:
        """The message's words: abbreviations expanded, formulas and never-places masked.

        A word typed with marks keeps them; a word typed in plain letters has none, even when it holds Telex
        or VNI keys ("ddeenf" is repaired to "đền" but may well mean "đèn": compared folded). `clause` counts
        the sentences and comma-separated parts before the word.
        """
        words: list[Word] = []
        clause, last_end = 0, 0
        text = _nfc(text)
        for found in _WORD.finditer(text):
            if words and _BREAK.search(text, last_end, found.start()):
                clause += 1
            last_end = found.end()
            original = found.group()
            repaired = untelex(original).lower()
            plain = original.isascii()
            for token in fold(repaired).split():
                expansion = self.abbreviations.get(original.lower()) or self.abbreviations.get(token)
                if expansion is None:
                    marked = None if repaired == token else repaired
                    words.append(Word(token, None if plain else marked, clause=clause,
                                      spelled=marked if plain else None))
                else:
                    words.extend(Word(folded, marked, clause=clause) for marked, folded in expansion)
        self._mask(words, self.formulas)
        self._mask(words, self.not_places)
        return words

    @staticmethod
    def _mask(words: list[Word], phrases: tuple[tuple[str, ...], ...]) -> None:
        if not phrases:
            return
        folded = [w.folded for w in words]
        firsts = _by_first(phrases)
        for start, token in enumerate(folded):
            for phrase in firsts.get(token, ()):
                end = start + len(phrase)
                if tuple(folded[start:end]) == phrase:
                    for i in range(start, end):
                        words[i] = replace(words[i], masked=True)
                    break


@lru_cache(maxsize=64)
def _by_first(phrases: tuple[tuple[str, ...], ...]) -> dict[str, list[tuple[str, ...]]]:
    """Phrases by their first word, longest first (phrases are kept sorted so)."""
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        index.setdefault(phrase[0], []).append(phrase)
    return index


def _abbreviations(raw: Mapping[str, str]) -> dict[str, tuple[tuple[str | None, str], ...]]:
    out: dict[str, tuple[tuple[str | None, str], ...]] = {}
    for typed, meant in raw.items():
        pairs = tuple((surface, token) for surface, token in split_words(str(meant)))
        out[str(typed).lower().strip()] = tuple((s if s != t else None, t) for s, t in pairs)
    return out


def _phrases(raw: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    phrases = {tuple(fold(p).split()) for p in raw if fold(p)}
    return tuple(sorted(phrases, key=lambda p: (-len(p), p)))


def _words(raw: str | None) -> list[str]:
    return [w for w in (raw or "").split() if w]


def load_lexicon(path: Path | str) -> Lexicon:
    data: dict[str, Any] = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    function = _words(data.get("function_words"))
    common = _words(data.get("common_words"))
    return Lexicon(
        abbreviations=_abbreviations(data.get("abbreviations") or {}),
        formulas=_phrases(data.get("formulas") or []),
        function_words=frozenset(w.lower() for w in function) | frozenset(fold(w) for w in function),
        common_words=frozenset(fold(w) for w in [*common, *function]),
    )


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The Vietnamese lexicon shipped with the project (read once, on first use)."""
    return load_lexicon(DEFAULT_FILE)
