"""The matcher on its labelled set (tests/data/matcher_labelled.txt): accuracy per input style, the confusion
pairs, and the time to match one message - also with 50 categories and 300 places.

    python -m benchmarks.matcher          (`make bench` runs it too)

The organisation is org/demo.yaml as `tiepdan org load` would read it (keywords, examples, streets, the
matching section), without a database.
"""

from __future__ import annotations

import argparse
import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.domain.intake import find_place
from bot.domain.matching import CategoryIndex, CategoryTerms, Place, PlaceIndex, build_matchers, is_place_kind
from bot.services.org.check import parse_file
from bot.services.org.schema import OrgSpec

ROOT = Path(__file__).resolve().parent.parent
DEMO_ORG = ROOT / "org" / "demo.yaml"
LABELLED = ROOT / "tests" / "data" / "matcher_labelled.txt"


@dataclass(frozen=True, slots=True)
class Labelled:
    line: int
    style: str
    category: str
    place: str  # CODE (filled in), ?CODE (asked with this guess), - (asked)
    text: str


@dataclass(frozen=True, slots=True)
class Outcome:
    row: Labelled
    category: str | None
    why: tuple[str, ...]
    place: str
    seconds: float

    @property
    def category_right(self) -> bool:
        return self.category == self.row.category

    @property
    def place_right(self) -> bool:
        return self.place == self.row.place

    @property
    def wrong_fill(self) -> bool:
        """Filled in without asking where a careful official would not have (or with another place)."""
        return not self.place.startswith(("?", "-")) and self.place != self.row.place


def read_labelled(path: Path = LABELLED) -> list[Labelled]:
    rows: list[Labelled] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        style, category, place, text = (part.strip() for part in line.split("|", 3))
        rows.append(Labelled(number, style, category, place, text))
    return rows


def org_matchers(spec: OrgSpec, learned: Iterable[tuple[str, str]] = ()) -> tuple[PlaceIndex, CategoryIndex]:
    """The indexes intake builds for this organisation (bot.services.drafts does the same from the database)."""
    places = [
        Place(area.code, area.name, area.kind, parent.code if parent else None, tuple(area.aliases))
        for area, parent in spec.all_areas() if is_place_kind(area.kind)
    ]
    categories = [CategoryTerms(c.code, (c.name.vi, c.name.en), tuple(c.keywords)) for c in spec.categories]
    return build_matchers(places, categories, spec.matching_settings(), learned)


def demo_matchers() -> tuple[PlaceIndex, CategoryIndex]:
    parsed = parse_file(DEMO_ORG)
    if not parsed.ok:
        raise SystemExit("\n".join(map(str, parsed.problems)))
    return org_matchers(parsed.spec)


def run(rows: Sequence[Labelled], places: PlaceIndex, categories: CategoryIndex) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for row in rows:
        started = time.perf_counter()
        suggested = categories.suggest(row.text)
        found = find_place(row.text, places)
        seconds = time.perf_counter() - started
        place = "-" if found is None else found.code if found.sure else f"?{found.code}"
        first = suggested[0] if suggested else None
        outcomes.append(Outcome(row, first.code if first else None, first.matched if first else (), place, seconds))
    return outcomes


# --- a bigger organisation, for the time per message ------------------------------------------------------

def scaled(spec: OrgSpec, categories: int = 50, places: int = 300) -> tuple[PlaceIndex, CategoryIndex]:
    """The demo organisation grown to `categories` categories and `places` places (made-up names)."""
    base_places, base_categories = demo_matchers()
    syllables = ("an", "bình", "cát", "đông", "hải", "khê", "lạc", "minh", "nam", "phú", "quang", "sơn", "tân",
                 "thịnh", "trung", "vĩnh", "xuân", "yên", "hòa", "long")
    made = list(base_places.places)
    i = 0
    while len(made) < places:
        a, b = syllables[i % len(syllables)], syllables[(i // len(syllables) + 3 * i) % len(syllables)]
        made.append(Place(f"X{i}", f"{a.title()} {b.title()} {i}", "residential", parent=made[i % 8].code))
        i += 1
    terms = list(base_categories.categories)
    for j in range(len(terms), categories):
        source = terms[j % len(base_categories.categories)]
        terms.append(CategoryTerms(f"extra_{j}", (f"Lĩnh vực {j}",),
                                   tuple(f"{k} {syllables[j % len(syllables)]}" for k in source.keywords),
                                   source.examples))
    return build_matchers(made, terms, spec.matching_settings())


def time_per_message(rows: Sequence[Labelled], places: PlaceIndex, categories: CategoryIndex,
                     rounds: int = 5) -> tuple[float, float]:
    """(median, slowest) milliseconds to suggest categories and find the place of one message; each message's
    time is its fastest of `rounds` runs, so other work on a shared machine does not count."""
    for row in rows:  # warm the caches (Telex repair, typo neighbours) as a running process has them
        categories.suggest(row.text)
        find_place(row.text, places)
    times: list[float] = []
    for row in rows:
        best = math.inf
        for _ in range(rounds):
            started = time.perf_counter()
            categories.suggest(row.text)
            find_place(row.text, places)
            best = min(best, time.perf_counter() - started)
        times.append(best)
    times.sort()
    return 1000 * times[len(times) // 2], 1000 * times[-1]


# --- report -----------------------------------------------------------------------------------------------

def summary(outcomes: Sequence[Outcome]) -> dict[str, float]:
    n = len(outcomes)
    return {
        "messages": n,
        "category": sum(o.category_right for o in outcomes) / n,
        "place": sum(o.place_right for o in outcomes) / n,
        "both": sum(o.category_right and o.place_right for o in outcomes) / n,
        "wrong_fills": sum(o.wrong_fill for o in outcomes),
    }


def report(outcomes: Sequence[Outcome], *, show_failures: bool = True) -> str:
    lines = [f"{'style':<10} {'n':>4} {'category':>9} {'place':>7} {'both':>7}", "-" * 41]
    by_style: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_style[o.row.style].append(o)
    for style, group in sorted(by_style.items()) + [("all", list(outcomes))]:
        s = summary(group)
        lines.append(f"{style:<10} {s['messages']:>4} {s['category']:>9.1%} {s['place']:>7.1%} {s['both']:>7.1%}")
    s = summary(outcomes)
    lines.append(f"places filled in that should have been asked: {s['wrong_fills']}")
    pairs = Counter((o.row.category, o.category or "(none)") for o in outcomes if not o.category_right)
    if pairs:
        lines.append("confusion pairs (expected -> suggested first):")
        lines += [f"  {a} -> {b}: {n}" for (a, b), n in pairs.most_common()]
    if show_failures:
        for o in outcomes:
            if not (o.category_right and o.place_right):
                lines.append(f"  line {o.row.line}: {o.row.text!r}: category {o.category} (want {o.row.category},"
                             f" why {', '.join(o.why)}), place {o.place} (want {o.row.place})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.matcher", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quiet", action="store_true", help="no list of the messages it got wrong")
    opts = parser.parse_args(argv)
    rows = read_labelled()
    spec = parse_file(DEMO_ORG).spec
    started = time.perf_counter()
    places, categories = org_matchers(spec)
    built_ms = 1000 * (time.perf_counter() - started)  # with the first read of the lexicon file
    outcomes = run(rows, places, categories)
    print(f"\nMatcher on {len(rows)} labelled messages ({LABELLED.relative_to(ROOT)}), demo organisation: "
          f"{len(categories.categories)} categories, {len(places.places)} places (built in {built_ms:.0f} ms)")
    print(report(outcomes, show_failures=not opts.quiet))
    for label, (p, c) in (("demo organisation", (places, categories)),
                          ("50 categories, 300 places", scaled(spec))):
        median, worst = time_per_message(rows, p, c)
        print(f"time per message, {label}: median {median:.2f} ms, slowest message {worst:.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
