"""The short keys that choices about a case carry: `acc:123` = accept case 123.

They travel as button data (64 bytes on Telegram), so they are short and ASCII. They come back as untrusted
input: `parse` accepts only the exact grammar, and whoever acts on one re-checks the case (bot.domain.authz).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Verb(StrEnum):
    # an official's actions on a case
    ACCEPT = "acc"
    ASK = "ask"
    TRANSFER = "trf"
    EXTEND = "ext"
    ANSWER = "ans"
    REJECT = "rej"
    VIEW = "cv"
    APPROVE_EXTENSION = "exa"
    DECLINE_EXTENSION = "exd"
    ASSIGN = "asg"
    # a citizen's answers about their case
    SATISFIED = "rs"
    UNSATISFIED = "ru"
    REPLY = "rpl"
    SECOND_LEVEL = "sl"


OFFICIAL_VERBS = frozenset({
    Verb.ACCEPT, Verb.ASK, Verb.TRANSFER, Verb.EXTEND, Verb.ANSWER, Verb.REJECT, Verb.VIEW,
    Verb.APPROVE_EXTENSION, Verb.DECLINE_EXTENSION, Verb.ASSIGN,
})
CITIZEN_VERBS = frozenset({Verb.SATISFIED, Verb.UNSATISFIED, Verb.REPLY, Verb.SECOND_LEVEL})
MAX_LENGTH = 24
GRAMMAR = re.compile(r"([a-z]{2,3}):([1-9][0-9]{0,11})")


@dataclass(frozen=True, slots=True)
class ActionKey:
    verb: Verb
    case_id: int

    def __str__(self) -> str:
        return f"{self.verb.value}:{self.case_id}"


def key(verb: Verb, case_id: int) -> str:
    return str(ActionKey(verb, case_id))


def parse(raw: str | None, allowed: frozenset[Verb] = OFFICIAL_VERBS | CITIZEN_VERBS) -> ActionKey | None:
    """The key in `raw`, or None when it is not exactly one of ours (malformed, oversized, unknown verb)."""
    if not raw or len(raw) > MAX_LENGTH:
        return None
    match = GRAMMAR.fullmatch(raw)
    if match is None:
        return None
    try:
        verb = Verb(match.group(1))
    except ValueError:
        return None
    return ActionKey(verb, int(match.group(2))) if verb in allowed else None


def is_case_key(raw: str) -> bool:
    return parse(raw) is not None
