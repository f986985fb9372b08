"""Checking the organisation file: every problem, on its own line, in plain English."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.domain.deadlines import CASE_KINDS
from bot.services.org import Problem, check_file
from bot.services.org.schema import CaseKind
from tests.support.org_files import ALONE, MISTAKES, Mistake, with_changes

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 3, 2)


def check(tmp_path: Path, *changes: tuple[str, str] | Mistake, append: str = "") -> list[tuple[int, str]]:
    path = tmp_path / "org.yaml"
    path.write_text(with_changes(*changes) + append, encoding="utf-8")
    return [(p.line, p.reason) for p in check_file(path, today=TODAY)]


def test_the_minimal_file_has_no_problems(tmp_path: Path) -> None:
    assert check(tmp_path) == []


def test_the_demo_file_has_no_problems() -> None:
    assert check_file(ROOT / "org" / "demo.yaml", today=TODAY) == []


def test_problems_read_file_line_reason() -> None:
    assert (
        str(Problem("org/x.yaml", 12, "duplicate unit code 'VP'"))
        == "org/x.yaml:12: duplicate unit code 'VP'"
    )


@pytest.mark.parametrize("mistake", MISTAKES + ALONE, ids=lambda m: m.name)
def test_each_mistake_alone_is_the_one_problem_on_its_line(tmp_path: Path, mistake: Mistake) -> None:
    assert check(tmp_path, mistake) == [(mistake.line, mistake.reason)]


def test_missing_required_section(tmp_path: Path) -> None:
    assert check(tmp_path, ("routing:\n  - {category: dat, unit: VP}\n", "")) == [
        (1, "missing required section 'routing'"),
    ]


def test_unknown_deadline_unit(tmp_path: Path) -> None:
    assert check(tmp_path, ("unit: working_days}", "unit: working_weeks}")) == [
        (
            41,
            "deadlines[0].resolve.unit: Input should be 'working_days', 'working_hours', 'calendar_days' or "
            "'calendar_hours' (got 'working_weeks')",
        ),
    ]


def test_bad_time(tmp_path: Path) -> None:
    assert check(tmp_path, ('"13:30-17:00"', '"13:30-25:00"')) == [
        (3, "organisation.office_hours[1]: '25:00' is not a time of day (hours 00-23, minutes 00-59)"),
    ]


def test_wrong_type(tmp_path: Path) -> None:
    assert check(tmp_path, ("    keywords: [rác]\n", "    keywords: rác\n")) == [
        (33, "categories[0].keywords: Input should be a valid list (got 'rác')"),
    ]


def test_duplicate_unit_code(tmp_path: Path) -> None:
    # Renaming P_A to VP also leaves the references to P_A dangling: all three are reported.
    assert check(tmp_path, ("  - code: P_A\n", "  - code: VP\n")) == [
        (19, "duplicate unit code 'VP' (first defined on line 11)"),
        (27, "area 'A' unit names unknown unit 'P_A'"),
        (52, "official seat 'A_HEAD' names unknown unit 'P_A'"),
    ]


def test_duplicate_seat(tmp_path: Path) -> None:
    extra = '  - {seat: A_HEAD, unit: P_A, role: officer, name: "Trần Thị B"}\n'
    assert check(tmp_path, append=extra) == [
        (53, "duplicate official seat 'A_HEAD' (first defined on line 52)")
    ]


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    assert check(tmp_path, ('    name: "Phường A"\n', '    name: "Phường A"\n    kind: commune\n')) == [
        (27, "duplicate key 'kind' (only the last one would count)"),
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "{category: dat, unit: VP}",
            "{category: dat, unit: VPX}",
            (38, "routing rule names unknown unit 'VPX'"),
        ),
        (
            "{category: dat, unit: VP}",
            "{category: dat, area: B, unit: VP}",
            (38, "routing rule names unknown area 'B'"),
        ),
        (
            "    inspection: TT\n",
            "    inspection: TTX\n",
            (10, "unit 'UB' inspection names unknown unit 'TTX'"),
        ),
        (
            "{seat: A_HEAD, unit: P_A,",
            "{seat: A_HEAD, unit: P_B,",
            (52, "official seat 'A_HEAD' names unknown unit 'P_B'"),
        ),
    ],
)
def test_unknown_references(tmp_path: Path, old: str, new: str, expected: tuple[int, str]) -> None:
    assert check(tmp_path, (old, new)) == [expected]


def test_an_area_without_a_default_route(tmp_path: Path) -> None:
    assert check(tmp_path, ("    unit: P_A\n", "    # no unit\n")) == [
        (24, "area 'A' has no route on 2026-03-02 for: rac (give the area a unit or add a default rule)"),
    ]


def test_a_route_that_ends_leaves_a_gap(tmp_path: Path) -> None:
    changes = (
        ("    unit: P_A\n", "    # no unit\n"),
        ("  - {category: dat, unit: VP}\n", "  - {unit: VP, valid_to: 2026-06-30}\n"),
    )
    assert check(tmp_path, *changes) == [
        (
            24,
            "area 'A' has no route on 2026-07-01 for: rac, dat (give the area a unit or add a default rule)",
        ),
    ]


def test_a_case_kind_without_a_policy(tmp_path: Path) -> None:
    assert check(tmp_path, ("complaint, denunciation, suggestion]", "complaint, denunciation]")) == [
        (39, "no deadline policy for case kind 'suggestion': every kind needs a resolve step"),
    ]


def test_all_problems_are_reported_in_line_order(tmp_path: Path) -> None:
    problems = check(
        tmp_path,
        ("    inspection: TT\n", "    inspection: TTX\n"),
        ("    kind: inspection\n", "    # kind forgotten\n"),
        ('"13:30-17:00"', '"13:30-25:00"'),
        ("{category: dat, unit: VP}", "{category: dat, unit: VPX}"),
        ("complaint, denunciation, suggestion]", "complaint, denunciation]"),
        ('      legal_basis: "Công văn 12729/VPCP-KGVX"\n', ""),
    )
    assert [line for line, _ in problems] == [3, 10, 15, 38, 39, 47]


def test_the_schema_spells_the_same_kinds_as_the_domain() -> None:
    assert set(CaseKind.__args__) == set(CASE_KINDS)
