"""Answers typed up after a dialogue session, pasted at once: each starts a line with its question's number."""

from __future__ import annotations

import re

NUMBERED = re.compile(r"^\s*#(\d{1,9})\s*[:.)\-–]\s*(.*)$")


def numbered_answers(text: str) -> list[tuple[int, str]]:
    """Several answers pasted at once, each starting a line with its question's number ("#12: ..."); a line
    that starts with no number continues the answer above. Empty unless the text starts with a number."""
    entries: list[tuple[int, str]] = []
    for line in text.splitlines():
        if match := NUMBERED.match(line):
            entries.append((int(match[1]), match[2].strip()))
        elif line.strip():
            if not entries:
                return []
            number, words = entries[-1]
            entries[-1] = (number, f"{words}\n{line.strip()}".strip())
    return entries
