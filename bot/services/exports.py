"""CSV and XLSX exports of cases and of the digest figures, for one viewer's scope and filters.

Headers are Vietnamese (the catalog's words), dates dd/mm/yyyy in the organisation's time zone, durations in
working days. The case columns follow a mapping: the default below, or a YAML file (EXPORT_COLUMNS_FILE) that
picks fields and names them as another system wants them, e.g. the national feedback system's import sheet
(org/exports/national.yaml). Nothing that names a citizen is a field: a mapping cannot ask for it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from babel.numbers import format_decimal, format_percent
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.digest import Figures, Period
from bot.i18n import Translator, translator
from bot.services.digest_sql import DigestQueries
from bot.services.org_view import OrgSnapshot
from bot.services.scope import CaseRow, Viewer

LANGUAGE = "vi"  # exports are for Vietnamese administrations: Vietnamese headers and words
CASE_FIELDS: tuple[str, ...] = (
    "code", "kind", "category", "area", "unit", "status", "received", "due", "answered", "working_days_taken",
    "working_days_late", "on_time", "extended", "transfers", "reopened", "rating", "source", "text",
)
DEFAULT_COLUMNS: tuple[str, ...] = CASE_FIELDS
FIGURE_FIELDS: tuple[str, ...] = (
    "unit", "received", "resolved", "on_time", "on_time_rate", "early", "extended", "overdue", "overdue_1",
    "overdue_2", "overdue_3", "overdue_4", "average_days", "rated", "satisfied", "satisfaction", "reopened",
    "transfers",
)


class MappingError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Table:
    title: str
    columns: list[Column]
    rows: list[list[Any]]


@dataclass(frozen=True, slots=True)
class Column:
    field: str
    header: str


def default_columns(t: Translator | None = None) -> list[Column]:
    t = t or translator(LANGUAGE)
    return [Column(f, t(f"export.case.{f}")) for f in DEFAULT_COLUMNS]


def load_columns(path: Path | None) -> list[Column]:
    """The column mapping from a YAML file (`columns: [{field, header}, ...]`), or the default."""
    if path is None:
        return default_columns()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise MappingError(f"{path}: {exc}") from exc
    columns = []
    for number, entry in enumerate(data.get("columns") or [], start=1):
        if not isinstance(entry, dict) or entry.get("field") not in CASE_FIELDS:
            raise MappingError(f"{path}: column {number}: field must be one of {', '.join(CASE_FIELDS)}")
        header = str(entry.get("header") or translator(LANGUAGE)(f"export.case.{entry['field']}"))
        columns.append(Column(entry["field"], header))
    if not columns:
        raise MappingError(f"{path}: no columns")
    return columns


# --- values as they are shown -----------------------------------------------------------------------------


def day(moment: datetime | None, tz: Any) -> str:
    return "" if moment is None else moment.astimezone(tz).strftime("%d/%m/%Y")


def percent(value: float | None, t: Translator) -> str:
    return "" if value is None else format_percent(value, "#,##0.#%", locale=t.language)


def decimal(value: float | None, t: Translator) -> str:
    return "" if value is None else format_decimal(value, "#,##0.#", locale=t.language)


def case_value(row: CaseRow, name: str, t: Translator, tz: Any) -> Any:
    yes_no: Callable[[bool | None], str] = lambda v: "" if v is None else t("export.yes" if v else "export.no")  # noqa: E731
    values: dict[str, Callable[[], Any]] = {
        "code": lambda: row.code, "kind": lambda: t(f"kind.{row.kind}"), "category": lambda: row.category,
        "area": lambda: row.area, "unit": lambda: row.unit, "status": lambda: t(f"status.{row.status}"),
        "received": lambda: day(row.created_at, tz), "due": lambda: day(row.due_at, tz),
        "answered": lambda: day(row.resolved_at, tz), "working_days_taken": lambda: row.working_days_taken,
        "working_days_late": lambda: row.working_days_late, "on_time": lambda: yes_no(row.on_time),
        "extended": lambda: yes_no(row.extended), "transfers": lambda: row.transfers,
        "reopened": lambda: row.reopened,
        "rating": lambda: t(f"export.rating.{row.rating}") if row.rating else "",
        "source": lambda: t(f"export.source.{row.source}"), "text": lambda: row.text,
    }
    return values[name]()


def figure_values(name: str, figures: Figures, t: Translator) -> list[Any]:
    bands = figures.overdue_bands
    return [name, figures.received, figures.resolved, figures.on_time, percent(figures.on_time_rate, t),
            figures.early, figures.extended, figures.overdue, bands[0], bands[1], bands[2], bands[3],
            decimal(figures.average_days, t), figures.rated, figures.satisfied, percent(figures.satisfaction, t),
            figures.reopened, figures.transfers]


# --- the tables ---------------------------------------------------------------------------------------------


def cases_table(rows: list[CaseRow], columns: list[Column], tz: Any) -> Table:
    t = translator(LANGUAGE)
    return Table(t("export.cases_title"), columns,
                 [[case_value(r, c.field, t, tz) for c in columns] for r in rows])


async def figures_table(session: AsyncSession, org: OrgSnapshot, viewer: Viewer, period: Period,
                        now: datetime) -> Table:
    """One line per unit of the viewer's scope (its own cases), then the whole scope's line, which is the
    digest's (and the dashboard's) figures for the viewer's unit: the same facts, read from the period's events."""
    t = translator(LANGUAGE)
    facts = await DigestQueries(session, org).facts(period, now)
    rows = [figure_values(org.units_by_id[u].name(LANGUAGE), facts.of([u]), t) for u in viewer.units]
    rows.append(figure_values(t("export.total"), facts.of(list(viewer.units)), t))
    return Table(t("export.figures_title", period=period.label),
                 [Column(f, t(f"export.figure.{f}")) for f in FIGURE_FIELDS], rows)


async def scope_figures(session: AsyncSession, org: OrgSnapshot, viewer: Viewer, period: Period,
                        now: datetime) -> Figures:
    """The viewer's units are their subtree: the digest's very units."""
    return (await DigestQueries(session, org).facts(period, now)).of(list(viewer.units))


# --- the two formats ---------------------------------------------------------------------------------------


def to_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the Vietnamese right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in table.columns])
    writer.writerows(table.rows)
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(table: Table) -> bytes:
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)  # a new workbook's one sheet; typed as maybe a chart sheet, or none
    sheet.title = "".join("-" if c in "[]:*?/\\" else c for c in table.title)[:31]
    sheet.append([c.header for c in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
