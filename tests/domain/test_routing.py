"""Routing: the most specific rule in force wins; the inspection unit above a unit."""

from __future__ import annotations

from datetime import date

from bot.domain.routing import Rule, ancestors, inspection_unit_above, route

ON = date(2026, 3, 2)
RULES = [
    Rule(None, None, "VP"),
    Rule(None, "SAODO", "P_SAODO"),
    Rule(None, "SAODO_TIENDINH", "KDC_TIENDINH"),
    Rule("dat_dai", None, "TNMT"),
    Rule("lan_chiem", None, "CA"),
    Rule("lan_chiem", "SAODO", "QLDT"),
]
TIENDINH = ["SAODO_TIENDINH", "SAODO"]
MATSON = ["SAODO_MATSON", "SAODO"]


def test_category_and_area_beats_category_only() -> None:
    assert route(RULES, "lan_chiem", MATSON, ON) == "QLDT"
    assert route(RULES, "lan_chiem", ["PHALAI"], ON) == "CA"


def test_category_only_beats_area_only() -> None:
    assert route(RULES, "dat_dai", TIENDINH, ON) == "TNMT"


def test_a_residential_area_beats_its_ward() -> None:
    assert route(RULES, "rac_thai", TIENDINH, ON) == "KDC_TIENDINH"
    assert route(RULES, "rac_thai", MATSON, ON) == "P_SAODO"
    closer = [*RULES, Rule("lan_chiem", "SAODO_TIENDINH", "TO_DAN_PHO")]
    assert route(closer, "lan_chiem", TIENDINH, ON) == "TO_DAN_PHO"
    assert route(closer, "lan_chiem", MATSON, ON) == "QLDT"


def test_the_default_catches_the_rest_and_without_it_nothing_matches() -> None:
    assert route(RULES, "rac_thai", ["PHALAI"], ON) == "VP"
    assert route(RULES, None, [], ON) == "VP"
    assert route(RULES[1:], "rac_thai", ["PHALAI"], ON) is None


def test_effective_dates_are_inclusive_and_respected() -> None:
    rules = [
        Rule(None, "SAODO", "P_SAODO_OLD", valid_to=date(2025, 6, 30)),
        Rule(None, "SAODO", "P_SAODO_NEW", valid_from=date(2025, 7, 1)),
        Rule("dat_dai", None, "TNMT_SOON", valid_from=date(2027, 1, 1)),
    ]
    assert route(rules, "rac_thai", ["SAODO"], date(2025, 6, 30)) == "P_SAODO_OLD"
    assert route(rules, "rac_thai", ["SAODO"], date(2025, 7, 1)) == "P_SAODO_NEW"
    assert route(rules, "dat_dai", ["SAODO"], date(2026, 12, 31)) == "P_SAODO_NEW"
    assert route(rules, "dat_dai", ["SAODO"], date(2027, 1, 1)) == "TNMT_SOON"
    assert route(rules[:1], "rac_thai", ["SAODO"], date(2025, 7, 1)) is None


def test_among_equal_rules_the_newest_wins() -> None:
    rules = [
        Rule("dat_dai", None, "OLD", valid_from=date(2024, 1, 1)),
        Rule("dat_dai", None, "NEW", valid_from=date(2026, 1, 1)),
    ]
    assert route(rules, "dat_dai", ["SAODO"], ON) == "NEW"
    assert route(list(reversed(rules)), "dat_dai", ["SAODO"], ON) == "NEW"


PARENTS: dict[str, str | None] = {
    "UBND": None,
    "VP": "UBND",
    "TTRA": "UBND",
    "P_SAODO": "UBND",
    "TTRA_TINH": None,
    "KDC": "P_SAODO",
}
INSPECTION: dict[str, str | None] = {"UBND": "TTRA", "TTRA": "TTRA_TINH"}


def test_ancestors_and_a_cycle_that_does_not_loop() -> None:
    assert ancestors("KDC", PARENTS) == ["P_SAODO", "UBND"]
    assert ancestors("UBND", PARENTS) == []
    assert ancestors("A", {"A": "B", "B": "A"}) == ["B"]


def test_the_inspection_unit_above() -> None:
    assert inspection_unit_above("P_SAODO", PARENTS, INSPECTION) == "TTRA"
    assert inspection_unit_above("KDC", PARENTS, INSPECTION) == "TTRA"
    assert inspection_unit_above("VP", PARENTS, INSPECTION) == "TTRA"
    # The city inspectorate sits under the city committee: a denunciation about the committee goes higher.
    assert inspection_unit_above("UBND", PARENTS, INSPECTION) == "TTRA_TINH"
    assert inspection_unit_above("TTRA", PARENTS, INSPECTION) == "TTRA_TINH"
    assert inspection_unit_above("TTRA_TINH", PARENTS, INSPECTION) is None


def test_inspection_settings_in_a_circle_give_nobody() -> None:
    parents: dict[str, str | None] = {"X": None, "Y": "X"}
    inspection: dict[str, str | None] = {"X": "Y", "Y": "X"}
    assert inspection_unit_above("X", parents, inspection) is None
