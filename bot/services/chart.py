"""The digest's chart: each unit's on-time answers as a bar, drawn with Pillow into a PNG that stands alone.

A title with the period; the reader's unit as a whole first (when it has units below), then each unit with
answers in the period, best rate first; under each bar the unit's name, above it "on time/answered" and the
rate; a note instead of bars when nobody answered. At least 720 px wide, for a phone's full width.

The geometry is computed once by `layout` and both the drawing and the tests read it: a bar's height in
pixels is the rate times `PLOT_HEIGHT` (100% = 200 px), bars are one flat colour no text uses, so a test reads
the heights back from the pixels and the labels from the layout, no OCR.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BAR_COLOUR = (31, 119, 180)
TOTAL_COLOUR = (23, 89, 135)  # the unit as a whole, set apart from the units below
GRID_COLOUR = (200, 200, 200)
TEXT_COLOUR = (0, 0, 0)
PLOT_HEIGHT = 200
BAR_WIDTH = 56
SLOT = 132  # the width each bar and its name take
LEFT = 56
MARGIN = 16
MIN_WIDTH = 720
TEXT_SIZE = 14
TITLE_SIZE = 18
LINE = 18
LABEL_LINES = 3
# Fonts with Vietnamese glyphs, looked for where distributions put them; Pillow's own font is the fallback.
FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
)


@dataclass(frozen=True, slots=True)
class Bar:
    label: str  # the unit's name
    answered: int
    on_time: int
    total: bool = False  # the reader's unit as a whole

    @property
    def rate(self) -> float:
        return self.on_time / self.answered if self.answered else 0.0


@dataclass(frozen=True, slots=True)
class Placed:
    """Where one bar and its words go."""

    bar: Bar
    box: tuple[int, int, int, int]  # the bar: left, top, right, bottom (inclusive); top > bottom when empty
    count: str  # "7/8 · 88%" above the bar
    count_at: tuple[int, int]
    label_lines: tuple[str, ...]  # the unit's name, wrapped, under the bar
    label_at: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Layout:
    width: int
    height: int
    title_lines: tuple[str, ...]
    base: int  # the first pixel row below the plot
    bars: tuple[Placed, ...]
    note: str | None  # drawn instead of bars when there are none
    note_at: tuple[int, int]


@lru_cache(maxsize=4)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in FONT_FILES:
        if Path(name).is_file():
            return ImageFont.truetype(name, size)
    return ImageFont.load_default(size)


def bar_height(rate: float) -> int:
    return round(max(0.0, min(1.0, rate)) * PLOT_HEIGHT)


def _wrap(text: str, width: int, face: ImageFont.FreeTypeFont | ImageFont.ImageFont, limit: int) -> tuple[str, ...]:
    lines: list[str] = []
    for word in text.split():
        if lines and face.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    if len(lines) > limit:
        lines = lines[:limit]
        lines[-1] = lines[-1].rstrip(".,") + "…"
    return tuple(lines) or ("",)


def layout(title: str, bars: Sequence[Bar], empty_note: str) -> Layout:
    width = max(MIN_WIDTH, LEFT + len(bars) * SLOT + MARGIN)
    title_lines = _wrap(title, width - 2 * MARGIN, font(TITLE_SIZE), 3)
    top = MARGIN + len(title_lines) * (TITLE_SIZE + 6) + 2 * LINE  # room for the counts above a full bar
    base = top + PLOT_HEIGHT
    height = base + 8 + LABEL_LINES * LINE + MARGIN
    placed = []
    for index, bar in enumerate(bars):
        slot_left = LEFT + index * SLOT
        x = slot_left + (SLOT - BAR_WIDTH) // 2
        bar_top = base - bar_height(bar.rate)
        count = f"{bar.on_time}/{bar.answered} · {round(bar.rate * 100)}%"
        count_width = int(font(TEXT_SIZE).getlength(count))
        placed.append(Placed(
            bar=bar, box=(x, bar_top, x + BAR_WIDTH - 1, base - 1), count=count,
            count_at=(slot_left + (SLOT - count_width) // 2, bar_top - LINE - 2),
            label_lines=_wrap(bar.label, SLOT - 8, font(TEXT_SIZE), LABEL_LINES), label_at=(slot_left + 4, base + 8),
        ))
    note = None if bars else empty_note
    note_width = int(font(TEXT_SIZE).getlength(note)) if note else 0
    return Layout(width, height, title_lines, base, tuple(placed), note,
                  ((width - note_width) // 2, base - PLOT_HEIGHT // 2))


def on_time_chart(title: str, bars: Sequence[Bar], empty_note: str) -> bytes:
    plan = layout(title, bars, empty_note)
    image = Image.new("RGB", (plan.width, plan.height), "white")
    draw = ImageDraw.Draw(image)
    text_font, title_font = font(TEXT_SIZE), font(TITLE_SIZE)
    for index, line in enumerate(plan.title_lines):
        draw.text((MARGIN, MARGIN + index * (TITLE_SIZE + 6)), line, fill=TEXT_COLOUR, font=title_font)
    right = plan.width - MARGIN
    for share in (0.5, 1.0):
        y = plan.base - bar_height(share)
        draw.line([(LEFT, y), (right, y)], fill=GRID_COLOUR)
        draw.text((6, y - 8), f"{round(share * 100)}%", fill=TEXT_COLOUR, font=text_font)
    draw.line([(LEFT, plan.base), (right, plan.base)], fill=TEXT_COLOUR)
    for place in plan.bars:
        left, top, right_edge, bottom = place.box
        if top <= bottom:
            draw.rectangle(place.box, fill=TOTAL_COLOUR if place.bar.total else BAR_COLOUR)
        draw.text(place.count_at, place.count, fill=TEXT_COLOUR, font=text_font)
        for index, line in enumerate(place.label_lines):
            draw.text((place.label_at[0], place.label_at[1] + index * LINE), line, fill=TEXT_COLOUR, font=text_font)
    if plan.note:
        draw.text(plan.note_at, plan.note, fill=TEXT_COLOUR, font=text_font)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
