"""Checking an organisation file: every problem, each with its file, its line and a plain-English reason.

Two passes. The schema pass validates each section and each list item on its own, so one bad unit does not
hide the problems of the next. The meaning pass then looks across sections: duplicate codes, references to
unknown units/areas/categories, a cycle in the unit tree, wards without a route, kinds without a deadline,
calendar overrides without a legal reference.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.domain.deadlines import CASE_KINDS
from bot.domain.routing import route
from bot.services.org.schema import (
    AREA_UNIT,
    SECTIONS,
    LineDict,
    LineList,
    OrgSpec,
    Problem,
    Spec,
    attach_lines,
    line_of,
    load_yaml,
)


@dataclass
class ParsedOrg:
    spec: OrgSpec
    problems: list[Problem]
    known: dict[str, set[str]] = field(default_factory=dict)  # codes seen in the raw file, valid or not

    @property
    def ok(self) -> bool:
        return not self.problems


def check_file(path: str | Path, *, today: dt.date | None = None) -> list[Problem]:
    """Every problem in the file, in line order; an empty list means the file can be loaded."""
    return parse_file(path, today=today).problems


def parse_file(path: str | Path, *, today: dt.date | None = None) -> ParsedOrg:
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return ParsedOrg(OrgSpec(), [Problem(name, 1, f"cannot read the file: {exc}")])
    return parse_text(text, name, today=today)


def parse_text(text: str, name: str, *, today: dt.date | None = None) -> ParsedOrg:
    try:
        raw, duplicates = load_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        return ParsedOrg(OrgSpec(), [Problem(name, line, f"YAML syntax error: {exc.problem or exc}")])
    except yaml.YAMLError as exc:
        return ParsedOrg(OrgSpec(), [Problem(name, 1, f"YAML error: {exc}")])
    problems = [
        Problem(name, line, f"duplicate key '{key}' (only the last one would count)")
        for line, key in duplicates
    ]
    if not isinstance(raw, LineDict):
        problems.append(Problem(name, 1, "the file must be a mapping of sections (organisation, units, ...)"))
        return ParsedOrg(OrgSpec(), problems)
    spec = _validate_sections(raw, name, problems)
    known = _known_codes(raw)
    problems.extend(_meaning_problems(spec, known, name, today or dt.date.today()))
    problems.sort(key=lambda p: p.line)
    return ParsedOrg(spec, problems, known)


# --- schema pass ------------------------------------------------------------------------------------------


def _validate_sections(raw: LineDict, name: str, problems: list[Problem]) -> OrgSpec:
    spec = OrgSpec(section_lines=dict(raw.key_lines))
    for key in raw:
        if key not in SECTIONS:
            allowed = ", ".join(SECTIONS)
            problems.append(
                Problem(name, raw.key_lines[key], f"unknown section '{key}' (expected one of: {allowed})")
            )
    for section, (model, is_list, required) in SECTIONS.items():
        if section not in raw:
            if required:
                problems.append(Problem(name, 1, f"missing required section '{section}'"))
            continue
        value = raw[section]
        if is_list:
            setattr(spec, section, list(_validate_list(raw, section, model, name, problems)))
        else:
            validated = _validate_one(raw, (section,), value, model, name, problems)
            if validated is not None:
                setattr(spec, section, validated)
    return spec


def _validate_list(
    raw: LineDict, section: str, model: type[Spec], name: str, problems: list[Problem]
) -> Iterator[Any]:
    items = raw[section]
    if items is None:
        return
    if not isinstance(items, LineList):
        problems.append(Problem(name, raw.key_lines[section], f"'{section}' must be a list of items"))
        return
    for index, item in enumerate(items):
        validated = _validate_one(raw, (section, index), item, model, name, problems)
        if validated is not None:
            yield validated


def _validate_one(
    raw: LineDict,
    where: tuple[str | int, ...],
    value: Any,
    model: type[Spec],
    name: str,
    problems: list[Problem],
) -> Spec | None:
    try:
        validated = model.model_validate(value)
    except ValidationError as exc:
        for error in exc.errors():
            loc = (*where, *error["loc"])
            problems.append(Problem(name, line_of(raw, loc), _reason(loc, error)))
        return None
    attach_lines(validated, value)
    return validated


def _path(loc: Iterable[str | int]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _reason(loc: tuple[str | int, ...], error: Any) -> str:
    kind, message = error["type"], str(error["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        return f"{_path(loc[:-1])}: missing required field '{loc[-1]}'"
    if kind == "extra_forbidden":
        return f"{_path(loc[:-1])}: unknown field '{loc[-1]}'"
    if kind == "model_type" or kind == "model_attributes_type":
        return f"{_path(loc)}: expected a mapping of fields, got {_show(error.get('input'))}"
    shown = error.get("input")
    suffix = f" (got {_show(shown)})" if isinstance(shown, str | int | float | bool) else ""
    if kind == "value_error":
        suffix = ""  # our own messages already quote the value
    return f"{_path(loc)}: {message}{suffix}"


def _show(value: Any) -> str:
    if isinstance(value, LineDict):
        return "a mapping"
    if isinstance(value, LineList):
        return "a list"
    return repr(value)


def _known_codes(raw: LineDict) -> dict[str, set[str]]:
    """Codes the file defines, read from the raw document so that an item which failed validation for
    another reason does not also show up as an "unknown unit" everywhere it is referenced."""

    def codes(items: Any, key: str, nested: str | None = None) -> set[str]:
        found: set[str] = set()
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict):
                if isinstance(item.get(key), str):
                    found.add(item[key])
                if nested:
                    found |= codes(item.get(nested), key, nested)
        return found

    def default_kinds(items: Any) -> set[str]:
        # Kinds that have a kind-wide policy, even one with another mistake (reported on its own line).
        found: set[str] = set()
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and item.get("category") is None:
                kinds = item.get("kind")
                found.update(k for k in (kinds if isinstance(kinds, list) else [kinds]) if isinstance(k, str))
        return found

    return {
        "policy_kind": default_kinds(raw.get("deadlines")),
        "unit": codes(raw.get("units"), "code"),
        "area": codes(raw.get("areas"), "code", "children"),
        "category": codes(raw.get("categories"), "code"),
    }


# --- meaning pass -----------------------------------------------------------------------------------------


def _meaning_problems(spec: OrgSpec, known: dict[str, set[str]], name: str, today: dt.date) -> list[Problem]:
    found: list[tuple[int, str]] = []
    found += _duplicates(spec)
    found += _unit_references(spec, known)
    found += _unit_cycles(spec)
    found += _area_problems(spec, known)
    found += _routing_problems(spec, known)
    found += _missing_routes(spec, today)
    found += _policy_problems(spec, known)
    found += _official_problems(spec, known)
    found += _calendar_problems(spec)
    found += _reception_problems(spec)
    return [Problem(name, line, reason) for line, reason in found]


# The reception law's minimum per month: a commune or ward at least weekly, a district-level leadership twice.
RECEPTIONS_PER_MONTH = {"ward": 4, "commune": 4, "leadership": 2}


def _reception_problems(spec: OrgSpec) -> list[tuple[int, str]]:
    units = {u.code: u for u in spec.units}
    seats = {o.seat for o in spec.officials}
    found: list[tuple[int, str]] = []
    for item in spec.receptions:
        unit = units.get(item.unit)
        if unit is None:
            found.append((item.line(), f"reception names unknown unit '{item.unit}'"))
            continue
        if item.leader not in seats:
            found.append((item.line(), f"reception names unknown seat '{item.leader}'"))
        needed = RECEPTIONS_PER_MONTH.get(unit.kind, 1)
        per_month = 4 if item.every == "weekly" else len(set(item.days))
        if per_month < needed:
            found.append((item.line(), f"reception of '{item.unit}' ({unit.kind}) is {per_month} day(s) a month; "
                                       f"the law asks at least {needed} (Luật Tiếp công dân 2013)"))
    return found


def _duplicates(spec: OrgSpec) -> list[tuple[int, str]]:
    groups: list[tuple[str, Iterable[tuple[str, Spec]]]] = [
        ("unit code", ((u.code, u) for u in spec.units)),
        ("area code", ((a.code, a) for a, _ in spec.all_areas())),
        ("category code", ((c.code, c) for c in spec.categories)),
        ("official seat", ((o.seat, o) for o in spec.officials)),
        ("topic code", ((t.code, t) for t in spec.topics)),
    ]
    found: list[tuple[int, str]] = []
    for label, items in groups:
        first: dict[str, int] = {}
        for code, item in items:
            if code in first:
                found.append(
                    (item.line(), f"duplicate {label} '{code}' (first defined on line {first[code]})")
                )
            else:
                first[code] = item.line()
    return found


def _unknown(label: str, code: str, known: set[str], where: str) -> str | None:
    return None if code in known else f"{where} names unknown {label} '{code}'"


def _unit_references(spec: OrgSpec, known: dict[str, set[str]]) -> list[tuple[int, str]]:
    units, found = known["unit"], []
    if spec.organisation is not None:
        reason = _unknown("unit", spec.organisation.coordinator, units, "organisation.coordinator")
        if reason:
            found.append((spec.organisation.line("coordinator"), reason))
    for unit in spec.units:
        for key in ("parent", "inspection"):
            target = getattr(unit, key)
            if target is None:
                continue
            reason = _unknown("unit", target, units, f"unit '{unit.code}' {key}")
            if reason:
                found.append((unit.line(key), reason))
            elif key == "inspection" and target == unit.code:
                found.append((unit.line(key), f"unit '{unit.code}' cannot be its own inspection unit"))
    return found


def _unit_cycles(spec: OrgSpec) -> list[tuple[int, str]]:
    parents = {u.code: u.parent for u in spec.units}
    by_code = {u.code: u for u in spec.units}
    reported: set[str] = set()
    found: list[tuple[int, str]] = []
    for unit in spec.units:
        path, current = [unit.code], unit.parent
        while current is not None and current in parents and current not in path:
            path.append(current)
            current = parents[current]
        if current is None or current not in path or current in reported:
            continue
        cycle = path[path.index(current) :]
        reported.update(cycle)
        # Report at the unit of the cycle that comes first in the file: that is where a reader starts.
        first = min((by_code[c] for c in cycle), key=lambda u: u.line())
        ring = " -> ".join([*cycle, current])
        found.append((first.line("parent"), f"the unit tree has a cycle: {ring} (parent links go round)"))
    return found


def _area_problems(spec: OrgSpec, known: dict[str, set[str]]) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for area, _ in spec.all_areas():
        if area.unit is not None:
            reason = _unknown("unit", area.unit, known["unit"], f"area '{area.code}' unit")
            if reason:
                found.append((area.line("unit"), reason))
    return found


def _routing_problems(spec: OrgSpec, known: dict[str, set[str]]) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    area_units = {a.code: a.unit for a, _ in spec.all_areas()}
    seen: dict[tuple[str | None, str | None, dt.date | None], int] = {}
    for rule in spec.routing:
        for key, label in (("category", "category"), ("area", "area")):
            for code in getattr(rule, key) or []:
                reason = _unknown(label, code, known[label], "routing rule")
                if reason:
                    found.append((rule.line(key), reason))
        if rule.unit != AREA_UNIT:
            reason = _unknown("unit", rule.unit, known["unit"], "routing rule")
            if reason:
                found.append((rule.line("unit"), reason))
        else:
            for code in rule.area or []:
                if code in area_units and area_units[code] is None:
                    found.append(
                        (
                            rule.line("area"),
                            f"routing rule sends '{code}' to '@area' but that area has no unit",
                        )
                    )
        if rule.valid_from and rule.valid_to and rule.valid_from > rule.valid_to:
            found.append(
                (rule.line("valid_to"), "routing rule ends (valid_to) before it starts (valid_from)")
            )
        if rule.unit == AREA_UNIT:
            continue
        for cat in rule.category or (None,):
            for area in rule.area or (None,):
                key3 = (cat, area, rule.valid_from)
                if key3 in seen:
                    what = f"category {cat or '(any)'} x area {area or '(any)'}"
                    found.append(
                        (rule.line(), f"routing rule for {what} repeats the rule on line {seen[key3]}")
                    )
                else:
                    seen[key3] = rule.line()
    return found


def _check_dates(spec: OrgSpec, today: dt.date) -> list[dt.date]:
    """Today and every future day on which some rule starts or stops: where a route could go missing."""
    days = {today}
    for rule in spec.routing:
        days.update(d for d in (rule.valid_from, rule.valid_to and rule.valid_to + dt.timedelta(days=1)) if d)
    return sorted(d for d in days if d >= today)


def _missing_routes(spec: OrgSpec, today: dt.date) -> list[tuple[int, str]]:
    rules, categories = spec.domain_rules(), [c.code for c in spec.categories]
    found: list[tuple[int, str]] = []
    failed: set[str] = set()
    for area, parent in spec.all_areas():
        chain = spec.area_chain(area.code)
        for day in _check_dates(spec, today):
            missing = [c for c in categories if route(rules, c, chain, day) is None]
            if missing:
                failed.add(area.code)
                # A residential area fails whenever its ward does: report the ward only.
                if parent is None or parent.code not in failed:
                    listed = ", ".join(missing)
                    found.append(
                        (
                            area.line(),
                            f"area '{area.code}' has no route on {day} for: {listed} "
                            "(give the area a unit or add a default rule)",
                        )
                    )
                break
    return found


def _policy_problems(spec: OrgSpec, known: dict[str, set[str]]) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    first: dict[tuple[str, str | None], int] = {}
    for policy in spec.deadlines:
        if policy.category is not None:
            reason = _unknown("category", policy.category, known["category"], "deadline policy")
            if reason:
                found.append((policy.line("category"), reason))
        for kind in policy.kind:
            key = (kind, policy.category)
            if key in first:
                what = kind if policy.category is None else f"{kind} / {policy.category}"
                found.append(
                    (policy.line(), f"second deadline policy for {what} (first on line {first[key]})")
                )
            else:
                first[key] = policy.line()
    covered = known["policy_kind"]
    line = spec.section_lines.get("deadlines", 1)
    for case_kind in CASE_KINDS:
        if case_kind not in covered and "deadlines" in spec.section_lines:
            found.append(
                (line, f"no deadline policy for case kind '{case_kind}': every kind needs a resolve step")
            )
    return found


def _official_problems(spec: OrgSpec, known: dict[str, set[str]]) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for official in spec.officials:
        reason = _unknown("unit", official.unit, known["unit"], f"official seat '{official.seat}'")
        if reason:
            found.append((official.line("unit"), reason))
    return found


def _calendar_problems(spec: OrgSpec) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    cal = spec.calendar
    if cal.first_year and cal.last_year and cal.first_year > cal.last_year:
        found.append((cal.line("last_year"), "calendar.last_year is before calendar.first_year"))
    first_seen: dict[dt.date, int] = {}
    for override in cal.overrides:
        if override.from_ and override.to and override.from_ > override.to:
            found.append((override.line("to"), f"calendar override '{override.name}' ends before it starts"))
            continue
        if not (override.legal_basis or "").strip():
            found.append(
                (
                    override.line(),
                    f"calendar override '{override.name}' has no legal reference "
                    "(legal_basis: the decree or notice that sets it)",
                )
            )
        days = override.days()
        day = next((d for d in days if d in first_seen), None)
        if day is not None:
            found.append(
                (
                    override.line(),
                    f"calendar override '{override.name}' repeats {day} "
                    f"(already set on line {first_seen[day]})",
                )
            )
        for day in days:
            first_seen.setdefault(day, override.line())
    return found
