"""The promise in one browser journey: a clerk enrolls a person from the audit and prints the slip; the
citizen activates their account with the SMS code (read from the outbox), sees their properties, files a
correction; the clerk accepts it; the citizen sees the corrected record and the request's timeline.

Screenshots land in docs/screenshots/portal-*.png (the slip is the PDF's page, rendered).
The citizens package is wired into the project settings.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pypdfium2
import pytest
from django.core.cache import cache

from shahrvand.citizens.codes import format_citizen_code
from shahrvand.citizens.models import Citizen
from shahrvand.core.text import to_persian_digits
from shahrvand.documents.models import Document
from shahrvand.registry.models import Unit
from shahrvand.registry.services import audit_import
from shahrvand.sms.models import OutboxMessage
from tests.e2e.problems import PageProblems
from tests.factories import make_staff
from tests.identity.helpers import PASSWORD as STAFF_PASSWORD
from tests.identity.helpers import confirmed_device, token_for
from tests.registry.conftest import SAMPLE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
NATIONAL_CODE = "7412154729"  # اکبر بجنوردی in the sample audit: two apartments
APARTMENT = "1-1-100-3-1-2-0"
MOBILE = "09151234567"
CITIZEN_PASSWORD = "my-own-long-passphrase-1405"
SIX_DIGITS = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def _screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def _sms_code(mobile: str) -> str:
    message = OutboxMessage.objects.filter(to=mobile).order_by("-created_at", "-pk").first()
    assert message is not None, "no SMS in the outbox"
    found = SIX_DIGITS.search(message.text)
    assert found, message.text
    return found.group(1)


def test_enroll_activate_correct_accept(browser, live_server, district1):
    cache.clear()
    assert audit_import(actor=None, district=district1, path=SAMPLE).status == "applied"
    clerk = make_staff("clerk", district1, first_name="فاطمه", last_name="حسینی")
    device = confirmed_device(clerk)

    staff_context = browser.new_context(
        base_url=live_server.url, locale="fa-IR", viewport={"width": 1280, "height": 900}
    )
    citizen_context = browser.new_context(
        base_url=live_server.url, locale="fa-IR", viewport={"width": 1280, "height": 900}
    )
    clerk_page = staff_context.new_page()
    clerk_page.set_default_timeout(15_000)
    clerk_problems = PageProblems(clerk_page, status_from=500)

    # 1. The clerk signs in (password, then the authenticator app) and finds the person.
    clerk_page.goto("/staff/enroll/")
    clerk_page.fill("input[name=username]", clerk.username)
    clerk_page.fill("input[name=password]", STAFF_PASSWORD)
    clerk_page.click("main button[type=submit]")
    clerk_page.fill("input[name=token]", token_for(device))
    clerk_page.click("main button[type=submit]")
    clerk_page.wait_for_url("**/staff/enroll/")
    clerk_page.fill("input[name=national_code]", to_persian_digits(NATIONAL_CODE))
    clerk_page.click("form.counter-find button[type=submit]")
    clerk_page.wait_for_url(f"**/staff/enroll/{district1.slug}/{NATIONAL_CODE}/")
    assert clerk_page.locator("h1").inner_text().strip() == "اکبر بجنوردی"

    # 2. Identity document, mobile, both apartments confirmed with the citizen; enroll.
    clerk_page.select_option("select[name=id_document_type]", "national_card")
    clerk_page.fill("input[name=id_document_number]", "۰۰۱۲۳۴۵۶۷۸")
    clerk_page.fill("input[name=mobile]", to_persian_digits(MOBILE))
    assert clerk_page.locator(".counter-link").count() == 2
    _screenshot(clerk_page, "portal-1-counter.png")
    clerk_page.click("form.counter-form .panel--action button[type=submit]")
    clerk_page.wait_for_url("**/staff/enroll/done/*/")
    citizen = Citizen.objects.select_related("person").get(person__national_code=NATIONAL_CODE)
    shown = clerk_page.locator(".counter-code").inner_text().strip()
    assert shown == to_persian_digits(format_citizen_code(citizen.citizen_code))
    _screenshot(clerk_page, "portal-2-enrolled.png")

    # 3. The slip: one A4 page with the code and the activation address (rendered for the record).
    slip = Document.objects.get(subject_ref=f"citizen:{citizen.citizen_code}")
    pdf = pypdfium2.PdfDocument(bytes(slip.pdf))
    assert len(pdf) == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pdf[0].render(scale=1.5).to_pil().save(SCREENSHOTS / "portal-3-slip.png")
    activation_path = urlsplit(slip.fields["activation_url"]).path

    # 4. The citizen opens the activation address, types the citizen code, gets the SMS code.
    page = citizen_context.new_page()
    page.set_default_timeout(15_000)
    problems = PageProblems(page, status_from=500)
    page.goto(activation_path)
    page.wait_for_url("**/activate/")
    page.fill("input[name=citizen_code]", to_persian_digits(slip.fields["citizen_code"]))
    _screenshot(page, "portal-4-activate.png")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/activate/finish/")
    page.fill("input[name=otp_code]", _sms_code(citizen.mobile))
    page.fill("input[name=password1]", CITIZEN_PASSWORD)
    page.fill("input[name=password2]", CITIZEN_PASSWORD)
    _screenshot(page, "portal-5-password.png")
    page.click("main form button[value=activate]")
    page.wait_for_url("**/portal/")

    # 5. The dashboard lists both apartments; the first one opens with its outline on the map.
    assert page.locator(".portal-item").filter(has_text=to_persian_digits(APARTMENT)).count() == 1
    _screenshot(page, "portal-6-dashboard.png")
    page.click(f"a[href='/portal/properties/{APARTMENT}/']")
    page.wait_for_url(f"**/portal/properties/{APARTMENT}/")
    page.wait_for_selector(".portal-map--ready path.leaflet-interactive")
    area_before = Unit.objects.get(code=APARTMENT).area_m2
    _screenshot(page, "portal-7-property.png")

    # 6. The citizen reports the apartment's area as wrong.
    page.click(f"a[href='/portal/properties/{APARTMENT}/correct/']")
    page.select_option("select[name=field]", "units.area_m2")
    page.fill("input[name=value]", "۱۴۲٫۵")
    page.fill("textarea[name=description]", "مساحت در سند تک‌برگ ۱۴۲٫۵ متر مربع است.")
    _screenshot(page, "portal-8-correction.png")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/portal/requests/*/")
    tracking = page.url.rstrip("/").rsplit("/", 1)[1]
    assert (
        page.locator(".portal-status").first.inner_text().strip() == "ثبت‌شده"
        or page.locator(".portal-timeline__item").count() >= 1
    )

    # 7. The clerk opens the request and accepts it: the registry is corrected.
    clerk_page.goto(f"/staff/cases/{tracking}/")
    _screenshot(clerk_page, "portal-9-clerk-request.png")
    clerk_page.click("form:has(input[name=action][value=accept]) button[type=submit]")
    clerk_page.wait_for_load_state()
    assert str(Unit.objects.get(code=APARTMENT).area_m2) == "142.50"

    # 8. The citizen sees the accepted request with its timeline, and the corrected record with its history.
    page.reload()
    assert page.locator(".portal-status").first.get_attribute("class").endswith("portal-status--accepted")
    assert page.locator(".portal-timeline__item").count() >= 2
    _screenshot(page, "portal-10-timeline.png")
    page.goto(f"/portal/properties/{APARTMENT}/")
    page.wait_for_selector(".portal-map--ready")
    changes = page.locator(".portal-changes").inner_text()
    assert to_persian_digits("142.5").replace(".", "٫") in changes or "142.5" in changes
    assert area_before != Unit.objects.get(code=APARTMENT).area_m2
    _screenshot(page, "portal-11-corrected.png")

    # The dashboard on a phone.
    phone = browser.new_context(
        base_url=live_server.url, locale="fa-IR", viewport={"width": 390, "height": 844}, device_scale_factor=2
    )
    phone.add_cookies(citizen_context.cookies())
    phone_page = phone.new_page()
    phone_problems = PageProblems(phone_page, status_from=500)
    phone_page.goto("/portal/")
    _screenshot(phone_page, "portal-12-mobile.png")

    assert clerk_problems.items == []
    assert problems.items == []
    assert phone_problems.items == []
    for context in (staff_context, citizen_context, phone):
        context.close()
