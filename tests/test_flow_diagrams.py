"""Each flow is drawn beside its module (`handlers/<module>.mmd`), with exactly the states it declares."""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from handlers import build_router
from handlers.officials.case_action import CaseActionFlow

START = "[*]"
TRANSITION = re.compile(r"^(\S+)\s*-->\s*([^\s:]+)")
STATE_ALIAS = re.compile(r'^state\s+"[^"]*"\s+as\s+([\w.-]+)')
STATE = re.compile(r"^state\s+([\w.-]+)")
DESCRIPTION = re.compile(r"^([\w.-]+)\s*:")
IGNORED = ("%%", "direction ", "classDef ", "class ", "}")


@dataclass
class Diagram:
    header: str = ""
    states: set[str] = field(default_factory=set)
    transitions: list[tuple[str, str]] = field(default_factory=list)


def parse_state_diagram(text: str) -> Diagram:
    """The states and transitions of a Mermaid `stateDiagram-v2` (notes and comments skipped)."""
    diagram = Diagram()
    in_note = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(IGNORED):
            continue
        if not diagram.header:
            diagram.header = line
            continue
        if in_note:
            in_note = line != "end note"
            continue
        if line.startswith("note "):
            in_note = ":" not in line  # a one-line note has its text after a colon
            continue
        if match := TRANSITION.match(line):
            source, target = match.groups()
            diagram.transitions.append((source, target))
            diagram.states |= {source, target} - {START}
        elif match := STATE_ALIAS.match(line) or STATE.match(line) or DESCRIPTION.match(line):
            diagram.states.add(match.group(1))
    return diagram


FLOWS = sorted(build_router().flows.values(), key=lambda flow: flow.name)


def diagram_path(flow: object) -> Path:
    return Path(inspect.getfile(type(flow))).with_suffix(".mmd")


@pytest.mark.parametrize("flow", FLOWS, ids=[flow.name for flow in FLOWS])
def test_flow_is_drawn_with_its_declared_states(flow) -> None:
    path = diagram_path(flow)
    assert path.exists(), f"{flow.name}: draw the flow in {path.name} beside its module"
    diagram = parse_state_diagram(path.read_text(encoding="utf-8"))
    assert diagram.header == "stateDiagram-v2", path.name
    assert len(set(flow.states)) == len(flow.states), f"{flow.name} declares a state twice"
    assert diagram.states == set(flow.states), f"{path.name} draws {sorted(diagram.states)}"


@pytest.mark.parametrize("flow", FLOWS, ids=[flow.name for flow in FLOWS])
def test_every_drawn_state_can_be_reached(flow) -> None:
    diagram = parse_state_diagram(diagram_path(flow).read_text(encoding="utf-8"))
    assert any(source == START for source, _ in diagram.transitions), "no way into the flow"
    entered = {target for _, target in diagram.transitions}
    assert sorted(diagram.states - entered) == [], "states with no transition into them"


CASE_ACTIONS = [flow for flow in FLOWS if isinstance(flow, CaseActionFlow)]


def test_the_officials_case_actions_share_one_frame() -> None:
    assert {flow.name for flow in CASE_ACTIONS} >= {"official_ask", "official_answer", "official_extend",
                                                  "official_reject", "official_transfer", "official_category",
                                                  "official_assign"}


@pytest.mark.parametrize("flow", CASE_ACTIONS, ids=[flow.name for flow in CASE_ACTIONS])
def test_a_case_action_handles_exactly_its_declared_steps(flow: CaseActionFlow) -> None:
    assert tuple(flow.steps()) == flow.states  # the step table, in the declared order (the first opens)


def test_the_core_flows_are_registered() -> None:
    assert {"onboarding", "menu", "report", "my_cases", "language"} <= {flow.name for flow in FLOWS}


def test_parser_reads_transitions_states_and_skips_notes() -> None:
    diagram = parse_state_diagram(
        "%% a comment\n"
        "stateDiagram-v2\n"
        "    direction LR\n"
        "    [*] --> ask : /start\n"
        "    ask --> confirm: an answer\n"
        '    state "Waiting for the official" as waiting\n'
        "    state review {\n"
        "        inner : a described state\n"
        "    }\n"
        "    note right of ask\n"
        "        not_a_state --> nor_this\n"
        "    end note\n"
        "    note left of confirm : one line\n"
        "    confirm --> [*]\n"
    )
    assert diagram.header == "stateDiagram-v2"
    assert diagram.states == {"ask", "confirm", "waiting", "review", "inner"}
    assert diagram.transitions == [("[*]", "ask"), ("ask", "confirm"), ("confirm", "[*]")]
