"""Who handles a case: routing rules (category x area -> unit) and the inspection unit above a unit.

Routing is data (as in FixMyStreet): a rule with no category matches every category, a rule with no area
matches every area, and the most specific rule in force on the day wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Rule:
    category: str | None
    area: str | None
    unit: str
    valid_from: date | None = None
    valid_to: date | None = None  # inclusive, like the dates people write in a decision

    def in_force(self, on: date) -> bool:
        if self.valid_from is not None and on < self.valid_from:
            return False
        return self.valid_to is None or on <= self.valid_to


# Tiers of specificity, higher wins: (category + area) > (category only) > (area only) > default.
_TIER_CATEGORY_AREA = 3
_TIER_CATEGORY = 2
_TIER_AREA = 1
_TIER_DEFAULT = 0


def _specificity(rule: Rule, category: str | None, area_chain: Sequence[str]) -> tuple[int, int] | None:
    """(tier, closeness) of a matching rule, or None; closeness prefers a residential area to its ward."""
    if rule.category is not None and rule.category != category:
        return None
    if rule.area is None:
        return (_TIER_CATEGORY if rule.category is not None else _TIER_DEFAULT, 0)
    if rule.area not in area_chain:
        return None
    closeness = -area_chain.index(rule.area)
    return (_TIER_CATEGORY_AREA if rule.category is not None else _TIER_AREA, closeness)


def route(rules: Iterable[Rule], category: str | None, area_chain: Sequence[str], on: date) -> str | None:
    """The unit code for a case, or None when no rule in force matches.

    `area_chain` is the case's area followed by its parents (residential area, ward, ...). Among equally
    specific rules the one that took effect last wins (a reorganisation supersedes), then the first listed.
    """
    best: tuple[tuple[int, int, date], Rule] | None = None
    for rule in rules:
        if not rule.in_force(on):
            continue
        spec = _specificity(rule, category, area_chain)
        if spec is None:
            continue
        key = (*spec, rule.valid_from or date.min)
        if best is None or key > best[0]:
            best = (key, rule)
    return best[1].unit if best is not None else None


def ancestors(unit: str, parents: Mapping[str, str | None]) -> list[str]:
    """The unit's parent, grandparent, ... up to a root; stops at a cycle instead of looping."""
    chain: list[str] = []
    current = parents.get(unit)
    while current is not None and current != unit and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def _nearest_inspection(
    unit: str, parents: Mapping[str, str | None], inspection: Mapping[str, str | None]
) -> str | None:
    for candidate in (unit, *ancestors(unit, parents)):
        configured = inspection.get(candidate)
        if configured is not None:
            return configured
    return None


def inspection_unit_above(
    unit: str, parents: Mapping[str, str | None], inspection: Mapping[str, str | None]
) -> str | None:
    """The inspection unit that handles a denunciation about `unit`.

    The nearest inspection setting on the unit or its ancestors, except that an inspection unit which is the
    unit itself or sits under it cannot judge it (a city inspectorate does not investigate the city's
    People's Committee): then the search moves to the inspection unit above that inspection unit.
    """
    seen: set[str] = set()
    candidate = _nearest_inspection(unit, parents, inspection)
    while candidate is not None and (candidate == unit or unit in ancestors(candidate, parents)):
        if candidate in seen:
            return None  # inspection settings point round in a circle: nobody independent is configured
        seen.add(candidate)
        candidate = _nearest_inspection(candidate, parents, inspection)
    return candidate
