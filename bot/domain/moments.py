"""A date and time typed by an official, the way people write them in Vietnam: day first.

"20/12/2026 08:00", "8h30 20/12/2026", "20-12 8h", "14:00 ngày 20/12". A date without a year is the next
such day (today counts). No text is guessed at: anything else is None, and the official is asked again.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, tzinfo

_DATE = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}))?\b")
_TIME = re.compile(r"\b(\d{1,2})\s*(?::|h|giờ|gio|g)\s*(\d{2})?(?!\d)")


def _day(match: re.Match[str], today: date) -> date | None:
    day, month, year = int(match[1]), int(match[2]), match[3]
    try:
        if year is not None:
            return date(int(year), month, day)
        found = date(today.year, month, day)
        return found if found >= today else date(today.year + 1, month, day)
    except ValueError:
        return None


def parse_moment(text: str, today: date, tz: tzinfo) -> datetime | None:
    """The moment in `text` (a day and a time of day), in `tz`; None unless both are there and valid."""
    folded = text.lower()
    found_date = _DATE.search(folded)
    if found_date is None:
        return None
    rest = folded[:found_date.start()] + " " + folded[found_date.end():]
    found_time = _TIME.search(rest)
    day = _day(found_date, today)
    if found_time is None or day is None:
        return None
    hour, minute = int(found_time[1]), int(found_time[2] or 0)
    if hour > 23 or minute > 59:
        return None
    return datetime.combine(day, time(hour, minute), tzinfo=tz)
