"""Canonical text for matching what citizens type, with or without Vietnamese diacritics.

Citizens type on phones, often without a Vietnamese input method: "duong ngap nuoc", Telex left-overs
("dduwowngf ngaapj") or VNI left-overs ("d9u7o7ng2"). Everything that compares words (places, categories,
numbered choices, yes/no) compares `normalise(...)` forms: Telex/VNI repaired, then folded to plain
lower-case ASCII letters, digits and single spaces.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["edit_distance", "fold", "normalise", "similarity", "split_words", "tokens", "untelex"]


# --- folding ---------------------------------------------------------------------------------------------

_COMBINING_RANGES = ((0x0300, 0x0370), (0x1AB0, 0x1B00), (0x1DC0, 0x1E00), (0x20D0, 0x2100))


def _build_fold_table() -> dict[int, str | None]:
    """Precomposed letter -> its base letter; combining marks -> removed (so NFD input folds too)."""
    table: dict[int, str | None] = {}
    for low, high in _COMBINING_RANGES:
        table.update(dict.fromkeys(range(low, high)))
    for code in range(0x00C0, 0x2000):
        char = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
        if base and base != char:
            table[code] = base
    # đ has no decomposition; ð (eth) turns up from legacy fonts and keyboards in place of đ.
    table.update({ord("đ"): "d", ord("Đ"): "d", ord("ð"): "d", ord("Ð"): "d"})
    return table


_FOLD_TABLE = _build_fold_table()
_NON_WORD = re.compile(r"[\W_]+")


def fold(s: str) -> str:
    """Lower-case, strip every diacritic (đ -> d), keep only letters/digits, single spaces."""
    return _NON_WORD.sub(" ", s.lower().translate(_FOLD_TABLE)).strip()


# --- Telex / VNI repair ----------------------------------------------------------------------------------

_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT = "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"
_TELEX_TONES = {"s": _ACUTE, "f": _GRAVE, "r": _HOOK, "x": _TILDE, "j": _DOT}
_VNI_TONES = {"1": _ACUTE, "2": _GRAVE, "3": _HOOK, "4": _TILDE, "5": _DOT}
_HAT = {"a": "â", "e": "ê", "o": "ô"}
# (replacements, which vowel takes the mark first when the key comes after a vowel cluster)
_W_MARK = ({"a": "ă", "o": "ơ", "u": "ư"}, "aou")
_VNI_MARKS = {"6": (_HAT, "eoa"), "7": ({"o": "ơ", "u": "ư"}, "ou"), "8": ({"a": "ă"}, "a")}

_VOWELS = frozenset("aăâeêioôơuưy")
_MODIFIED_VOWELS = frozenset("ăâêôơư")
_INITIALS = ("ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "th", "tr", "qu",
             "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x")
_FINALS = frozenset({"", "c", "ch", "m", "n", "ng", "nh", "p", "t"})
_STOP_FINALS = frozenset({"c", "ch", "p", "t"})


def _nuclei() -> dict[str, str]:
    """Written vowel clusters of Vietnamese: 'any' final, 'closed' (needs a final), 'open' (takes none)."""
    table = dict.fromkeys("a e ê i o ô ơ u ư y oa oe uê uy oo".split(), "any")
    table.update(dict.fromkeys("ă â oă uâ iê yê uô ươ uyê".split(), "closed"))
    table.update(dict.fromkeys(
        "ai ao au ay âu ây eo êu ia iu oi ôi ơi ua ui ưa ưi ưu uơ "
        "iêu yêu oai oao oay oeo uây uôi uya uyu ươi ươu".split(), "open"))
    return table


_NUCLEI = _nuclei()
# English words a citizen may well mean, that Telex would read as a rare syllable ("of" -> "ò").
_ENGLISH = frozenset({"as", "is", "us", "of", "if", "or", "bus", "box", "tax"})
# Cheap pre-check: does the word contain anything a Telex or VNI typist would leave behind?
_MARKER_HINT = re.compile(r"dd|aa|ee|oo|w|[aeiouy][a-z]*[sfrxj]|[a-z][a-z0-9]*[1-9]")


def _last_vowel_run(letters: list[str]) -> tuple[int, int] | None:
    end = len(letters)
    while end > 0 and letters[end - 1] not in _VOWELS:
        end -= 1
    if end == 0:
        return None
    start = end - 1
    while start > 0 and letters[start - 1] in _VOWELS:
        start -= 1
    return start, end


def _apply_mark(letters: list[str], mark: tuple[dict[str, str], str], bare: str | None = None) -> bool:
    """Put a vowel mark (Telex w, VNI 6/7/8) on the last vowel cluster typed so far."""
    replacements, priority = mark
    run = _last_vowel_run(letters)
    if run is None:
        if bare is None:
            return False
        letters.append(bare)  # Telex: a lone "w" is "ư" ("nhw" -> "như")
        return True
    start, end = run
    if "o" in replacements:  # "uo" + horn -> "ươ", except the u of "qu"
        for i in range(start, end - 1):
            if letters[i] in "uư" and letters[i + 1] == "o" and not (i > 0 and letters[i - 1] == "q"):
                letters[i], letters[i + 1] = "ư", "ơ"
                return True
    for vowel in priority:
        for i in range(end - 1, start - 1, -1):
            if letters[i] == vowel:
                letters[i] = replacements[vowel]
                return True
    return False


def _telex_keys(word: str) -> tuple[str, str] | None:
    """Telex key strokes -> (letters with vowel marks, tone mark); None if nothing Telex-like."""
    letters: list[str] = []
    tone = ""
    marked = seen_vowel = False
    for ch in word:
        if ch in _TELEX_TONES and seen_vowel:  # s/f/r/x/j never follow a vowel in a real syllable
            if tone:
                return None
            tone = _TELEX_TONES[ch]
            continue
        if ch == "w":
            if not _apply_mark(letters, _W_MARK, bare="ư"):
                return None
        elif ch == "d" and letters == ["d"]:
            letters[0] = "đ"
        elif ch in _HAT and letters and letters[-1] == ch:
            letters[-1] = _HAT[ch]
        else:
            letters.append(ch)
            seen_vowel = seen_vowel or ch in _VOWELS
            continue
        marked = True
        seen_vowel = seen_vowel or letters[-1] in _VOWELS
    if not marked and not tone:
        return None
    return "".join(letters), tone


def _vni_keys(word: str) -> tuple[str, str] | None:
    """VNI key strokes (digits 1-9 inside a word) -> (letters with vowel marks, tone mark)."""
    letters: list[str] = []
    tone = ""
    for ch in word:
        if ch.isalpha():
            letters.append(ch)
        elif ch in _VNI_TONES:
            if tone or not any(c in _VOWELS for c in letters):
                return None
            tone = _VNI_TONES[ch]
        elif ch == "9":
            if not letters or letters[0] != "d":
                return None
            letters[0] = "đ"
        elif ch not in _VNI_MARKS or not _apply_mark(letters, _VNI_MARKS[ch]):
            return None
    return "".join(letters), tone


def _split_syllable(letters: str) -> tuple[str, str, str] | None:
    """-> (initial consonant, vowel cluster, final consonant), or None if it is no syllable."""
    initial = next((i for i in _INITIALS if letters.startswith(i)), "")
    rest = letters[len(initial):]
    if initial == "gi" and (not rest or rest[0] not in _VOWELS):  # "gì", "gìn": the i is the vowel
        initial, rest = "g", letters[1:]
    end = 0
    while end < len(rest) and rest[end] in _VOWELS:
        end += 1
    nucleus, final = rest[:end], rest[end:]
    if not nucleus or final not in _FINALS:
        return None
    return initial, nucleus, final


_CLOSED_HATLESS = {"ie": "iê", "ye": "yê", "uye": "uyê"}


def _fix_vowel_marks(nucleus: str, final: str) -> str:
    """Spell half-marked clusters properly: "ưo"/"uơ" -> "ươ", open "ươ" -> "uơ" (thuở), "ie"+n -> "iê"."""
    if nucleus[:2] in ("ưo", "uơ") and (final or len(nucleus) > 2):
        return "ươ" + nucleus[2:]
    if nucleus == "ươ" and not final:
        return "uơ"
    if final and nucleus in _CLOSED_HATLESS:  # no syllable has "ie"/"ye" before a final consonant
        return _CLOSED_HATLESS[nucleus]
    return nucleus


def _place_tone(nucleus: str, final: str, tone: str) -> str:
    marked = [i for i, c in enumerate(nucleus) if c in _MODIFIED_VOWELS]
    if marked:
        at = marked[-1]
    elif final or len(nucleus) == 1:
        at = len(nucleus) - 1
    else:
        at = 1 if len(nucleus) == 3 else 0  # "oài"; "hòa", "mùa" (traditional placement)
    return nucleus[: at + 1] + tone + nucleus[at + 1:]


def _syllable(letters: str, tone: str) -> str | None:
    parts = _split_syllable(letters)
    if parts is None:
        return None
    initial, nucleus, final = parts
    nucleus = _fix_vowel_marks(nucleus, final)
    kind = _NUCLEI.get(nucleus)
    if kind is None or (kind == "closed" and not final) or (kind == "open" and final):
        return None
    if final in _STOP_FINALS and tone not in (_ACUTE, _DOT):  # -c/-ch/-p/-t take only sắc or nặng
        return None
    return unicodedata.normalize("NFC", initial + _place_tone(nucleus, final, tone) + final)


@lru_cache(maxsize=8192)
def _repair(word: str) -> str | None:
    """Lower-case ASCII word -> the Vietnamese syllable it was meant to be, or None."""
    if not word[0].isalpha() or word in _ENGLISH or not _MARKER_HINT.search(word):
        return None
    if any(c.isdigit() for c in word):
        # "A1", "b12": building and plot codes, not VNI; a VNI syllable has at least two letters
        keyed = _vni_keys(word) if sum(c.isalpha() for c in word) >= 2 else None
    else:
        keyed = _telex_keys(word)
    return None if keyed is None else _syllable(*keyed)


def untelex(word: str) -> str:
    """Repair one word typed with Telex or VNI keys but no input method ("nuwowcs" -> "nước").

    The word is changed only if it carries such keys AND the result is a well-formed Vietnamese
    syllable, so plain unaccented words ("sao", "do", "rac", "dien") come back unchanged.
    """
    if not word or not word.isascii() or not word.isalnum():
        return word
    repaired = _repair(word.lower())
    if repaired is None:
        return word
    if word.isupper():
        return repaired.upper()
    return repaired[0].upper() + repaired[1:] if word[0].isupper() else repaired


# --- canonical form --------------------------------------------------------------------------------------

_WORD = re.compile(r"[\w\u0300-\u036f]+")


def _nfc(s: str) -> str:
    return s if s.isascii() else unicodedata.normalize("NFC", s)


def normalise(s: str) -> str:
    """The canonical form for matching: each word Telex/VNI-repaired, then folded."""
    return fold(_WORD.sub(lambda m: untelex(m.group()), _nfc(s)))


def tokens(s: str) -> list[str]:
    """The words of `normalise(s)`."""
    return normalise(s).split()


def split_words(s: str) -> list[tuple[str, str]]:
    """(surface, token) pairs: the token as in `tokens(s)` and the lower-case word it came from.

    The surface keeps the diacritics the citizen did type, so a matcher can tell "sao do" (typed without
    marks, fine) from "sao đo" (typed with marks, and they disagree with "Sao Đỏ").
    """
    pairs: list[tuple[str, str]] = []
    for match in _WORD.finditer(_nfc(s)):
        surface = untelex(match.group()).lower()
        pairs.extend((surface, token) for token in fold(surface).split())
    return pairs


# --- typo tolerance --------------------------------------------------------------------------------------

def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Damerau-Levenshtein distance (optimal string alignment); with `limit`, anything above is limit+1.

    With a limit only the diagonal band |i - j| <= limit is computed: cells outside it cannot lead back
    to a distance within the limit.
    """
    if a == b:
        return 0
    band = max(len(a), len(b)) if limit is None else limit
    if abs(len(a) - len(b)) > band:
        return band + 1
    far = band + 1
    before: list[int] = []
    previous = [j if j <= band else far for j in range(len(b) + 1)]
    for i, ca in enumerate(a, 1):
        current = [i if i <= band else far] + [far] * len(b)
        for j in range(max(1, i - band), min(len(b), i + band) + 1):
            cb = b[j - 1]
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, before[j - 2] + 1)
            current[j] = cost
        if min(current) > band:
            return far
        before, previous = previous, current
    return min(previous[-1], far)


def similarity(a: str, b: str) -> float:
    """1.0 for equal folded strings, falling towards 0.0 with each edit (typo, swap, missing letter)."""
    fa, fb = fold(a), fold(b)
    longest = max(len(fa), len(fb))
    if longest == 0:
        return 1.0
    return 1.0 - edit_distance(fa, fb) / longest
