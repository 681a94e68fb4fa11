"""Server-rendered bar charts (inline SVG, no script): geometry only, the templates draw them.

Bars read right to left like the page: the oldest period is on the right, the newest on the left
(``rtl=False`` for English pages turns that round). A period whose figure is hidden (``None``, e.g.
fewer than 5 on public pages) gets no bar, only a short tick marked ``hidden``.

:func:`bar_chart` draws one series (the public transparency page); :func:`grouped_bar_chart` draws
several side by side in each period (the manager dashboard's "received and finished" per week).
Labels and figures are given in the reader's digits (Persian on Persian pages).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from shahrvand.core.templatetags.persian import digits, num

WIDTH: Final = 720
HEIGHT: Final = 240
TOP: Final = 24  # room for the value above the tallest bar
BOTTOM: Final = 28  # room for the period labels
SIDE: Final = 8


@dataclass(frozen=True)
class Bar:
    label: str  # the period, in the reader's digits
    value: str  # the figure, in the reader's digits ("" when hidden)
    hidden: bool
    x: float
    y: float
    width: float
    height: float
    text_x: float  # centre of the bar
    series: int = 0  # which series of a grouped chart


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    baseline: float
    label_y: float
    bars: list[Bar]


@dataclass(frozen=True)
class Group:
    label: str  # the period, in the reader's digits
    text_x: float  # centre of the group (where its label goes)
    bars: list[Bar]


@dataclass(frozen=True)
class GroupedChart:
    width: int
    height: int
    baseline: float
    label_y: float
    groups: list[Group]
    series: int


def _height(value: int | None, top: int, usable: float) -> float:
    if value is None:
        return 2.0  # a tick: the period is not empty, its figure is hidden
    if top:
        return round(usable * value / top, 1)
    return 0.0


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
        height = _height(value, top, usable)
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


def grouped_bar_chart(
    points: list[tuple[str, list[int | None]]], *, series: int, rtl: bool = True, values: bool = True
) -> GroupedChart:
    """``points`` oldest first as ``(label, [value of each series])``; the bars of one period stand side by
    side, the first series on the reading side (right in RTL)."""
    slots = max(len(points), 1)
    slot = (WIDTH - 2 * SIDE) / slots
    gap = slot * 0.2
    bar_width = (slot - gap) / max(series, 1)
    top = max((v for _, vs in points for v in vs if v), default=0)
    usable = HEIGHT - TOP - BOTTOM
    baseline = HEIGHT - BOTTOM
    groups = []
    for i, (label, figures) in enumerate(points):
        if len(figures) != series:
            raise ValueError(f"period {label!r} has {len(figures)} figures, not {series}")
        position = slots - 1 - i if rtl else i
        left = SIDE + position * slot + gap / 2
        bars = []
        for s, value in enumerate(figures):
            order = series - 1 - s if rtl else s
            x = left + order * bar_width
            height = _height(value, top, usable)
            bars.append(
                Bar(
                    label=digits(label),
                    value="" if value is None or not values else num(value),
                    hidden=value is None,
                    x=round(x, 1),
                    y=round(baseline - height, 1),
                    width=round(bar_width - 1, 1),
                    height=height,
                    text_x=round(x + bar_width / 2, 1),
                    series=s,
                )
            )
        groups.append(Group(label=digits(label), text_x=round(left + (slot - gap) / 2, 1), bars=bars))
    return GroupedChart(width=WIDTH, height=HEIGHT, baseline=baseline, label_y=HEIGHT - 8, groups=groups, series=series)
