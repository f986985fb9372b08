"""`tiepdan org check` and `tiepdan org load`, run as an administrator runs them: file, line and reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.org_files import ALONE, MISTAKES, VALID, Mistake, with_changes

ROOT = Path(__file__).resolve().parent.parent
TIEPDAN = str(Path(sys.executable).parent / "tiepdan")
BAD = with_changes(*MISTAKES)  # every mistake that can stand together, each on its own line

def tiepdan(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "LANG": "C.UTF-8", "LOG_LEVEL": "WARNING"}
    return subprocess.run([TIEPDAN, *args], cwd=cwd, env=clean | (env or {}), capture_output=True, text=True,
                          timeout=180)


def test_check_names_file_line_and_reason_for_each_problem(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(BAD, encoding="utf-8")
    result = tiepdan("org", "check", "bad.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [f"bad.yaml:{m.line}: {m.reason}" for m in MISTAKES]
    assert result.stderr == f"{len(MISTAKES)} problem(s) in bad.yaml\n"


@pytest.mark.parametrize("mistake", ALONE, ids=lambda m: m.name)
def test_check_reports_other_kinds_of_problem(tmp_path: Path, mistake: Mistake) -> None:
    (tmp_path / "broken.yaml").write_text(with_changes(mistake), encoding="utf-8")
    result = tiepdan("org", "check", "broken.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [f"broken.yaml:{mistake.line}: {mistake.reason}"]


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
    (tmp_path / "good.yaml").write_text(VALID, encoding="utf-8")
    result = tiepdan("org", "check", "good.yaml", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "good.yaml: OK\n")


def test_load_into_a_fresh_database(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text(BAD, encoding="utf-8")
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"}
    assert tiepdan("migrate", cwd=tmp_path, env=env).stdout == "database is up to date\n"

    loaded = tiepdan("org", "load", "good.yaml", cwd=tmp_path, env=env)
    assert loaded.returncode == 0, loaded.stderr
    # Two areas: the ward and its residential area. Two routing rules: the file's one, and the ward's default
    # unit for its area. 2025-2027: 1 095 days.
    assert loaded.stdout.splitlines() == [
        "loaded good.yaml: 4 units, 2 areas, 2 categories, 1 officials' seats, 2 routing rules, "
        "6 deadline policies, 1095 calendar days (2025-2027)",
    ]

    refused = tiepdan("org", "load", "bad.yaml", cwd=tmp_path, env=env)
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr.splitlines() == [f"bad.yaml:{m.line}: {m.reason}" for m in MISTAKES]


def test_load_the_demo_organisation(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"}
    assert tiepdan("migrate", cwd=tmp_path, env=env).returncode == 0
    loaded = tiepdan("org", "load", str(ROOT / "org" / "demo.yaml"), cwd=tmp_path, env=env)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.startswith(
        f"loaded {ROOT / 'org' / 'demo.yaml'}: 20 units, 27 areas, 18 categories, 55 officials' seats, "
    )
