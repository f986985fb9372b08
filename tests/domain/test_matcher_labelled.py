"""The matcher on its labelled set (tests/data/matcher_labelled.txt, `make bench` prints the details): the first
suggestion right for at least 95% of the messages, the place for at least 97%, and no place filled in where a
careful official would have asked."""

from __future__ import annotations

from collections import Counter

from benchmarks.matcher import demo_matchers, read_labelled, run, summary


def test_the_labelled_set() -> None:
    rows = read_labelled()
    assert len(rows) >= 300
    assert len({r.style for r in rows}) >= 10
    outcomes = run(rows, *demo_matchers())
    figures = summary(outcomes)
    wrong = [(o.row.line, o.row.text, o.category, o.place) for o in outcomes if not (o.category_right and o.place_right)]
    assert figures["category"] >= 0.95, wrong
    assert figures["place"] >= 0.97, wrong
    assert figures["wrong_fills"] == 0, [(o.row.line, o.row.text, o.place) for o in outcomes if o.wrong_fill]
    # every "ask" row asked
    assert all(not o.wrong_fill for o in outcomes if o.row.place.startswith(("?", "-")))


def test_the_set_is_varied() -> None:
    rows = read_labelled()
    styles = Counter(r.style for r in rows)
    assert min(styles[s] for s in ("marked", "plain", "telex", "teen", "street", "two", "proc", "indirect",
                                   "letter")) >= 10
    assert len({r.category for r in rows}) == 18  # every category of the demo organisation
    assert sum(r.place.startswith("?") for r in rows) >= 10 and sum(r.place == "-" for r in rows) >= 100
