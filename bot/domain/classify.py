"""Which category a message is about: a small multinomial naive Bayes model over syllable 1-2-grams.

Trained once per organisation snapshot from each category's keywords (strong priors), names, example
messages from the organisation file, and the examples officials taught by re-categorising cases. It is
explainable: a category's score is the sum, over the message's features, of how much more likely the
feature is under that category than on average (log-likelihood ratio), so the features with the largest
shares are the words that decided.

Features come from `bot.domain.lexicon.Word`s: a word typed with marks is compared with its marks ("có" is
not "cỏ"), a word typed without is compared folded. Function words add nothing alone but join their
neighbours in two-word features ("không sáng"); formulas and letter headers are masked and add nothing.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.domain.lexicon import Lexicon, Word
from bot.domain.text import edit_distance

__all__ = ["Evidence", "Scored", "TopicModel", "TrainingText"]

ALPHA = 0.3  # additive smoothing
# An unknown word of TYPO_MIN_LETTERS or more, one edit away from a single known word of TYPO_MIN_TARGET or
# more, is read as that word; recognised only through a typo, it counts less.
TYPO_MIN_LETTERS = 5
TYPO_MIN_TARGET = 4
TYPO_WEIGHT = 0.7
# A word that says nothing for a category costs it at most this much: a message about two problems, or with
# a few words of another topic, still points to each of its topics.
NEG_CAP = 0.35
PART_WEIGHT = 0.3
LATER_PART_WEIGHT = 0.5  # "ngập nước, rác thì trôi": the part said first is the case


@dataclass(frozen=True, slots=True)
class TrainingText:
    category: int
    text: str
    weight: float
    phrase: bool = False  # a keyword or a name, not a message


@dataclass(frozen=True, slots=True)
class Evidence:
    said: str  # the words as the citizen typed them
    share: float  # what they added to the category's score


@dataclass(frozen=True, slots=True)
class Scored:
    category: int
    score: float  # log-likelihood ratio against the average category (each word's loss capped at NEG_CAP)
    evidence: tuple[Evidence, ...]


def training_features(words: Sequence[Word], is_function: Callable[[Word], bool], *,
                      phrase: bool) -> list[tuple[str, float]]:
    """Both spellings of each feature (folded always, with marks when the words carry them), weighted.

    In a phrase (a keyword, a name) of several syllables the single syllables are parts of one word ("tục" of
    "thủ tục"): they count for little, the pair for much.
    """
    part = PART_WEIGHT if phrase and len(words) > 1 else 1.0
    out: list[tuple[str, float]] = []
    for i, word in enumerate(words):
        if word.masked:
            continue
        if not is_function(word):
            out.append((f"f:{word.folded}", part))
            if word.marked:
                out.append((f"m:{word.marked}", part))
        if i + 1 < len(words):
            nxt = words[i + 1]
            if nxt.masked or (is_function(word) and is_function(nxt)):
                continue
            out.append((f"f:{word.folded} {nxt.folded}", 1.0))
            if word.marked and nxt.marked:
                out.append((f"m:{word.marked} {nxt.marked}", 1.0))
    return out


@dataclass(frozen=True, slots=True)
class _Feature:
    """A feature of a message being read, with the words that made it (what the evidence shows)."""

    key: str
    said: str
    weight: float


class TopicModel:
    def __init__(self, classes: int, texts: Iterable[TrainingText], lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        read = [(item, lexicon.read(item.text)) for item in texts]
        # "den" typed plain may be "đèn" as well as "đến": a plain word is a function word only when no
        # topic word is spelled with the same letters.
        self._topic_letters = frozenset(
            w.folded for _, words in read for w in words if w.marked and w.marked not in lexicon.function_words
        )
        counts: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        totals = [0.0] * classes
        for item, words in read:
            for feature, part in training_features(words, self.is_function, phrase=item.phrase):
                counts[feature][item.category] += item.weight * part
                totals[item.category] += item.weight * part
        size = max(1, len(counts))
        denominators = [t + ALPHA * size for t in totals]
        self.classes = classes
        self._default = [math.log(ALPHA / d) for d in denominators]
        # Per feature: (log P(f|average category), {category: log P(f|c) - default of c}) for the categories
        # that saw it; the others share their smoothing default.
        self._features: dict[str, tuple[float, dict[int, float]]] = {}
        for feature, seen in counts.items():
            probs = [ALPHA / d for d in denominators]
            for c, n in seen.items():
                probs[c] = (n + ALPHA) / denominators[c]
            background = math.log(sum(probs) / classes)
            self._features[feature] = (background, {c: math.log(probs[c]) - self._default[c] for c in seen})
        self._long = _DeletionIndex(
            f[2:] for f in self._features if f.startswith("f:") and " " not in f and len(f) - 2 >= TYPO_MIN_TARGET
        )

    def is_function(self, word: Word) -> bool:
        if word.marked:
            return word.marked in self.lexicon.function_words
        return word.folded in self.lexicon.function_words and word.folded not in self._topic_letters

    # --- reading a message ---------------------------------------------------------------------------------

    def _corrected(self, words: list[Word]) -> list[tuple[Word, float]]:
        """Unknown long words one typo away from a known one become it; common words are never changed."""
        out: list[tuple[Word, float]] = []
        for word in words:
            if (word.masked or word.key in self._features or len(word.folded) < TYPO_MIN_LETTERS
                    or word.folded in self.lexicon.common_words or f"f:{word.folded}" in self._features):
                out.append((word, 1.0))
                continue
            near = self._long.near(word.folded)
            if len(near) == 1:
                out.append((Word(near[0], None), TYPO_WEIGHT))
            else:
                out.append((word, 1.0))
        return out

    def features(self, text: str, said: Sequence[Word] | None = None) -> list[_Feature]:
        words = said if said is not None else self.lexicon.read(text)
        corrected = self._corrected(list(words))
        out: list[_Feature] = []
        shown = [w.written for w in words]
        first: int | None = None  # the first part of the message with a topic word: what it is about
        for i, (word, weight) in enumerate(corrected):
            if word.masked:
                continue
            if first is None and not self.is_function(word) and word.key in self._features:
                first = words[i].clause
            if first is not None and words[i].clause != first:
                weight *= LATER_PART_WEIGHT
            if not self.is_function(word):
                out.append(_Feature(word.key, shown[i], weight))
            if i + 1 < len(corrected):
                nxt, next_weight = corrected[i + 1]
                if words[i + 1].clause != words[i].clause:
                    continue
                if first is not None and words[i + 1].clause != first:
                    next_weight *= LATER_PART_WEIGHT
                if nxt.masked or (self.is_function(word) and self.is_function(nxt)):
                    continue
                key = (f"m:{word.marked} {nxt.marked}" if word.marked and nxt.marked
                       else f"f:{word.folded} {nxt.folded}")
                out.append(_Feature(key, f"{shown[i]} {shown[i + 1]}", min(weight, next_weight)))
        return [f for f in out if f.key in self._features]

    def score(self, text: str, words: Sequence[Word] | None = None, explain: int = 3) -> list[Scored]:
        """Every category with a positive score, best first; the first `explain` with the features that
        decided."""
        found = self.features(text, words)
        if not found:
            return []
        scores = [0.0] * self.classes
        for f in found:
            background, seen = self._features[f.key]
            weight = f.weight
            for c, default in enumerate(self._default):
                share = default + seen[c] - background if c in seen else default - background
                scores[c] += weight * (share if share > -NEG_CAP else -NEG_CAP)
        ranked = sorted((c for c in range(self.classes) if scores[c] > 0), key=lambda c: (-scores[c], c))
        return [Scored(c, scores[c], self._evidence(c, found) if i < explain else ())
                for i, c in enumerate(ranked)]

    def _evidence(self, category: int, found: list[_Feature]) -> tuple[Evidence, ...]:
        shares: dict[str, float] = {}
        for f in found:
            background, seen = self._features[f.key]
            share = f.weight * (self._default[category] + seen.get(category, 0.0) - background)
            if share > 0:
                shares[f.said] = shares.get(f.said, 0.0) + share
        # A two-word feature already tells what its single words do: show the pair, not the pieces again.
        pairs = [s for s in shares if " " in s]
        ordered = sorted(shares.items(), key=lambda kv: -kv[1])
        kept = [(s, v) for s, v in ordered if " " in s or not any(s in p.split() for p in pairs)]
        return tuple(Evidence(s, round(v, 2)) for s, v in kept[:3])


class _DeletionIndex:
    """Words one edit (insert, delete, substitute, swap) apart, found through their one-deletion variants."""

    def __init__(self, words: Iterable[str]) -> None:
        self._by_variant: dict[str, set[str]] = defaultdict(set)
        for word in words:
            for variant in _variants(word):
                self._by_variant[variant].add(word)

    def near(self, word: str) -> list[str]:
        candidates: set[str] = set()
        for variant in _variants(word):
            candidates |= self._by_variant.get(variant, set())
        return sorted(c for c in candidates if c != word and edit_distance(word, c, 1) == 1)


def _variants(word: str) -> set[str]:
    return {word, *(word[:i] + word[i + 1:] for i in range(len(word)))}
