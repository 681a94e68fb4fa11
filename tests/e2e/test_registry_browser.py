"""The staff registry in a real browser: a district manager uploads a delivery (with the progress bar),
reads the report, applies it, finds a property and opens it; then the data-quality report.

Screenshots land in docs/screenshots/registry-*.png.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pytest

from shahrvand.core.text import to_persian_digits
from tests.e2e.problems import PageProblems
from tests.e2e.staff import sign_in_staff
from tests.factories import make_staff
from tests.registry.conftest import SAMPLE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "correct-horse-battery-1405"  # tests.factories.UserFactory


def _screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def _read(name: str) -> list[dict[str, str]]:
    with (SAMPLE / f"{name}.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _delivery_with_gaps() -> tuple[bytes, dict[str, object]]:
    """The sample delivery with the small gaps a real audit has, so the quality report has something to show."""
    people = _read("people")
    for person in people[4:7]:
        person["mobile"] = ""
    ownerships = _read("ownerships")
    halves = [o for o in ownerships if o["share_dang"] == "3"]
    ownerships.remove(halves[-1])
    businesses = _read("businesses")
    businesses[1]["license_expiry"] = "1403/02/15"
    changed = {"people": people, "ownerships": ownerships, "businesses": businesses}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(SAMPLE.glob("*.csv")):
            data = _csv(changed[path.stem]) if path.stem in changed else path.read_bytes()
            archive.writestr(f"sample-audit/{path.name}", data)
    facts = {"without_mobile": len(people[4:7]), "incomplete_share": halves[-1]["renovation_code"]}
    return buffer.getvalue(), facts


def _sign_in(page, username: str) -> None:
    sign_in_staff(page, username, PASSWORD)
    assert page.locator(".site-nav__user").count() == 1


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_manager_uploads_applies_and_browses_the_registry(page, live_server, district1, media):
    problems = PageProblems(page, status_from=500, failed_requests=False)
    make_staff("manager", district1, username="manager1", first_name="فاطمه", last_name="حسینی")
    data, facts = _delivery_with_gaps()
    _sign_in(page, "manager1")

    # Step one: upload, with the progress bar, then the report.
    page.goto("/staff/registry/deliveries/upload/")
    assert page.locator("[data-upload-progress]").is_hidden()
    page.set_input_files(
        "input[type=file]", files=[{"name": "sample-audit.zip", "mimeType": "application/zip", "buffer": data}]
    )
    # A slow line (as from a district office), so the page's states can be seen before the answer comes.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": max(len(data) // 4, 1024)},
    )
    page.locator("[data-upload-submit]").click()
    page.locator("[data-upload-progress]").wait_for(state="visible")
    assert page.locator("[data-upload-submit]").is_disabled()
    # Sent (a small file goes in one piece): the bar turns indeterminate while the server checks the delivery.
    page.wait_for_function("() => !document.querySelector('[data-upload-bar]').hasAttribute('value')")
    assert page.locator("[data-upload-status]").inner_text().startswith("در حال بررسی تحویلی")
    _screenshot(page, "registry-upload.png")
    page.wait_for_url(re.compile(r".*/staff/registry/deliveries/\d+/$"), timeout=30_000)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )

    assert page.locator(".status--validated").count() == 1
    counts = page.locator("table.counts tbody tr")
    assert counts.count() == 7
    parcels_row = counts.nth(0).locator("td").all_inner_texts()
    assert parcels_row[0] == to_persian_digits(str(len(_read("parcels"))))
    _screenshot(page, "registry-report.png")

    # Step two: apply.
    page.get_by_role("button", name="اعمال در بانک املاک").click()
    page.wait_for_selector(".message--success")
    assert page.locator(".status--applied").count() == 1
    assert page.locator("text=فاطمه حسینی").count() >= 1

    # The list of deliveries says who applied it.
    page.goto("/staff/registry/deliveries/")
    assert page.locator("table tbody tr").count() == 1
    assert "فاطمه حسینی" in page.locator("table tbody tr").inner_text()

    # Search a renovation code typed with Persian digits, open the property.
    shop = _read("businesses")[0]["renovation_code"]
    parcel_code = "-".join([*shop.split("-")[:4], "0", "0", "0"])
    page.goto("/staff/registry/")
    page.fill("input[name=q]", to_persian_digits(parcel_code))
    page.get_by_role("button", name="جست‌وجو", exact=True).click()
    page.wait_for_selector(".results")
    page.locator(".results table a").first.click()
    page.wait_for_url(re.compile(rf".*/property/{parcel_code}/$"))

    owner_codes = {o["national_code"] for o in _read("ownerships") if o["renovation_code"].startswith(parcel_code[:-6])}
    names = {f"{p['first_name']} {p['last_name']}" for p in _read("people") if p["national_code"] in owner_codes}
    shown = set(page.locator(".owner-lines a").all_inner_texts())
    assert names <= shown
    assert page.locator(".units__table tbody tr").count() == sum(
        1 for u in _read("units") if u["renovation_code"].startswith(parcel_code[:-6])
    )
    _screenshot(page, "registry-property.png")

    # The data-quality report finds the gaps the delivery was given.
    page.goto(f"/staff/registry/{district1.slug}/quality/")
    mobile_check = page.locator(".check").nth(2)
    assert mobile_check.locator(".check__count").inner_text() == to_persian_digits(str(facts["without_mobile"]))
    assert page.locator(".check--attention").count() == 3
    assert to_persian_digits(str(facts["incomplete_share"])) in page.locator(".check").nth(1).inner_text()
    _screenshot(page, "registry-quality.png")

    assert problems.items == []


def test_upload_errors_show_without_leaving_the_page(page, live_server, district1, media, tmp_path):
    problems = PageProblems(page, status_from=500, failed_requests=False)
    make_staff("manager", district1, username="manager2")
    _sign_in(page, "manager2")
    page.goto("/staff/registry/deliveries/upload/")

    page.set_input_files(
        "input[type=file]", files=[{"name": "parcels.csv", "mimeType": "text/csv", "buffer": b"renovation_code\n"}]
    )
    page.locator("[data-upload-submit]").click()

    errors = page.locator("[data-upload-errors]")
    errors.wait_for(state="visible")
    assert "تحویلی ممیزی نیست" in errors.inner_text()
    assert page.url.endswith("/staff/registry/deliveries/upload/")
    assert page.locator("[data-upload-submit]").is_enabled()

    # Too large: refused in the page, before anything is sent.
    huge = tmp_path / "huge.zip"
    with huge.open("wb") as handle:
        handle.write(b"PK\x03\x04")
        handle.truncate(51 * 1024 * 1024)
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    page.set_input_files("input[type=file]", str(huge))
    page.locator("[data-upload-submit]").click()
    page.wait_for_function("() => document.querySelector('[data-upload-error-list]').innerText.includes('۵۰')")
    assert "بیش از ۵۰ مگابایت" in errors.inner_text()
    assert posts == []
    assert [p for p in problems.items if "400" not in p] == []
