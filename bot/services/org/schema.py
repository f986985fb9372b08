"""The organisation file's schema: a line-recording YAML loader and the pydantic models of each section.

Every model remembers the line it came from (and the line of each of its keys), so later checks can say
`org/demo.yaml:214: routing rule names unknown unit 'QLĐT'` instead of pointing at line 1.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    field_validator,
    model_validator,
)

from bot.domain.calendar import DEFAULT_TZ, OfficeHours
from bot.domain.deadlines import DeadlinePolicy, Step, TimeUnit
from bot.domain.routing import Rule

AREA_UNIT = "@area"  # in a routing rule: "the unit of the area itself" (a ward's People's Committee)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


# --- YAML with line numbers -------------------------------------------------------------------------------


class LineDict(dict[Any, Any]):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int = 1
    key_lines: dict[Any, int]


class LineList(list[Any]):
    """A sequence that knows its own line and the line of each item (1-based)."""

    line: int = 1
    item_lines: list[int]


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


class OrgYamlLoader(yaml.SafeLoader):
    """SafeLoader that keeps line numbers and notes duplicate keys instead of silently keeping the last."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicate_keys: list[tuple[int, Any]] = []


def _construct_mapping(loader: OrgYamlLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line, result.key_lines = _line(node), {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result.key_lines:
            loader.duplicate_keys.append((_line(key_node), key))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = _line(key_node)
    return result


def _construct_sequence(loader: OrgYamlLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line, result.item_lines = _line(node), [_line(child) for child in node.value]
    return result


OrgYamlLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
OrgYamlLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)

# YAML 1.1 reads 13:30 as the base-60 integer 810; times are everywhere in this file, so drop base 60.
_INT_TAG, _FLOAT_TAG = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
OrgYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT_TAG, _FLOAT_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
OrgYamlLoader.add_implicit_resolver(
    _INT_TAG,
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
OrgYamlLoader.add_implicit_resolver(
    _FLOAT_TAG,
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def load_yaml(text: str) -> tuple[Any, list[tuple[int, Any]]]:
    """The document and the (line, key) of every duplicate key; raises yaml.YAMLError on bad syntax."""
    loader = OrgYamlLoader(text)
    try:
        return loader.get_single_data(), loader.duplicate_keys
    finally:
        loader.dispose()


def line_of(raw: Any, loc: tuple[int | str, ...], default: int = 1) -> int:
    """The line of the deepest part of `loc` present in the raw document (a missing key: its mapping)."""
    line, node = default, raw
    for part in loc:
        if isinstance(node, LineDict) and part in node:
            line, node = node.key_lines.get(part, line), node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line, node = node.item_lines[part], node[part]
        else:
            break
    return line


# --- field types --------------------------------------------------------------------------------------------

Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=64)]
RuleUnit = Annotated[str, StringConstraints(pattern=r"^(@area|[A-Za-z][A-Za-z0-9_]*)$", max_length=64)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
CaseKind = Literal["question", "report", "petition", "complaint", "denunciation", "suggestion"]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
UnitKind = Literal[
    "leadership", "coordinator", "department", "ward", "commune", "inspection", "overseer", "other"
]
AreaKind = Literal["province", "district", "ward", "commune", "residential"]
Role = Literal["officer", "head", "leader", "overseer", "admin", "committee", "secretariat"]

_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_clock(value: Any) -> dt.time:
    if isinstance(value, dt.time):
        return value
    match = _TIME_RE.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"expected a time like 07:30, got {value!r}")
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        raise ValueError(f"{value!r} is not a time of day (hours 00-23, minutes 00-59)")
    return dt.time(hour, minute)


def parse_period(value: Any) -> tuple[dt.time, dt.time]:
    if not isinstance(value, str) or value.count("-") != 1:
        raise ValueError(f"expected a period like 07:30-11:30, got {value!r}")
    start, end = (parse_clock(part.strip()) for part in value.split("-"))
    if start >= end:
        raise ValueError(f"period {value!r} ends before it starts")
    return start, end


def _as_list(value: Any) -> Any:
    # "category: dat_dai" and "category: [dat_dai, o_nhiem]" mean the same; keep one shape inside.
    return [value] if isinstance(value, str) else value


Clock = Annotated[dt.time, BeforeValidator(parse_clock)]
Period = Annotated[tuple[dt.time, dt.time], BeforeValidator(parse_period)]
CodeList = Annotated[list[Code], BeforeValidator(_as_list)]
KindList = Annotated[list[CaseKind], BeforeValidator(_as_list)]


# --- sections ---------------------------------------------------------------------------------------------


class Spec(BaseModel):
    """Base of every section: unknown fields are errors, and the source lines are kept."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    _line: int = PrivateAttr(default=1)
    _key_lines: dict[str, int] = PrivateAttr(default_factory=dict)

    def line(self, key: str | None = None) -> int:
        if key is None:
            return self._line
        return self._key_lines.get(key, self._line)


def attach_lines(model: Spec, raw: Any) -> None:
    """Copy the raw document's line numbers onto a validated model and its nested models."""
    if isinstance(raw, LineDict):
        model._line, model._key_lines = raw.line, dict(raw.key_lines)
    for name, info in type(model).model_fields.items():
        value, sub = getattr(model, name), raw.get(info.alias or name) if isinstance(raw, dict) else None
        if isinstance(value, Spec):
            attach_lines(value, sub)
        elif isinstance(value, list) and isinstance(sub, list):
            for item, raw_item in zip(value, sub, strict=False):
                if isinstance(item, Spec):
                    attach_lines(item, raw_item)


class Names(Spec):
    vi: Text
    en: Text


class OrganisationSpec(Spec):
    name: Text
    timezone: str = DEFAULT_TZ
    office_hours: list[Period] = Field(
        default_factory=lambda: [parse_period("07:30-11:30"), parse_period("13:30-17:00")]
    )
    coordinator: Code
    notice_version: Text

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("office_hours")
    @classmethod
    def _ordered(cls, value: list[tuple[dt.time, dt.time]]) -> list[tuple[dt.time, dt.time]]:
        OfficeHours(tuple(value))  # raises ValueError on overlapping or unordered periods
        return value

    def office(self) -> OfficeHours:
        return OfficeHours(tuple(self.office_hours))


class EscalationSpec(Spec):
    parent_delay_working_days: int = Field(default=2, ge=0)
    repeat_every_working_days: int = Field(default=1, ge=1)


class QuietHoursSpec(Spec):
    allowed: Period  # messages to officials outside this window are held until it opens
    working_days_only: bool = True


class DigestSpec(Spec):
    weekday: Weekday = "monday"
    time: Clock = dt.time(7, 30)


class UnitSpec(Spec):
    code: Code
    kind: UnitKind
    name: Names
    parent: Code | None = None
    inspection: Code | None = None
    reception: Text | None = None


class LocationSpec(Spec):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_m: float = Field(gt=0)


class AreaSpec(Spec):
    code: Code
    kind: AreaKind
    name: Text
    unit: Code | None = None
    aliases: list[Text] = Field(default_factory=list)
    streets: list[Text] = Field(default_factory=list)  # "đường X" in a message names this ward
    location: LocationSpec | None = None
    children: list[AreaSpec] = Field(default_factory=list)


class CategorySpec(Spec):
    code: Code
    name: Names
    keywords: list[Text] = Field(min_length=1)
    public: bool = False  # its reports are open data (Open311, the public map) unless their unit withholds one
    examples: list[Text] = Field(default_factory=list)  # messages as citizens write them: the matcher learns


class MatchingSpec(Spec):
    """The organisation's additions to the shipped lexicon (locales/vi/matching.yaml)."""

    abbreviations: dict[str, Text] = Field(default_factory=dict)
    formulas: list[Text] = Field(default_factory=list)
    not_places: list[Text] = Field(default_factory=list)  # the city's own name, the province's...


class TopicSpec(Spec):
    """A subject citizens may follow (announcements and dialogues are about one): "mất điện, nước", ..."""

    code: Code
    name: Names


class ReceptionSpec(Spec):
    """The chairman's fixed citizen-reception days for a unit (Luật Tiếp công dân 2013): weekly on a weekday,
    or monthly on days of the month; a day off moves it to the next working day of the same period."""

    unit: Code
    every: Literal["weekly", "monthly"]
    weekday: Weekday | None = None
    days: list[Annotated[int, Field(ge=1, le=31)]] = Field(default_factory=list)
    time: Period
    place: Text
    leader: Code  # the seat of the leader who receives

    @model_validator(mode="after")
    def _when(self) -> ReceptionSpec:
        if self.every == "weekly" and self.weekday is None:
            raise ValueError("a weekly reception needs 'weekday'")
        if self.every == "monthly" and not self.days:
            raise ValueError("a monthly reception needs 'days'")
        return self


class RuleSpec(Spec):
    category: CodeList | None = None
    area: CodeList | None = None
    unit: RuleUnit
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    note: Text | None = None


class StepSpec(Spec):
    amount: int = Field(ge=0)
    unit: TimeUnit

    def step(self) -> Step:
        return Step(self.amount, self.unit)


class PolicySpec(Spec):
    kind: KindList = Field(min_length=1)
    category: Code | None = None
    accept: StepSpec | None = None
    resolve: StepSpec
    legal_basis: Text


class OfficialSpec(Spec):
    seat: Code
    unit: Code
    role: Role
    name: Text
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 .-]{6,20}$")] | None = None
    view_identity: bool = False


class OverrideSpec(Spec):
    """A decreed day off or a swapped working day; `date` for one day, `from`/`to` for a run of days."""

    date: dt.date | None = None
    from_: dt.date | None = Field(default=None, alias="from")
    to: dt.date | None = None
    working: bool
    name: Text
    legal_basis: str | None = None  # required, but checked later so the reason can say why

    @model_validator(mode="after")
    def _one_way_to_say_when(self) -> OverrideSpec:
        if (self.date is None) == (self.from_ is None or self.to is None):
            raise ValueError("give either 'date' or both 'from' and 'to'")
        return self

    def days(self) -> list[dt.date]:
        first = self.date or self.from_
        last = self.date or self.to
        assert first is not None and last is not None  # guaranteed by the validator
        return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


class CalendarSpec(Spec):
    first_year: int | None = Field(default=None, ge=1990, le=2100)
    last_year: int | None = Field(default=None, ge=1990, le=2100)
    overrides: list[OverrideSpec] = Field(default_factory=list)


# Top-level keys: section name -> (model of one item or of the whole section, is it a list, required).
SECTIONS: dict[str, tuple[type[Spec], bool, bool]] = {
    "organisation": (OrganisationSpec, False, True),
    "escalation": (EscalationSpec, False, False),
    "quiet_hours": (QuietHoursSpec, False, False),
    "digest": (DigestSpec, False, False),
    "units": (UnitSpec, True, True),
    "areas": (AreaSpec, True, True),
    "categories": (CategorySpec, True, True),
    "routing": (RuleSpec, True, True),
    "deadlines": (PolicySpec, True, True),
    "officials": (OfficialSpec, True, False),
    "calendar": (CalendarSpec, False, False),
    "matching": (MatchingSpec, False, False),
    "topics": (TopicSpec, True, False),
    "receptions": (ReceptionSpec, True, False),
}


@dataclass
class OrgSpec:
    """The validated parts of an organisation file (items that failed validation are left out)."""

    organisation: OrganisationSpec | None = None
    escalation: EscalationSpec = field(default_factory=EscalationSpec)
    quiet_hours: QuietHoursSpec = field(
        default_factory=lambda: QuietHoursSpec.model_validate({"allowed": "07:30-20:00"})
    )
    digest: DigestSpec = field(default_factory=DigestSpec)
    calendar: CalendarSpec = field(default_factory=CalendarSpec)
    matching: MatchingSpec = field(default_factory=MatchingSpec)
    units: list[UnitSpec] = field(default_factory=list)
    areas: list[AreaSpec] = field(default_factory=list)
    categories: list[CategorySpec] = field(default_factory=list)
    routing: list[RuleSpec] = field(default_factory=list)
    deadlines: list[PolicySpec] = field(default_factory=list)
    officials: list[OfficialSpec] = field(default_factory=list)
    topics: list[TopicSpec] = field(default_factory=list)
    receptions: list[ReceptionSpec] = field(default_factory=list)
    section_lines: dict[str, int] = field(default_factory=dict)

    def all_areas(self) -> list[tuple[AreaSpec, AreaSpec | None]]:
        """Every area of the tree with its parent, parents first."""
        found: list[tuple[AreaSpec, AreaSpec | None]] = []

        def walk(area: AreaSpec, parent: AreaSpec | None) -> None:
            found.append((area, parent))
            for child in area.children:
                walk(child, area)

        for root in self.areas:
            walk(root, None)
        return found

    def matching_settings(self) -> dict[str, Any]:
        """What the matcher needs beyond names and keywords, as plain data (stored as the "matching" setting)."""
        streets: dict[str, list[str]] = {}
        for area, parent in self.all_areas():
            ward = area.code if parent is None else self.area_chain(area.code)[-1]
            if area.streets:
                streets.setdefault(ward, []).extend(area.streets)
        return {
            "abbreviations": dict(self.matching.abbreviations),
            "formulas": list(self.matching.formulas),
            "not_places": list(self.matching.not_places),
            "examples": {c.code: list(c.examples) for c in self.categories if c.examples},
            "streets": streets,
        }

    def area_parents(self) -> dict[str, str | None]:
        return {area.code: parent.code if parent else None for area, parent in self.all_areas()}

    def area_chain(self, code: str) -> list[str]:
        parents, chain = self.area_parents(), [code]
        while (parent := parents.get(chain[-1])) is not None and parent not in chain:
            chain.append(parent)
        return chain

    def domain_rules(self) -> list[Rule]:
        """Explicit rules, `@area` rules expanded per area, and each area's own unit as its default route.

        An explicit (category, area) rule beats the `@area` expansion of the same pair, which is how one
        ward can send a category elsewhere (e.g. sidewalk encroachment at the central market).
        """
        areas_with_unit = {area.code: area.unit for area, _ in self.all_areas() if area.unit}
        explicit = {
            (cat, area)
            for spec in self.routing
            if spec.unit != AREA_UNIT
            for cat in spec.category or (None,)
            for area in spec.area or (None,)
        }
        rules: list[Rule] = []
        for spec in self.routing:
            rules.extend(_expand(spec, areas_with_unit, explicit))
        rules.extend(Rule(None, code, unit) for code, unit in areas_with_unit.items())
        return rules

    def domain_policies(self) -> list[DeadlinePolicy]:
        return [
            DeadlinePolicy(
                kind=kind,
                category=spec.category,
                accept=spec.accept.step() if spec.accept else None,
                resolve=spec.resolve.step(),
                legal_basis=spec.legal_basis,
            )
            for spec in self.deadlines
            for kind in spec.kind
        ]


def _expand(
    spec: RuleSpec, areas_with_unit: dict[str, str], explicit: set[tuple[str | None, str | None]]
) -> list[Rule]:
    categories: list[str | None] = list(spec.category) if spec.category else [None]
    if spec.unit != AREA_UNIT:
        areas: list[str | None] = list(spec.area) if spec.area else [None]
        return [Rule(c, a, spec.unit, spec.valid_from, spec.valid_to) for c in categories for a in areas]
    targets = spec.area or list(areas_with_unit)
    return [
        Rule(c, a, areas_with_unit[a], spec.valid_from, spec.valid_to)
        for c in categories
        for a in targets
        if a in areas_with_unit and (c, a) not in explicit
    ]
