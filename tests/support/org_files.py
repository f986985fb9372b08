"""One small valid organisation file and a table of the mistakes the checker must find in it, each with the line
and the words of its problem: the checker's tests (tests/services/test_org_check.py) make them one at a time,
the `tiepdan org` command's tests (tests/test_org_cli.py) all at once.
"""

from __future__ import annotations

from dataclasses import dataclass

VALID = """\
organisation:
  name: "Phường Thử (test)"
  office_hours: ["07:30-11:30", "13:30-17:00"]
  coordinator: VP
  notice_version: "1"
units:
  - code: UB
    kind: leadership
    name: {vi: "UBND", en: "Committee"}
    inspection: TT
  - code: VP
    kind: coordinator
    parent: UB
    name: {vi: "Văn phòng", en: "Office"}
  - code: TT
    kind: inspection
    parent: UB
    name: {vi: "Thanh tra", en: "Inspectorate"}
  - code: P_A
    kind: ward
    parent: UB
    name: {vi: "UBND phường A", en: "Ward A"}
areas:
  - code: A
    kind: ward
    name: "Phường A"
    unit: P_A
    children:
      - {code: A_1, kind: residential, name: "Khu dân cư 1"}
categories:
  - code: rac
    name: {vi: "Rác", en: "Waste"}
    keywords: [rác]
  - code: dat
    name: {vi: "Đất", en: "Land"}
    keywords: [đất]
routing:
  - {category: dat, unit: VP}
deadlines:
  - kind: [question, report, petition, complaint, denunciation, suggestion]
    resolve: {amount: 5, unit: working_days}
    legal_basis: "Luật Tiếp công dân 2013"
calendar:
  first_year: 2025
  last_year: 2027
  overrides:
    - date: 2026-01-02
      working: false
      name: "Nghỉ Tết Dương lịch"
      legal_basis: "Công văn 12729/VPCP-KGVX"
officials:
  - {seat: A_HEAD, unit: P_A, role: head, name: "Nguyễn Văn A"}
"""


@dataclass(frozen=True)
class Mistake:
    """`old` (found once in VALID) written as `new`, the same number of lines: the problem it makes."""

    name: str
    old: str
    new: str
    line: int
    reason: str


# Each alone is the file's only problem; made together, each is still found on its own line. In line order.
MISTAKES = (
    Mistake("unknown-coordinator", "  coordinator: VP\n", "  coordinator: XX\n",
            4, "organisation.coordinator names unknown unit 'XX'"),
    Mistake("missing-field", "    kind: inspection\n", "    # kind forgotten\n",
            15, "units[2]: missing required field 'kind'"),
    Mistake("unknown-field", '    parent: UB\n    name: {vi: "Thanh tra"', '    colour: red\n    name: {vi: "Thanh tra"',
            17, "units[2]: unknown field 'colour'"),
    Mistake("unknown-parent", '    parent: UB\n    name: {vi: "UBND phường A"',
            '    parent: NOPE\n    name: {vi: "UBND phường A"',
            21, "unit 'P_A' parent names unknown unit 'NOPE'"),
    Mistake("duplicate-category", "  - code: rac\n", "  - code: dat\n",
            34, "duplicate category code 'dat' (first defined on line 31)"),
    Mistake("unknown-category", "{category: dat, unit: VP}", "{category: nuoc, unit: VP}",
            38, "routing rule names unknown category 'nuoc'"),
    Mistake("negative-amount", "{amount: 5,", "{amount: -3,",
            41, "deadlines[0].resolve.amount: Input should be greater than or equal to 0 (got -3)"),
    Mistake("no-legal-reference", '      legal_basis: "Công văn 12729/VPCP-KGVX"\n', "      # no legal basis\n",
            47, "calendar override 'Nghỉ Tết Dương lịch' has no legal reference "
            "(legal_basis: the decree or notice that sets it)"),
    Mistake("unknown-role", "role: head,", "role: boss,",
            52, "officials[0].role: Input should be 'officer', 'head', 'leader', 'overseer', 'admin', "
            "'committee' or 'secretariat' (got 'boss')"),
)

# Each alone is the file's only problem, but it hides or changes what the others would report.
ALONE = (
    Mistake("yaml-syntax", "    kind: coordinator\n", "    kind: coordinator: x\n",
            12, "YAML syntax error: mapping values are not allowed here"),
    Mistake("unit-cycle", "    inspection: TT\n", "    parent: VP\n",
            10, "the unit tree has a cycle: UB -> VP -> UB (parent links go round)"),
    Mistake("unknown-section", "officials:\n", "official:\n",
            51, "unknown section 'official' (expected one of: organisation, escalation, quiet_hours, digest, "
            "units, areas, categories, routing, deadlines, officials, calendar, matching, topics, receptions)"),
)


def with_changes(*changes: tuple[str, str] | Mistake) -> str:
    """VALID with each (old, new) or mistake made, in order; each old text must be there."""
    text = VALID
    for change in changes:
        old, new = (change.old, change.new) if isinstance(change, Mistake) else change
        assert old in text, f"test setup: {old!r} is not in the organisation file"
        text = text.replace(old, new, 1)
    return text
