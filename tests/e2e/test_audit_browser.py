"""The auditor's view in a real browser: find a clerk's look at a citizen by national code (typed in
Persian digits), open the entry, verify the chain, export. Screenshot in docs/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest

from shahrvand.audit.models import AuditEntry
from shahrvand.audit.services import audit_record
from shahrvand.core.text import to_persian_digits
from shahrvand.registry.models import Person
from tests.e2e.problems import PageProblems
from tests.e2e.staff import sign_in_staff
from tests.factories import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
NATIONAL_CODE = "0012345679"


def test_the_auditor_finds_who_looked_at_a_citizen_and_verifies_the_chain(page, city, district1, staff):
    problems = PageProblems(page)
    person = Person.objects.create(
        home_district=district1, national_code=NATIONAL_CODE, first_name="مریم", last_name="احمدی"
    )
    clerk = staff("clerk", username="clerk1", first_name="رضا", last_name="کارمند")
    make_staff("auditor", None, city=city, username="auditor1", first_name="آزاده", last_name="ناظری")
    look = audit_record(actor=clerk, action="registry.person_view", target=person, district=district1, payload={})
    for n in range(3):
        audit_record(actor=clerk, action="test.unrelated", district=district1, payload={"n": n})

    sign_in_staff(page, "auditor1")
    page.goto("/staff/audit/")
    page.fill("#id_citizen", to_persian_digits(NATIONAL_CODE))
    page.get_by_role("button", name="جست‌وجو").click()
    page.wait_for_url("**/staff/audit/?*citizen=*")

    rows = page.locator("main table tbody tr")
    assert rows.count() == 1
    assert "clerk1" in rows.first.inner_text() or "رضا" in rows.first.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "staff-audit.png"), full_page=True)

    # The entry: its payload and hashes.
    rows.first.locator("a").first.click()
    page.wait_for_url(f"**/staff/audit/entries/{look.seq}/")
    heading = page.locator("h1").inner_text()
    assert heading.startswith("ردیف ممیزی") and to_persian_digits(str(look.seq)) in heading
    assert look.hash in page.content()

    # The chain: verified now, up to the newest entry (the auditor's own reads included).
    page.goto("/staff/audit/")
    page.get_by_role("button", name="وارسی کل زنجیره").click()
    status = page.locator(".chain-status--ok")
    status.wait_for()
    newest = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    assert newest is not None
    assert "سالم" in status.inner_text()

    # The export of the search streams a CSV with the clerk's look.
    with page.expect_download() as info:
        page.goto(f"/staff/audit/?citizen={NATIONAL_CODE}")
        page.get_by_role("link", name="خروجی CSV").click()
    body = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert "registry.person_view" in body and "clerk1" in body

    # A download ends its navigation with "aborted" in Chromium: that is the download, not a failure.
    assert [item for item in problems.items if "/staff/audit/export.csv" not in item] == []
