"""The digest's chart: the on-time rate of each unit as a bar, drawn with Pillow into a PNG.

The geometry is fixed so a bar's height in pixels is the rate times `PLOT_HEIGHT` (100% = 200 px) and bars
are filled with one flat colour that no text uses: the tests read the heights back from the image. Only
codes and numbers are drawn (no sentence, so nothing to translate and no glyph a bundled font might lack).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

BAR_COLOUR = (31, 119, 180)
GRID_COLOUR = (200, 200, 200)
TEXT_COLOUR = (0, 0, 0)
PLOT_HEIGHT = 200
BAR_WIDTH = 40
GAP = 30
LEFT = 50
TOP = 40
BOTTOM = 40
MIN_WIDTH = 320


@dataclass(frozen=True, slots=True)
class Bar:
    label: str  # a unit code
    rate: float  # 0..1


def bar_height(rate: float) -> int:
    return round(max(0.0, min(1.0, rate)) * PLOT_HEIGHT)


def on_time_chart(title: str, bars: Sequence[Bar]) -> bytes:
    width = max(MIN_WIDTH, LEFT + len(bars) * (BAR_WIDTH + GAP) + GAP)
    image = Image.new("RGB", (width, TOP + PLOT_HEIGHT + BOTTOM), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    base = TOP + PLOT_HEIGHT  # the first row below the plot
    draw.text((LEFT, 10), title, fill=TEXT_COLOUR, font=font)
    for share in (0.5, 1.0):
        y = base - bar_height(share)
        draw.line([(LEFT, y), (width - GAP // 2, y)], fill=GRID_COLOUR)
        draw.text((4, y - 6), f"{round(share * 100)}%", fill=TEXT_COLOUR, font=font)
    draw.line([(LEFT, base), (width - GAP // 2, base)], fill=TEXT_COLOUR)
    for index, bar in enumerate(bars):
        x = LEFT + GAP + index * (BAR_WIDTH + GAP)
        height = bar_height(bar.rate)
        if height:
            draw.rectangle([x, base - height, x + BAR_WIDTH - 1, base - 1], fill=BAR_COLOUR)
        draw.text((x, base - height - 14), f"{round(bar.rate * 100)}%", fill=TEXT_COLOUR, font=font)
        draw.text((x - GAP // 2 + 2, base + 6), bar.label, fill=TEXT_COLOUR, font=font)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
