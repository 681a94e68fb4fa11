"""Server-rendered bar charts (inline SVG, no script): geometry only, the template draws them.

Bars read right to left like the page: the oldest month is on the right, the newest on the left.
A month whose figure is hidden (fewer than 5) gets no bar, only a short tick marked ``hidden``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from shahrvand.core.templatetags.persian import digits, num

WIDTH: Final = 720
HEIGHT: Final = 240
TOP: Final = 24  # room for the value above the tallest bar
BOTTOM: Final = 28  # room for the month labels
SIDE: Final = 8


@dataclass(frozen=True)
class Bar:
    label: str  # the month, in the reader's digits
    value: str  # the figure, in the reader's digits ("" when hidden)
    hidden: bool
    x: float
    y: float
    width: float
    height: float
    text_x: float  # centre of the bar


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    baseline: float
    label_y: float
    bars: list[Bar]


def bar_chart(points: list[tuple[str, int | None]], *, rtl: bool = True, values: bool = True) -> Chart:
    """``points`` oldest first as ``(label, value or None when hidden)``; ``values=False`` prints no figures
    above the bars (sums of Rials are too long for a bar: the table under the chart has them)."""
    slots = max(len(points), 1)
    slot = (WIDTH - 2 * SIDE) / slots
    gap = slot * 0.2
    top = max((v for _, v in points if v), default=0)
    usable = HEIGHT - TOP - BOTTOM
    baseline = HEIGHT - BOTTOM
    bars = []
    for i, (label, value) in enumerate(points):
        position = slots - 1 - i if rtl else i
        x = SIDE + position * slot + gap / 2
        if value is None:
            height = 2.0  # a tick: the month is not empty, its figure is hidden
        elif top:
            height = round(usable * value / top, 1)
        else:
            height = 0.0
        bars.append(
            Bar(
                label=digits(label),
                value="" if value is None or not values else num(value),
                hidden=value is None,
                x=round(x, 1),
                y=round(baseline - height, 1),
                width=round(slot - gap, 1),
                height=height,
                text_x=round(x + (slot - gap) / 2, 1),
            )
        )
    return Chart(width=WIDTH, height=HEIGHT, baseline=baseline, label_y=HEIGHT - 8, bars=bars)
