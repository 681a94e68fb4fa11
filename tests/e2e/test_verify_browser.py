"""Public verification in a real browser: a number typed in Persian digits says «معتبر»; a revoked
document says when and why; the QR address on a phone-sized screen. No CSP violations.

Screenshots land in docs/screenshots/verify-*.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.cache import cache

from shahrvand.core.models import Role
from shahrvand.core.text import to_persian_digits
from shahrvand.documents.services import document_issue, document_revoke
from tests.e2e.problems import PageProblems
from tests.e2e.staff import sign_in_staff
from tests.factories import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
FIELDS = {
    "renovation_code": "1-25-156-15-0-0-0",
    "address": "بجنورد، خیابان طالقانی، کوچه رجب‌زاده، پلاک ۱۲",
    "land_area": "245.5",
    "land_use": "مسکونی",
    "owners": ["علی رجب‌زاده (۳ دانگ)", "مریم احمدی (۳ دانگ)"],
}


def _screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


@pytest.fixture
def document(district1):
    cache.clear()  # the rate limiter's counters
    return document_issue(
        actor=None,
        doc_type="property_statement",
        district=district1,
        fields=FIELDS,
        signer_role=Role.CLERK,
        subject_ref=FIELDS["renovation_code"],
    )


def test_a_number_typed_in_persian_digits_is_valid(page, document):
    problems = PageProblems(page, status_from=500)
    page.goto("/verify/")

    page.get_by_label("شماره گواهی").fill(to_persian_digits(document.number))
    page.get_by_role("button", name="استعلام", exact=True).click()

    verdict = page.locator(".verdict")
    verdict.wait_for()
    assert "معتبر" in verdict.inner_text()
    assert page.locator('.verdict[data-state="valid"]').count() == 1
    assert page.get_by_role("heading", name="این گواهی معتبر است").is_visible()
    assert to_persian_digits(FIELDS["renovation_code"]) in verdict.inner_text()
    # The identifier reads left to right inside the Persian page.
    number_box = page.locator(".verdict__facts bdi.ltr").first
    assert number_box.evaluate("el => getComputedStyle(el).direction") == "ltr"
    _screenshot(page, "verify-valid.png")
    assert problems.items == []


def test_a_revoked_document_says_when_and_why(page, document, district1):
    manager = make_staff(Role.MANAGER, district1)
    document_revoke(actor=manager, document=document, reason="صدور بر پایه مدارک نادرست")
    problems = PageProblems(page, status_from=500)

    page.goto(f"/verify/{document.number}")

    verdict = page.locator('.verdict[data-state="revoked"]')
    text = verdict.inner_text()
    assert "این گواهی باطل شده است" in text
    assert "صدور بر پایه مدارک نادرست" in text
    assert "معتبر است" not in text
    _screenshot(page, "verify-revoked.png")
    assert problems.items == []


def test_the_qr_address_on_a_phone(browser, live_server, document):
    context = browser.new_context(
        base_url=live_server.url, locale="fa-IR", viewport={"width": 360, "height": 740}, is_mobile=True
    )
    page = context.new_page()
    problems = PageProblems(page, status_from=500)
    try:
        page.goto("/V/" + document.payload.split("/V/", 1)[1])

        text = page.locator('.verdict[data-state="valid"]').inner_text()
        assert "امضای دیجیتال این رمزینه اصیل است" in text
        assert "مریم احمدی" in text
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        _screenshot(page, "verify-qr-phone.png")
        assert problems.items == []
    finally:
        context.close()


def test_a_manager_revokes_from_the_staff_page_and_the_public_page_follows(page, document, district1):
    make_staff(Role.MANAGER, district1, username="manager1", first_name="فاطمه", last_name="حسینی")
    problems = PageProblems(page, status_from=500)
    sign_in_staff(page, "manager1")

    page.goto(f"/staff/documents/{document.number}/")
    page.get_by_role("button", name="ابطال", exact=True).click()  # no reason: refused
    assert page.locator('[data-status="valid"]').count() == 1
    page.fill("textarea[name=revoke-reason]", "اشتباه در مساحت عرصه")
    page.get_by_role("button", name="ابطال", exact=True).click()

    page.locator('[data-status="revoked"]').wait_for()
    assert "اشتباه در مساحت عرصه" in page.locator("main").inner_text()
    _screenshot(page, "staff-document-revoked.png")
    page.goto(f"/verify/{document.number}")
    assert page.locator('.verdict[data-state="revoked"]').count() == 1
    assert problems.items == []
