"""The organisation as data: the YAML file (schema, check, load) and readers returning domain objects."""

from __future__ import annotations

from bot.services.org.check import ParsedOrg, check_file, parse_file, parse_text
from bot.services.org.load import (
    LoadSummary,
    OrgFileError,
    build_calendar,
    load_file,
    read_area_chain,
    read_calendar,
    read_office_hours,
    read_policies,
    read_rules,
    read_unit_tree,
)
from bot.services.org.schema import Problem

__all__ = [
    "LoadSummary",
    "OrgFileError",
    "ParsedOrg",
    "Problem",
    "build_calendar",
    "check_file",
    "load_file",
    "parse_file",
    "parse_text",
    "read_area_chain",
    "read_calendar",
    "read_office_hours",
    "read_policies",
    "read_rules",
    "read_unit_tree",
]
