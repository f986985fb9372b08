"""Gettext catalogs, keyed by message ids like `report.ask_ward`.

Each feature keeps its own catalog, `locales/<lang>/LC_MESSAGES/<feature>.po` (`messages.po` is the core);
a language's catalogs are chained, so a key lives in exactly one of them. `make` compiles the .mo files; a
missing or stale .mo is compiled in memory from its .po, so a fresh checkout still speaks both languages.
"""

from __future__ import annotations

import gettext
import io
from datetime import date, datetime, tzinfo
from functools import cache
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
DOMAIN = "messages"
# How dates read in both languages (a Vietnamese city's own way: day first); babel.dates writes them.
DATE_PATTERN, TIME_PATTERN = "dd/MM/yyyy", "HH:mm"


def N_(key: str) -> str:
    return key


def catalog_files(language: str) -> list[Path]:
    """The language's .po files, the core catalog first."""
    folder = LOCALES / language / "LC_MESSAGES"
    return sorted(folder.glob("*.po"), key=lambda p: (p.stem != DOMAIN, p.stem))


def _compiled(po: Path, language: str) -> gettext.GNUTranslations:
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as fh:
            return gettext.GNUTranslations(fh)
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@cache
def _catalog(language: str) -> gettext.NullTranslations:
    chain: gettext.NullTranslations = gettext.NullTranslations()
    for po in reversed(catalog_files(language)):
        catalog = _compiled(po, language)
        catalog.add_fallback(chain)
        chain = catalog
    return chain


class Translator:
    """`t("key", name=...)` in one language; unknown keys come back as the key, which tests catch."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self._catalog = _catalog(self.language)

    def __call__(self, key: str, **params: object) -> str:
        text = self._catalog.gettext(key)
        return text.format(**params) if params else text

    def weekday(self, moment: datetime) -> str:
        return self(f"weekday.{moment.weekday()}")

    def due(self, moment: datetime, tz: tzinfo) -> str:
        """A deadline in words: "trước 17:00 thứ Tư, 25/02/2026"."""
        local = moment.astimezone(tz)
        return self("date.due", time=format_datetime(local, TIME_PATTERN, locale=self.language),
                    weekday=self.weekday(local), date=self.date(local))

    def moment(self, moment: datetime, tz: tzinfo) -> str:
        """A moment: "09:30 25/02/2026"."""
        return format_datetime(moment.astimezone(tz), f"{TIME_PATTERN} {DATE_PATTERN}", locale=self.language)

    def date(self, day: date | datetime, tz: tzinfo | None = None) -> str:
        """A day: "25/02/2026" (a moment is read in `tz` first)."""
        if isinstance(day, datetime) and tz is not None:
            day = day.astimezone(tz)
        return format_date(day, DATE_PATTERN, locale=self.language)


@cache
def translator(language: str) -> Translator:
    return Translator(language)
