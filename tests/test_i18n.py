"""The catalogs are complete and consistent, the code uses only keys they hold, and flows say nothing literal.

Three parts:
1. the .po files themselves (empty, fuzzy, untranslated, placeholders, a key missing in one language or
   present in two feature catalogs);
2. every key the code passes to the translator exists in both languages, with the placeholders it fills;
3. no user-facing text outside the catalogs: flows hold only keys and identifiers, and what the application
   sends or serves to users is never a literal sentence.
"""

from __future__ import annotations

import ast
import re
import string
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
LANGUAGES = ("vi", "en")
CODE_DIRS = ("bot", "handlers")

# Keys whose English may equal the Vietnamese, each with the reason.
SAME_IN_BOTH: dict[str, str] = {
    "case.history_line": "a template of placeholders and punctuation only: '- {at}: {action}'",
    "case.history_note": "a template of placeholders and punctuation only: ' ({note})'",
}

# A literal in handlers/ that is not a docstring or a catalog key must look like an identifier: a choice key,
# a state or flow name, a command, a key prefix. Anything with capitals, spaces or diacritics is text.
IDENTIFIER_LIKE = re.compile(r"^[/a-z0-9_.:@{}-]*$")

# Literals that bot/ may hand to users as they are; each entry says why it is not language.
BOT_LITERALS_ALLOWED: dict[str, str] = {}


# --- reading the catalogs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    language: str
    file: str  # the feature catalog, e.g. "messages.po"
    key: str
    text: str
    fuzzy: bool


def po_files(language: str) -> list[Path]:
    return sorted((LOCALES / language / "LC_MESSAGES").glob("*.po"))


def read_catalog(path: Path, language: str) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=language, abort_invalid=True)


def entries() -> list[Entry]:
    found = []
    for language in LANGUAGES:
        for path in po_files(language):
            for message in read_catalog(path, language):
                if not message.id:
                    continue  # the header
                text = message.string if isinstance(message.string, str) else "\n".join(message.string or ())
                found.append(Entry(language, path.name, str(message.id), text or "", message.fuzzy))
    return found


ENTRIES = entries()
BY_LANGUAGE: dict[str, dict[str, Entry]] = {
    language: {e.key: e for e in ENTRIES if e.language == language} for language in LANGUAGES
}


def placeholders(text: str) -> set[str]:
    """The `{name}` fields of a python-format text (`{0}`, `{name.attr}` and `{name[0]}` count by name)."""
    names = set()
    for _literal, field, _spec, _conversion in string.Formatter().parse(text):
        if field is not None:
            names.add(re.split(r"[.\[]", field, maxsplit=1)[0])
    return names


# --- 1. the catalogs -----------------------------------------------------------------------------------------


def test_both_languages_have_catalogs() -> None:
    assert po_files("vi"), "no Vietnamese catalog"
    assert [p.name for p in po_files("vi")] == [p.name for p in po_files("en")]
    assert "messages.po" in [p.name for p in po_files("vi")]


def test_no_empty_entry() -> None:
    empty = [f"{e.language}/{e.file}: {e.key}" for e in ENTRIES if not e.text.strip()]
    assert empty == []


def test_no_fuzzy_entry() -> None:
    fuzzy = [f"{e.language}/{e.file}: {e.key}" for e in ENTRIES if e.fuzzy]
    assert fuzzy == []


def test_english_is_translated() -> None:
    same = [
        f"{key}: {entry.text!r}"
        for key, entry in BY_LANGUAGE["en"].items()
        if key not in SAME_IN_BOTH and key in BY_LANGUAGE["vi"] and BY_LANGUAGE["vi"][key].text == entry.text
    ]
    assert same == [], "English identical to Vietnamese (translate it, or allow-list it with a reason)"


def test_the_allow_list_holds_only_real_keys_that_need_it() -> None:
    stale = [
        key for key in SAME_IN_BOTH
        if key not in BY_LANGUAGE["vi"] or key not in BY_LANGUAGE["en"]
        or BY_LANGUAGE["vi"][key].text != BY_LANGUAGE["en"][key].text
    ]
    assert stale == []


def test_every_text_is_a_valid_format_string() -> None:
    broken = []
    for e in ENTRIES:
        try:
            placeholders(e.text)
        except ValueError as exc:
            broken.append(f"{e.language}/{e.file}: {e.key}: {exc}")
    assert broken == []


def test_placeholders_are_the_same_in_both_languages() -> None:
    differ = [
        f"{key}: vi {sorted(placeholders(vi.text))} en {sorted(placeholders(BY_LANGUAGE['en'][key].text))}"
        for key, vi in BY_LANGUAGE["vi"].items()
        if key in BY_LANGUAGE["en"] and placeholders(vi.text) != placeholders(BY_LANGUAGE["en"][key].text)
    ]
    assert differ == []


def test_every_key_is_in_both_languages_in_the_same_feature_catalog() -> None:
    vi = {(e.file, e.key) for e in ENTRIES if e.language == "vi"}
    en = {(e.file, e.key) for e in ENTRIES if e.language == "en"}
    assert sorted(vi - en) == [], "in Vietnamese only"
    assert sorted(en - vi) == [], "in English only"


def test_a_key_lives_in_one_feature_catalog() -> None:
    for language in LANGUAGES:
        files: dict[str, list[str]] = {}
        for e in ENTRIES:
            if e.language == language:
                files.setdefault(e.key, []).append(e.file)
        twice = {key: names for key, names in files.items() if len(names) > 1}
        assert twice == {}, f"{language}: keys in several catalogs"


def test_no_key_twice_in_one_file() -> None:
    """read_po keeps only the last of two equal msgids; the raw text shows the repeat."""
    repeated = []
    for language in LANGUAGES:
        for path in po_files(language):
            ids = re.findall(r'^msgid "(.+)"$', path.read_text(encoding="utf-8"), re.MULTILINE)
            repeated += [f"{language}/{path.name}: {key}" for key, n in Counter(ids).items() if n > 1]
    assert repeated == []


# --- 2. the keys the code uses -------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyUse:
    where: str  # path:line
    key: str  # a whole key, or a prefix when `prefix`
    prefix: bool
    params: frozenset[str] | None  # keyword names given; None when unknown (**kwargs, or a prefix)


def source_files(*dirs: str) -> list[Path]:
    return sorted(p for d in dirs for p in (ROOT / d).rglob("*.py") if "migrations" not in p.parts)


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _is_translator_call(call: ast.Call, path: Path) -> bool:
    func = call.func
    if isinstance(func, ast.Name):  # t("key"), N_("key"); in bot/i18n.py the Translator calls itself
        return func.id in {"t", "N_"} or (func.id == "self" and path.name == "i18n.py")
    if isinstance(func, ast.Attribute):  # turn.t("key"), self.t("key")
        return func.attr == "t"
    if isinstance(func, ast.Call):  # translator("en")("key"), turn.services.translator(code)("key")
        inner = func.func
        name = inner.id if isinstance(inner, ast.Name) else inner.attr if isinstance(inner, ast.Attribute) else ""
        return name == "translator"
    return False


def _keys_of(node: ast.expr) -> Iterator[tuple[str, bool]]:
    """(key, is_prefix) for a literal, each branch of `a if c else b`, or the literal head of an f-string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value, False
    elif isinstance(node, ast.IfExp):
        yield from _keys_of(node.body)
        yield from _keys_of(node.orelse)
    elif isinstance(node, ast.JoinedStr) and node.values:
        head = node.values[0]
        if isinstance(head, ast.Constant) and isinstance(head.value, str):
            yield head.value, True


def key_uses() -> list[KeyUse]:
    uses = []
    for path in source_files(*CODE_DIRS):
        for node in ast.walk(parse(path)):
            if not (isinstance(node, ast.Call) and node.args and _is_translator_call(node, path)):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            # N_("key") only marks a key; the call that formats it later fills its placeholders
            spread = any(k.arg is None for k in node.keywords) or getattr(node.func, "id", "") == "N_"
            for key, prefix in _keys_of(node.args[0]):
                params = None if spread or prefix else frozenset(k.arg for k in node.keywords if k.arg)
                uses.append(KeyUse(where, key, prefix, params))
    return uses


KEY_USES = key_uses()


def test_the_scan_sees_the_code() -> None:
    """Guards the scanner itself: keys known to be used in the core must be found."""
    found = {(u.key, u.prefix) for u in KEY_USES}
    assert {("menu.prompt", False), ("language.name", False), ("error.internal", False),
            ("kind.", True), ("date.due", False), ("weekday.", True)} <= found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_used_exists(language: str) -> None:
    keys = BY_LANGUAGE[language]
    missing = [
        f"{u.where}: {u.key}{'*' if u.prefix else ''}"
        for u in KEY_USES
        if (u.prefix and not any(k.startswith(u.key) for k in keys)) or (not u.prefix and u.key not in keys)
    ]
    assert missing == [], f"keys used in the code but missing from the {language} catalogs"


@pytest.mark.parametrize("language", LANGUAGES)
def test_key_families_built_from_closed_sets_are_complete(language: str) -> None:
    """`f"kind.{case.kind}"` and the like: each member of the set the code formats from has its key."""
    from bot.domain.cases import CaseKind, CaseStatus
    from handlers.common import MENU_ITEMS

    wanted = (
        [f"kind.{k.value}" for k in CaseKind]
        + [f"status.{s.value}" for s in CaseStatus]
        + [f"weekday.{d}" for d in range(7)]
        + [f"menu.{item}" for item in MENU_ITEMS]
    )
    assert [key for key in wanted if key not in BY_LANGUAGE[language]] == []


def test_calls_fill_exactly_the_placeholders() -> None:
    """A missing argument would raise KeyError at the citizen's turn; an extra one is usually a typo."""
    wrong = []
    for use in KEY_USES:
        entry = BY_LANGUAGE["vi"].get(use.key)
        if use.params is None or entry is None:
            continue
        wanted = placeholders(entry.text)
        # Without arguments the translator returns the text unformatted, so a placeholder would show as is.
        if wanted != use.params:
            wrong.append(f"{use.where}: {use.key} wants {sorted(wanted)}, given {sorted(use.params)}")
    assert wrong == []


# --- 3. no user-facing text outside the catalogs -------------------------------------------------------------


def docstrings(tree: ast.Module) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def route_labels(tree: ast.Module) -> set[int]:
    """A route's or middleware's name and description (handlers/routing.py): for developers, printed by
    `tiepdan routes`, never shown to a citizen or an official."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("Route", "Middleware"):
            ids |= {id(arg) for arg in node.args[:2]}
            ids |= {id(k.value) for k in node.keywords if k.arg in ("name", "what")}
        if isinstance(node, ast.Raise) and node.exc is not None:  # a programming error's message, for developers
            ids |= {id(inner) for inner in ast.walk(node.exc)}
    return ids


def type_variables(tree: ast.Module) -> set[int]:
    """`T = TypeVar("T")`: a type variable's name is an identifier, whatever its case."""
    return {id(node.args[0]) for node in ast.walk(tree) if isinstance(node, ast.Call) and node.args
            and isinstance(node.func, ast.Name) and node.func.id == "TypeVar"}


def has_words(text: str) -> bool:
    return any(c.isalpha() for c in text)


def test_flows_hold_no_literal_text() -> None:
    """In handlers/, a string is a docstring, a catalog key, an identifier, or has no letters at all."""
    known_keys = set(BY_LANGUAGE["vi"]) | set(BY_LANGUAGE["en"])
    literal_text = []
    for path in source_files("handlers"):
        tree = parse(path)
        skip = docstrings(tree) | route_labels(tree) | type_variables(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)) or id(node) in skip:
                continue
            value = node.value
            if value in known_keys or IDENTIFIER_LIKE.match(value) or not has_words(value):
                continue
            literal_text.append(f"{path.relative_to(ROOT)}:{node.lineno}: {value!r}")
    assert literal_text == [], "user-facing text belongs in locales/ (or is this an identifier?)"


def _text_argument(call: ast.Call) -> ast.expr | None:
    """The text a user will see: `Outbound(text=...)` / its first argument, `x.say(...)`,
    `web.Response(text=...)`."""
    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    keyword = next((k.value for k in call.keywords if k.arg == "text"), None)
    if name == "Outbound":
        return keyword or (call.args[0] if call.args else None)
    if name == "say":
        return call.args[0] if call.args else keyword
    if name == "Response":
        return keyword
    return None


def _literal_words(node: ast.expr) -> Iterator[str]:
    """Literal sentences in an expression: constants and f-string parts with letters and a space."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            if has_words(sub.value) and " " in sub.value.strip():
                yield sub.value


def test_what_bot_sends_to_users_is_translated() -> None:
    literal_text = []
    for path in source_files("bot"):
        for node in ast.walk(parse(path)):
            if not isinstance(node, ast.Call):
                continue
            argument = _text_argument(node)
            if argument is None:
                continue
            # Nested translator calls are fine: their argument is a key, not a sentence.
            if isinstance(argument, ast.Call) and _is_translator_call(argument, path):
                continue
            for text in _literal_words(argument):
                if text not in BOT_LITERALS_ALLOWED:
                    literal_text.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text!r}")
    assert literal_text == [], "text shown to users belongs in locales/"


def test_the_literal_checks_catch_literal_text(tmp_path: Path) -> None:
    """The checks above must be able to fail: run their core on a flow written the wrong way."""
    sample = ast.parse(
        'from bot.channels.model import Outbound\n'
        'async def step(turn):\n'
        '    turn.say("Xin chào bạn")\n'
        '    return Outbound(text=f"Mã hồ sơ {turn.code}")\n'
    )
    calls = [n for n in ast.walk(sample) if isinstance(n, ast.Call)]
    seen = [text for call in calls if (arg := _text_argument(call)) is not None for text in _literal_words(arg)]
    assert seen == ["Xin chào bạn", "Mã hồ sơ "]
    assert not IDENTIFIER_LIKE.match("Xin chào bạn")
    assert IDENTIFIER_LIKE.match("/report") and IDENTIFIER_LIKE.match("ngap_nuoc")
