"""The run's results: a table on stdout (each figure beside its target and verdict), JSON and a PNG chart."""

from __future__ import annotations

import json
import math
import os
import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from benchmarks.common import Figure


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "")
    except OSError:
        pass
    memory_kb = 0
    try:
        memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return {"host": platform.node(), "cpus": os.cpu_count(), "cpu": cpu, "memory_gb": round(memory_kb / 2**20, 1),
            "python": platform.python_version(), "load_average": round(os.getloadavg()[0], 2)}


def number(value: float | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and math.isinf(value):
        return "never"
    if isinstance(value, float) and math.isnan(value):
        return "n/a"
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def target(figure: Figure) -> str:
    if figure.target is None:
        return ""
    sign = {"higher": ">=", "lower": "<=", "equal": "="}[figure.better]
    return f"{sign} {number(figure.target)}"


def rows(figures: Sequence[Figure]) -> list[list[str]]:
    return [[f.bench, f.backend, f.name, number(f.value) if number(f.value) == "never" else f"{number(f.value)} {f.unit}".strip(), f"{target(f)} {f.unit}".strip()
             if f.target is not None else "", f.verdict, f.note] for f in figures]


HEADS = ["benchmark", "database", "figure", "measured", "target", "verdict", "note"]


def table(figures: Sequence[Figure]) -> str:
    body = rows(figures)
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(HEADS)]
    widths[-1] = len(HEADS[-1])
    lines = ["  ".join(h.ljust(w) for h, w in zip(HEADS, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in body]
    return "\n".join(lines)


def markdown(figures: Sequence[Figure]) -> str:
    lines = ["| " + " | ".join(HEADS) + " |", "|" + "---|" * len(HEADS)]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in r) + " |" for r in rows(figures)]
    return "\n".join(lines)


def summary(figures: Sequence[Figure]) -> str:
    judged = [f for f in figures if f.verdict]
    met = sum(1 for f in judged if f.verdict == "met")
    return f"{met} of {len(judged)} targets met"


def write_json(figures: Sequence[Figure], out: Path, meta: dict[str, Any]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    data = {**meta, "machine": machine(), "figures": [_finite(f.as_json()) for f in figures]}
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(data, ensure_ascii=False, indent=2)
    (out / f"bench-{stamp}.json").write_text(text)
    latest = out / "latest.json"
    latest.write_text(text)
    box = data["machine"]
    (out / "latest.md").write_text(
        f"Measured {stamp} on {box['host']}: {box['cpus']} CPUs ({box['cpu']}), {box['memory_gb']} GB, "
        f"Python {box['python']}, load average {box['load_average']} at the end; {meta.get('seconds')} s.\n\n"
        + markdown(figures) + "\n")
    return latest


def _finite(row: dict[str, Any]) -> dict[str, Any]:
    value = row["value"]
    if isinstance(value, float) and not math.isfinite(value):
        row["value"] = None
        row["note"] = (row["note"] + "; " if row["note"] else "") + ("never reached" if math.isinf(value) else "n/a")
    return row


# --- the chart ----------------------------------------------------------------------------------------------

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
RANGE = (0.01, 100.0)  # score axis, log scale: 1 is the target


def score(figure: Figure) -> float:
    """How far from the target, 1 = on it, above 1 = better than it (whichever way is better)."""
    value, goal = figure.value, figure.target
    if value is None or goal is None or (isinstance(value, float) and math.isnan(value)):
        return RANGE[0]
    if figure.better == "equal":
        return 1.0 if value == goal else RANGE[0]
    if math.isinf(value):
        return RANGE[0] if figure.better == "lower" else RANGE[1]
    if value <= 0 or goal <= 0:
        return RANGE[1] if (figure.better == "lower") == (value <= goal) else RANGE[0]
    ratio = value / goal if figure.better == "higher" else goal / value
    return min(max(ratio, RANGE[0]), RANGE[1])


def chart(figures: Sequence[Figure], path: Path, title: str) -> Path:
    judged = [f for f in figures if f.target is not None]
    label_w, plot_w, row_h, top = 430, 560, 26, 70
    width, height = label_w + plot_w + 40, top + row_h * len(judged) + 50
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont
    small: ImageFont.FreeTypeFont | ImageFont.ImageFont
    try:
        font, small = ImageFont.truetype(FONT, 14), ImageFont.truetype(FONT, 12)
    except OSError:
        font = small = ImageFont.load_default()
    draw.text((10, 10), title, fill="black", font=font)
    draw.text((10, 32), "each figure over its target (log scale; right of the line = target met)", fill="#555",
              font=small)
    lo, hi = math.log10(RANGE[0]), math.log10(RANGE[1])

    def x_of(s: float) -> float:
        return label_w + (math.log10(s) - lo) / (hi - lo) * plot_w

    for tick in (0.01, 0.1, 1, 10, 100):
        x = x_of(tick)
        draw.line([(x, top - 5), (x, top + row_h * len(judged))], fill="#ddd" if tick != 1 else "black")
        draw.text((x - 12, top + row_h * len(judged) + 5), f"{tick:g}x", fill="#555", font=small)
    for i, f in enumerate(judged):
        y = top + i * row_h
        draw.text((10, y + 5), f"{f.bench} {f.backend}: {f.name}"[:60], fill="black", font=small)
        s = score(f)
        colour = "#2a9d3a" if f.verdict == "met" else "#d62828"
        x0, x1 = sorted((x_of(1.0), x_of(s)))
        draw.rectangle([(x0, y + 5), (max(x1, x0 + 2), y + row_h - 5)], fill=colour)
        draw.text((min(x_of(s) + 4, width - 110), y + 5), f"{number(f.value)} {f.unit}", fill="black", font=small)
    image.save(path)
    return path
