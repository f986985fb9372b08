"""Leaders' own work under "5 rõ", pure parts: reading milestones typed in chat, the 5 rõ check at
registration, codes, and where a task stands (on track, late, done, not done).

5 rõ: rõ người (a leader and the unit that carries it out), rõ việc (a title), rõ tiến độ (dated milestones),
rõ hiệu quả (a measurable expected result: it names a figure), rõ trách nhiệm (the leader who registers it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

MAX_TASKS_PER_YEAR = 5
PROMPT_DAY = 1  # the monthly progress prompt: this day of the month (configurable in the org file)
MILESTONE = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}))?(?:\s*[:,-]\s*|\s+)(.+?)\s*$")
FIGURE = re.compile(r"\d")


class Missing(StrEnum):
    """A "rõ" the registration lacks; each names the step that supplies it."""

    PERSON = "person"  # no unit carries it out
    RESULT = "result"  # the expected result names no figure
    MILESTONES = "milestones"  # no dated milestone


@dataclass(frozen=True, slots=True)
class MilestoneLine:
    due: date
    title: str


def parse_milestone(text: str, year: int) -> MilestoneLine | None:
    """`30/06/2026 Hoàn thành khảo sát` (or `30/06 ...` in the task's year), or None."""
    match = MILESTONE.match(text or "")
    if match is None:
        return None
    day, month, full_year, title = match.groups()
    try:
        due = date(int(full_year or year), int(month), int(day))
    except ValueError:
        return None
    return MilestoneLine(due, title[:255]) if len(title) >= 3 else None


def is_measurable(result: str | None) -> bool:
    """A measurable result names a figure: "100% hộ dân", "giảm 30%", "5 km đường"."""
    return bool(result and FIGURE.search(result))


def missing(unit: str | None, result: str | None, milestones: list[MilestoneLine]) -> list[Missing]:
    found = []
    if not unit:
        found.append(Missing.PERSON)
    if not is_measurable(result):
        found.append(Missing.RESULT)
    if not milestones:
        found.append(Missing.MILESTONES)
    return found


def task_code(year: int, number: int) -> str:
    return f"DP-{year}-{number:04d}"


def item_code(programme: str, number: int) -> str:
    return f"{programme}-{number:02d}"


def programme_code(year: int, number: int) -> str:
    return f"CT-{year}-{number:03d}"


def recommendation_code(year: int, number: int) -> str:
    return f"KN-{year}-{number:04d}"


class Standing(StrEnum):
    """Where a task stands: closed (done, or "not done" as the committee accepted), else late or on track."""

    ON_TRACK = "on_track"
    LATE = "late"
    DONE = "done"
    NOT_DONE = "not_done"


def overdue(due: date, done: bool, today: date) -> bool:
    """A milestone past its date without "done" is overdue."""
    return not done and due < today


def standing(status: str, milestones: list[tuple[date, bool]], today: date) -> Standing:
    if status == "done":
        return Standing.DONE
    if status == "not_done":
        return Standing.NOT_DONE
    return Standing.LATE if any(overdue(due, done, today) for due, done in milestones) else Standing.ON_TRACK


def month_label(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def day_text(day: date) -> str:
    """A date as Vietnamese and English readers both write it: 30/06/2026."""
    return f"{day:%d/%m/%Y}"
