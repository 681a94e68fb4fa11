"""Done-when of the revenue issue, in a real browser: a citizen signs in, opens a bill, sees how it was
computed, pays it through the sandbox bank's card page, comes back to "paid", and downloads a receipt
whose QR verifies. Screenshots land in docs/screenshots/pay-*.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.cache import cache

from shahrvand.core.text import to_persian_digits
from shahrvand.documents.keys import keys_for_check
from shahrvand.documents.verify import verify_pdf
from shahrvand.payments import sandbox
from shahrvand.payments.models import PaymentAttempt, PaymentEvent
from shahrvand.registry.models import Unit
from shahrvand.registry.services import audit_import
from shahrvand.revenue.models import Bill, Payment
from tests.citizens.conftest import TWO_APARTMENTS, activate, enroll
from tests.e2e.test_portal_journey import PageProblems
from tests.factories import make_staff
from tests.identity.helpers import PASSWORD
from tests.registry.conftest import SAMPLE
from tests.revenue.factories import make_bill

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
APARTMENT = "1-1-100-3-1-2-0"


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_a_citizen_pays_a_bill_through_the_sandbox_bank_and_gets_a_receipt_that_verifies(
    browser, live_server, district1, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    assert audit_import(actor=None, district=district1, path=SAMPLE).status == "applied"
    citizen = activate(enroll(make_staff("clerk", district1), district1, TWO_APARTMENTS), password=PASSWORD)
    bill = make_bill(district1, unit=Unit.objects.get(district=district1, code=APARTMENT), gross=18_456_789)
    Bill.objects.filter(pk=bill.pk).update(payer=citizen.person)

    context = browser.new_context(base_url=live_server.url, locale="fa-IR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = PageProblems(page)
    page.goto("/portal/login/")
    page.fill("input[name=identifier]", to_persian_digits(citizen.person.national_code))
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/portal/**")
    if "/portal/login/code/" in page.url:  # the optional SMS step
        from tests.citizens.conftest import last_code_to

        page.fill("input[name=otp_code]", last_code_to(citizen.mobile))
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/portal/login" not in url)

    page.goto("/portal/bills/")
    page.locator(f"a[href='/portal/bills/{bill.bill_id}/']").first.click()
    page.wait_for_url(f"**/portal/bills/{bill.bill_id}/")
    body = page.locator("main").inner_text()
    assert to_persian_digits(bill.bill_id) in body or bill.bill_id in body
    assert "عوارض نوسازی" in body  # the line, with how it was computed
    _shot(page, "pay-1-bill.png")

    page.locator(f"form[action='/pay/{bill.bill_id}/'] button[type=submit]").click()
    page.wait_for_url("**/sandbox-bank/pay/**")
    assert "آزمایشی" in page.locator("body").inner_text()  # the sandbox says it is a test bank
    page.fill("input[name=pan]", sandbox.TEST_CARDS[0])
    page.fill("input[name=expiry_year]", "08")
    page.fill("input[name=expiry_month]", "12")
    page.fill("input[name=cvv2]", "123")
    page.fill("input[name=dynamic_password]", sandbox.TEST_DYNAMIC_PASSWORD)
    _shot(page, "pay-2-bank.png")
    page.locator("button[name=pay]").click()
    page.wait_for_url("**/pay/result/**")
    page.wait_for_function("() => !document.querySelector('meta[http-equiv=refresh]')", timeout=15_000)
    _shot(page, "pay-3-result.png")

    bill.refresh_from_db()
    assert bill.status == Bill.Status.PAID
    payment = Payment.objects.get(bill=bill)
    attempt = PaymentAttempt.objects.get(bill=bill)
    assert payment.amount == attempt.amount and payment.source == "gateway"
    assert PaymentEvent.objects.filter(attempt=attempt).count() >= 4  # token, callback, verify sent, verified

    page.goto(f"/portal/bills/{bill.bill_id}/")
    link = page.locator(f"a[href='/portal/bills/{bill.bill_id}/receipt.pdf']")
    assert link.is_visible()
    response = page.request.get(link.get_attribute("href"))  # the browser's session, the served bytes
    assert response.ok and response.headers["content-type"] == "application/pdf"
    receipt = response.body()
    report = verify_pdf(receipt, keys_for_check())
    assert report.outcome == "valid", report.message
    assert report.fields is not None and report.fields["bill_id"] == bill.bill_id
    assert problems.items == []
    context.close()
