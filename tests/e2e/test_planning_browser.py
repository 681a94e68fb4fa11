"""Planning in a real browser: a planning officer edits a parcel's zoning; the owner sees the new rules on
their property page, asks for the planning information certificate and downloads it; its QR verifies.
Screenshots land in docs/screenshots/planning-*.png.
"""

from __future__ import annotations

from pathlib import Path

import pypdfium2
import pytest
from django.core.cache import cache

from shahrvand.core.text import to_persian_digits
from shahrvand.documents.keys import keys_for_check
from shahrvand.documents.models import Document
from shahrvand.documents.verify import verify_pdf
from shahrvand.registry.models import ChangeRecord, Parcel, Zoning
from shahrvand.registry.services import audit_import
from tests.citizens.conftest import TWO_APARTMENTS, activate, enroll
from tests.e2e.staff import sign_in_staff
from tests.e2e.test_portal_journey import PageProblems
from tests.factories import make_staff
from tests.identity.helpers import PASSWORD
from tests.registry.conftest import SAMPLE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PARCEL = "1-1-100-3-0-0-0"
APARTMENT = "1-1-100-3-1-2-0"


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


def test_an_officer_edits_zoning_and_the_owner_gets_the_certificate(
    browser, live_server, district1, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    assert audit_import(actor=None, district=district1, path=SAMPLE).status == "applied"
    officer = make_staff("planning", district1, first_name="مریم", last_name="کاظمی")
    citizen = activate(enroll(make_staff("clerk", district1), district1, TWO_APARTMENTS), password=PASSWORD)
    parcel = Parcel.objects.get(district=district1, code=PARCEL)

    # The planning officer: find the parcel, raise its floors and density, widen the planned street.
    staff_context = browser.new_context(
        base_url=live_server.url, locale="fa-IR", viewport={"width": 1280, "height": 900}
    )
    staff_page = staff_context.new_page()
    staff_page.set_default_timeout(15_000)
    staff_problems = PageProblems(staff_page)
    sign_in_staff(staff_page, officer.username)
    staff_page.goto("/staff/planning/?q=" + to_persian_digits("1-1-100-3"))
    staff_page.locator(f"a[href='/staff/planning/parcels/{parcel.pk}/zoning/']").click()
    staff_page.wait_for_url(f"**/staff/planning/parcels/{parcel.pk}/zoning/")
    staff_page.fill("input[name=max_floors]", "۴")
    staff_page.fill("input[name=max_density_pct]", "۲۴۰")
    staff_page.fill("input[name=planned_passage_width_m]", "۲۰")
    staff_page.check("input[name=permitted_uses][value=commercial]")
    staff_page.fill("input[name=note]", "مصوبه کمیسیون ماده ۵ شماره ۱۴۰۵/۳۲")
    staff_page.locator("main form[method=post] button[type=submit]").click()
    staff_page.wait_for_url(f"**/staff/planning/parcels/{parcel.pk}/zoning/")
    assert staff_page.locator(".timeline__item").count() == 1
    _shot(staff_page, "planning-zoning-edit.png")
    zoning = Zoning.objects.get(parcel=parcel)
    assert (zoning.max_floors, zoning.max_density_pct) == (4, 240)
    assert zoning.permitted_uses == ["residential", "commercial", "mixed"]
    assert ChangeRecord.objects.get(entity="zoning", actor=officer).changes["max_floors"] == [2, 4]
    assert staff_problems.items == []

    # The owner: signs in, sees the new rules on the property page, asks for the certificate.
    context = browser.new_context(base_url=live_server.url, locale="fa-IR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
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
    page.goto(f"/portal/properties/{APARTMENT}/")
    rules = page.locator("[data-planning-rules]")
    text = rules.inner_text()
    assert "۴" in text and "۲۴۰٪" in text and "۲۰ متر" in text and "تجاری" in text, text
    rules.scroll_into_view_if_needed()
    _shot(page, "planning-portal-rules.png")
    rules.locator("a.button").click()
    page.wait_for_url("**/portal/planning-info/?property=*")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/portal/planning-info/?request=*")
    assert page.locator("[data-outcome=issued]").count() == 1
    _shot(page, "planning-portal-certificate.png")

    link = page.locator("a[data-certificate]")
    pdf = context.request.get(link.get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    data = pdf.body()
    assert verify_pdf(data, keys_for_check()).outcome == "valid"
    document = pypdfium2.PdfDocument(data)
    try:
        assert len(document) == 1
        image = document[0].render(scale=1.4).to_pil()
    finally:
        document.close()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    image.save(SCREENSHOTS / "planning-certificate.png")
    certified = Document.objects.get(doc_type="planning_info").fields
    assert (certified["max_floors"], certified["density"], certified["plan_use"]) == (
        "4 طبقه",
        "240 درصد",
        "مسکونی، تجاری، مختلط",
    )
    assert problems.items == []
    staff_context.close()
    context.close()
