"""The home page in a real browser: Vazirmatn loads, RTL layout, no CSP violations, navigation,
the language switch, no horizontal scroll at 360 px. Screenshots land in docs/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.problems import PageProblems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

FONTS_LOADED = """async () => {
    await document.fonts.ready;
    return Array.from(document.fonts)
        .filter((face) => face.family.replace(/["']/g, "") === "Vazirmatn" && face.status === "loaded")
        .map((face) => face.weight)
        .sort();
}"""


@pytest.fixture
def districts(district1, district2):
    district1.eservices_enabled = True
    district1.save(update_fields=["eservices_enabled"])
    return [district1, district2]


def _screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def test_home_in_persian_loads_vazirmatn_and_reads_right_to_left(page, districts):
    problems = PageProblems(page)

    page.goto("/")

    assert page.evaluate(FONTS_LOADED) == ["400", "500", "700"]
    assert page.evaluate("document.fonts.check('16px Vazirmatn')") is True
    body_font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert body_font.split(",")[0].strip().strip('"') == "Vazirmatn"
    assert page.evaluate("document.documentElement.lang") == "fa"
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    # Right-to-left layout: the brand sits at the right edge, the headline is right-aligned.
    brand = page.locator(".brand").bounding_box()
    assert brand["x"] + brand["width"] > 1280 - 200
    assert brand["x"] > 640
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).textAlign") in {"start", "right"}
    assert page.locator("h1").inner_text().replace("\n", " ") == "یک بار مراجعه به شهرداری؛ باقی کارها آنلاین."
    assert page.locator(".step__number").all_inner_texts() == ["۱", "۲", "۳"]
    _screenshot(page, "home-fa.png")

    assert problems.items == []


def test_navigation_and_language_switch(page, districts):
    problems = PageProblems(page)
    page.goto("/")
    nav = page.get_by_role("navigation", name="ناوبری اصلی")

    nav.get_by_role("link", name="استعلام اصالت گواهی").click()
    page.wait_for_url("**/verify/")
    assert page.locator("h1").inner_text() == "استعلام اصالت گواهی"
    page.get_by_label("شماره گواهی").fill("BJ-1405-000123")
    page.get_by_role("button", name="استعلام", exact=True).click()
    page.wait_for_url("**/verify/?number=BJ-1405-000123")
    assert page.locator(".verdict__title").inner_text() == "این شماره گواهی درست نیست"

    page.get_by_role("navigation", name="ناوبری اصلی").get_by_role("link", name="شفافیت").click()
    page.wait_for_url("**/transparency/")
    assert page.locator("h1").inner_text() == "شفافیت"
    assert page.locator("svg.tr-chart__svg").count() == 3

    page.get_by_role("button", name="English").click()
    page.wait_for_url("**/transparency/")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.evaluate("document.documentElement.dir") == "ltr"
    assert page.locator("h1").inner_text() == "Transparency"

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
    page.wait_for_url(lambda url: url.endswith("/"))
    assert (
        page.locator("h1").inner_text().replace("\n", " ") == "One visit to the municipality. Everything else online."
    )
    assert page.evaluate("getComputedStyle(document.body).direction") == "ltr"
    brand = page.locator(".brand").bounding_box()
    assert brand["x"] < 200
    assert page.evaluate(FONTS_LOADED) == ["400", "500", "700"]
    _screenshot(page, "home-en.png")

    page.get_by_role("button", name="فارسی").click()
    page.wait_for_url(lambda url: url.endswith("/"))
    assert page.evaluate("document.documentElement.dir") == "rtl"

    assert problems.items == []


def test_home_on_a_360px_phone_has_no_horizontal_scroll(page, districts):
    problems = PageProblems(page)
    page.set_viewport_size({"width": 360, "height": 740})

    page.goto("/")

    assert page.evaluate(FONTS_LOADED) == ["400", "500", "700"]

    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.evaluate("document.body.scrollWidth") <= 360
    # Every link and button of the navigation and the language switch is on screen.
    for box in [el.bounding_box() for el in page.locator(".site-nav a, .lang-switch button").all()]:
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 360
        assert box["height"] >= 24
    assert page.locator(".hero__art").is_hidden()
    _screenshot(page, "home-mobile.png")

    assert problems.items == []


def test_skip_link_is_first_and_moves_focus_to_main(page, districts):
    page.goto("/")

    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "پرش به محتوای اصلی"
    assert page.locator(".skip-link").bounding_box()["y"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
