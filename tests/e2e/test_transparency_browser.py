"""/transparency/ in a real browser: RTL charts with no script and no CSP violation, the tables under
them, no horizontal scroll on a 360 px phone. The screenshot lands in docs/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.problems import PageProblems
from tests.transparency.conftest import crafted  # noqa: F401  # the crafted city, as a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_transparency_page_reads_right_to_left(page, crafted):  # noqa: F811
    problems = PageProblems(page)

    page.goto("/transparency/")
    page.evaluate("document.fonts.ready")

    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.locator("h1").inner_text() == "شفافیت"
    assert (
        page.evaluate(
            "getComputedStyle(document.querySelector('.tr-chart__bar:not(.tr-chart__bar--hidden) rect')).fill"
        )
        == "rgb(11, 110, 105)"
    )
    charts = page.locator("svg.tr-chart__svg")
    assert charts.count() == 3
    # Twelve months per chart; the oldest on the right, this month on the left.
    labels = charts.first.locator(".tr-chart__label")
    assert labels.count() == 12
    oldest, newest = labels.first.bounding_box(), labels.last.bounding_box()
    assert oldest["x"] > newest["x"]
    # Every chart has its table, with a caption.
    assert page.locator("figure.tr-chart table caption").count() == 3
    assert page.get_by_text("کمتر از ۵").first.is_visible()
    assert page.locator("a[href='/transparency/transparency.csv']").is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / "transparency.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000

    assert problems.items == []


def test_transparency_on_a_360px_phone_has_no_horizontal_scroll(page, crafted):  # noqa: F811
    problems = PageProblems(page)
    page.set_viewport_size({"width": 360, "height": 740})

    page.goto("/transparency/")

    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    box = page.locator("svg.tr-chart__svg").first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert problems.items == []
