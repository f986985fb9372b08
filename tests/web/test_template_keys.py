"""The catalog keys the HTML templates ask for exist in both languages (tests/test_i18n.py reads only Python).

A literal key (`t("web.track.title")`) must be in the catalogs; a key built from a prefix
(`t("kind." ~ row.kind)`) must have at least one key under that prefix.
"""

from __future__ import annotations

import re

import pytest

from bot.i18n import LANGUAGES
from bot.web.pages import TEMPLATES
from tests.test_i18n import BY_LANGUAGE

CALL = re.compile(r"""\bt\(\s*(["'])([a-z0-9_.]+)\1\s*(~)?""")


def template_keys() -> list[tuple[str, str, bool]]:
    """(template, key, is_prefix) for every catalog lookup in the templates."""
    return [(path.name, m.group(2), m.group(3) is not None)
            for path in sorted(TEMPLATES.glob("*.html"))
            for m in CALL.finditer(path.read_text(encoding="utf-8"))]


def test_the_scan_sees_the_templates() -> None:
    found = {(name, key, prefix) for name, key, prefix in template_keys()}
    assert {("track.html", "web.track.title", False), ("cases.html", "kind.", True),
            ("site.html", "web.lang.nav", False), ("chat.html", "web.chat.send", False)} <= found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_a_template_uses_exists(language: str) -> None:
    known = BY_LANGUAGE[language]
    missing = [f"{name}: {key}{'*' if prefix else ''}" for name, key, prefix in template_keys()
               if (prefix and not any(k.startswith(key) for k in known)) or (not prefix and key not in known)]
    assert missing == []
