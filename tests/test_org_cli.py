"""`tiepdan org check` and `tiepdan org load`, run as an administrator runs them: file, line and reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TIEPDAN = str(Path(sys.executable).parent / "tiepdan")

GOOD = """\
organisation:
  name: "Phường Thử"
  office_hours: ["07:30-11:30", "13:30-17:00"]
  coordinator: VP
  notice_version: "1"
units:
  - code: UB
    kind: leadership
    name: {vi: "UBND phường", en: "Ward People's Committee"}
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
    name: {vi: "Tổ dân phố A", en: "Block A"}
areas:
  - code: A
    kind: ward
    name: "Phường A"
    unit: P_A
categories:
  - code: rac
    name: {vi: "Rác thải", en: "Waste"}
    keywords: [rác]
  - code: den
    name: {vi: "Đèn đường", en: "Street lights"}
    keywords: [đèn]
routing:
  - {category: den, unit: VP}
deadlines:
  - kind: [question, report, petition, complaint, denunciation, suggestion]
    resolve: {amount: 10, unit: working_days}
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

# GOOD with eight mistakes of eight kinds; the comment at the end of a line says what is wrong there.
BAD = """\
organisation:
  name: "Phường Thử"
  office_hours: ["07:30-11:30", "13:30-17:00"]
  coordinator: VP
  notice_version: "1"
units:
  - code: UB
    kind: leadership
    name: {vi: "UBND phường", en: "Ward People's Committee"}
    inspection: TT
  - code: VP
    kind: coordinator
    parent: UB
    name: {vi: "Văn phòng", en: "Office"}
  - code: TT                      # no kind
    colour: red                   # no such field
    parent: UB
    name: {vi: "Thanh tra", en: "Inspectorate"}
  - code: P_A
    kind: ward
    parent: NOPE                  # no such unit
    name: {vi: "Tổ dân phố A", en: "Block A"}
areas:
  - code: A
    kind: ward
    name: "Phường A"
    unit: P_A
categories:
  - code: rac
    name: {vi: "Rác thải", en: "Waste"}
    keywords: [rác]
  - code: rac                     # the same code twice
    name: {vi: "Đèn đường", en: "Street lights"}
    keywords: [đèn]
routing:
  - {category: nuoc, unit: VP}    # no such category
deadlines:
  - kind: [question, report, petition, complaint, denunciation, suggestion]
    resolve: {amount: -3, unit: working_days}   # a negative deadline
    legal_basis: "Luật Tiếp công dân 2013"
calendar:
  first_year: 2025
  last_year: 2027
  overrides:
    - date: 2026-01-02            # no legal reference
      working: false
      name: "Nghỉ Tết Dương lịch"
officials:
  - {seat: A_HEAD, unit: P_A, role: boss, name: "Nguyễn Văn A"}   # no such role
"""


def tiepdan(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "LANG": "C.UTF-8", "LOG_LEVEL": "WARNING"}
    return subprocess.run([TIEPDAN, *args], cwd=cwd, env=clean | (env or {}), capture_output=True, text=True,
                          timeout=180)


def test_check_names_file_line_and_reason_for_each_problem(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(BAD, encoding="utf-8")
    result = tiepdan("org", "check", "bad.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "bad.yaml:15: units[2]: missing required field 'kind'",
        "bad.yaml:16: units[2]: unknown field 'colour'",
        "bad.yaml:21: unit 'P_A' parent names unknown unit 'NOPE'",
        "bad.yaml:32: duplicate category code 'rac' (first defined on line 29)",
        "bad.yaml:36: routing rule names unknown category 'nuoc'",
        "bad.yaml:39: deadlines[0].resolve.amount: Input should be greater than or equal to 0 (got -3)",
        "bad.yaml:45: calendar override 'Nghỉ Tết Dương lịch' has no legal reference "
        "(legal_basis: the decree or notice that sets it)",
        "bad.yaml:49: officials[0].role: Input should be 'officer', 'head', 'leader', 'overseer' or 'admin' "
        "(got 'boss')",
    ]
    assert result.stderr == "8 problem(s) in bad.yaml\n"


@pytest.mark.parametrize(
    ("change", "line"),
    [
        (("    kind: coordinator\n", "    kind: coordinator: x\n"),
         "broken.yaml:12: YAML syntax error: mapping values are not allowed here"),
        (("    kind: leadership\n", "    kind: leadership\n    parent: P_A\n"),
         "broken.yaml:9: the unit tree has a cycle: UB -> P_A -> UB (parent links go round)"),
        (("officials:\n", "official:\n"),
         "broken.yaml:49: unknown section 'official' (expected one of: organisation, escalation, quiet_hours, "
         "digest, units, areas, categories, routing, deadlines, officials, calendar, matching)"),
        (("  coordinator: VP\n", "  coordinator: XX\n"),
         "broken.yaml:4: organisation.coordinator names unknown unit 'XX'"),
    ],
    ids=["yaml-syntax", "unit-cycle", "unknown-section", "unknown-coordinator"],
)
def test_check_reports_other_kinds_of_problem(tmp_path: Path, change: tuple[str, str], line: str) -> None:
    old, new = change
    assert GOOD.count(old) == 1
    (tmp_path / "broken.yaml").write_text(GOOD.replace(old, new), encoding="utf-8")
    result = tiepdan("org", "check", "broken.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [line]


def test_check_a_missing_file(tmp_path: Path) -> None:
    result = tiepdan("org", "check", "missing.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "missing.yaml:1: cannot read the file: [Errno 2] No such file or directory: 'missing.yaml'"
    ]


def test_the_demo_organisation_passes(tmp_path: Path) -> None:
    result = tiepdan("org", "check", str(ROOT / "org" / "demo.yaml"), cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"{ROOT / 'org' / 'demo.yaml'}: OK\n", "")


def test_the_good_file_passes(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(GOOD, encoding="utf-8")
    result = tiepdan("org", "check", "good.yaml", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "good.yaml: OK\n")


def test_load_into_a_fresh_database(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text(BAD, encoding="utf-8")
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"}
    assert tiepdan("migrate", cwd=tmp_path, env=env).stdout == "database is up to date\n"

    loaded = tiepdan("org", "load", "good.yaml", cwd=tmp_path, env=env)
    assert loaded.returncode == 0, loaded.stderr
    # Two routing rules: the file's one, and the ward's default unit for its area. 2025-2027: 1 095 days.
    assert loaded.stdout.splitlines() == [
        "loaded good.yaml: 4 units, 1 areas, 2 categories, 1 officials' seats, 2 routing rules, "
        "6 deadline policies, 1095 calendar days (2025-2027)",
    ]

    refused = tiepdan("org", "load", "bad.yaml", cwd=tmp_path, env=env)
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr.splitlines()[0] == "bad.yaml:15: units[2]: missing required field 'kind'"
    assert len(refused.stderr.splitlines()) == 8


def test_load_the_demo_organisation(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"}
    assert tiepdan("migrate", cwd=tmp_path, env=env).returncode == 0
    loaded = tiepdan("org", "load", str(ROOT / "org" / "demo.yaml"), cwd=tmp_path, env=env)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.startswith(
        f"loaded {ROOT / 'org' / 'demo.yaml'}: 20 units, 27 areas, 18 categories, 53 officials' seats, "
    )
