"""The SVG geometry: time runs in the reading direction (oldest on the right in RTL, newest on the left)."""

from __future__ import annotations

import pytest
from django.utils import translation

from shahrvand.core.charts import bar_chart, grouped_bar_chart


def test_grouped_bars_put_the_oldest_week_on_the_right_in_rtl():
    with translation.override("fa"):
        chart = grouped_bar_chart([("09/06", [4, 2]), ("09/13", [0, 1]), ("09/20", [8, 8])], series=2)
    first, last = chart.groups[0], chart.groups[-1]
    assert first.text_x > last.text_x  # the oldest on the right, the newest on the left
    assert first.label == "۰۹/۰۶" and first.bars[0].value == "۴"
    assert first.bars[0].x > first.bars[1].x  # "received" first in reading order: on the right
    tallest = max(bar.height for group in chart.groups for bar in group.bars)
    assert tallest == chart.baseline - 24  # the largest figure fills the height


def test_ltr_reverses_the_order_and_english_keeps_latin_digits():
    with translation.override("en"):
        chart = grouped_bar_chart([("a", [1, 2]), ("b", [3, 4])], series=2, rtl=False)
        single = bar_chart([("a", 1), ("b", 2)], rtl=False)
    assert chart.groups[0].text_x < chart.groups[1].text_x and chart.groups[0].bars[1].value == "2"
    assert single.bars[0].x < single.bars[1].x


def test_a_period_with_the_wrong_number_of_figures_is_an_error():
    with pytest.raises(ValueError):
        grouped_bar_chart([("a", [1])], series=2)
