"""Every refusal the services raise is a sentence in both languages, with exactly the placeholders given.

A refusal's key reaches the translator through a variable (`turn.t(refusal.key, **refusal.params)`), which the
catalog checks in tests/test_i18n.py cannot follow; this reads each `Refused("key", ...)` where it is raised.
"""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.domain.authz import Refused

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "bot" / "domain" / "authz.py"] + [
    ROOT / "bot" / "services" / name
    for name in ("case_work.py", "case_views.py", "case_actions.py", "verdicts.py", "officials.py")]


def raised() -> list[tuple[str, str, frozenset[str]]]:
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Refused"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                where = f"{path.name}:{node.lineno}"
                found.append((where, node.args[0].value, frozenset(k.arg for k in node.keywords if k.arg)))
    return found


def catalog(language: str) -> dict[str, str]:
    texts: dict[str, str] = {}
    for po in (ROOT / "locales" / language / "LC_MESSAGES").glob("*.po"):
        with po.open("rb") as fh:
            texts |= {str(m.id): str(m.string) for m in read_po(fh, locale=language) if m.id}
    return texts


def fields(text: str) -> frozenset[str]:
    return frozenset(f for _, f, _, _ in string.Formatter().parse(text) if f)


def test_the_scan_finds_the_refusals() -> None:
    keys = {key for _, key, _ in raised()}
    assert {"officials.refused.taken", "officials.link.used", "officials.reveal.refused"} <= keys
    assert len(keys) >= 30


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_refusal_is_in_the_catalog_with_its_placeholders(language: str) -> None:
    texts = catalog(language)
    wrong = [f"{where}: {key}" for where, key, params in raised()
             if key not in texts or fields(texts[key]) != params]
    assert wrong == []


def test_a_refusal_carries_its_key_and_parameters() -> None:
    refusal = Refused("officials.refused.taken", code="PA-2026-000001", name="Trần Thị Mai")
    assert (refusal.key, refusal.params) == ("officials.refused.taken",
                                             {"code": "PA-2026-000001", "name": "Trần Thị Mai"})
