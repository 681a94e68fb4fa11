"""Done-when of the building-permit issue, in a real browser: one permit from the application to the
completion certificate, with the demo roles (clerk, inspector, planning officer, revenue officer), the
co-owner's approval in their own portal, the fees paid through the sandbox bank, and the permit's QR
verified offline from the downloaded PDF. Screenshots land in docs/screenshots/permit-*.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.cache import cache

from shahrvand.cases.models import Case
from shahrvand.core.text import to_persian_digits
from shahrvand.demo.accounts import DEMO_STAFF
from shahrvand.demo.revenue import demo_tariff_install
from shahrvand.documents.keys import keys_for_check
from shahrvand.documents.verify import verify_pdf
from shahrvand.payments import sandbox
from shahrvand.permits import workflow as wf
from shahrvand.permits.models import Permit
from shahrvand.registry.services import audit_import
from tests.citizens.conftest import activate, enroll
from tests.e2e.staff import sign_in_staff
from tests.e2e.test_portal_journey import PageProblems
from tests.factories import make_staff
from tests.identity.helpers import PASSWORD
from tests.permits.conftest import APPLICANT, CO_OWNER, JPEG, PARCEL, PDF, PNG
from tests.registry.conftest import SAMPLE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ROLES = ("clerk", "inspector", "planning", "revenue")


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def _citizen_page(browser, live_server, citizen):
    context = browser.new_context(base_url=live_server.url, locale="fa-IR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
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
    return page


def _staff_page(browser, live_server, username: str):
    context = browser.new_context(base_url=live_server.url, locale="fa-IR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in_staff(page, username)
    return page


def _status(code: str) -> str:
    return Case.objects.get(tracking_code=code).status


def _staff_move(page, code: str, action: str, comment: str = "") -> None:
    page.goto(f"/staff/permits/{code}/")
    form = page.locator(f"form[data-action={action}]")
    if comment:
        form.locator("textarea[name=comment]").fill(comment)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def _citizen_step(page, code: str, step: str, **fill: str) -> None:
    page.goto(f"/portal/permits/{code}/")
    form = page.locator(f"form[data-step={step}]")
    for name, value in fill.items():
        form.locator(f"[name={name}]").fill(value)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_one_permit_from_application_to_completion_certificate(browser, live_server, district1, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    assert audit_import(actor=None, district=district1, path=SAMPLE).status == "applied"
    staff = {}
    for account in DEMO_STAFF:
        if account.username in ROLES:
            staff[account.username] = make_staff(
                account.role,
                district1,
                username=account.username,
                first_name=account.first_name,
                last_name=account.last_name,
            )
    demo_tariff_install(district1.city)
    applicant = activate(enroll(staff["clerk"], district1, APPLICANT), password=PASSWORD)
    co_owner = activate(enroll(staff["clerk"], district1, CO_OWNER), password=PASSWORD)
    photo, plans = tmp_path / "site.jpg", tmp_path / "plans.pdf"
    photo.write_bytes(JPEG)
    plans.write_bytes(PDF)
    stage_photo = tmp_path / "stage.png"
    stage_photo.write_bytes(PNG)

    # 1. The applicant describes the building; the pre-check against the zoning is shown.
    citizen = _citizen_page(browser, live_server, applicant)
    problems = PageProblems(citizen)
    citizen.goto("/portal/permits/new/")
    citizen.select_option("select[name=parcel]", PARCEL)
    citizen.select_option("select[name=kind]", "new")
    for row, (number, area, units) in enumerate([("0", "150", "1"), ("1", "150", "1")]):
        citizen.fill(f"input[name=floor-{row}-number]", number)
        citizen.select_option(f"select[name=floor-{row}-use]", "residential")
        citizen.fill(f"input[name=floor-{row}-area]", area)
        citizen.fill(f"input[name=floor-{row}-units]", units)
    citizen.fill("input[name=floor-2-number]", "")
    citizen.fill("input[name=parking]", "۲")
    citizen.fill("input[name=designer_name]", "مهندس علی طراحی")
    citizen.fill("input[name=designer_licence]", "1-23-4567")
    _shot(citizen, "permit-1-application.png")
    with citizen.expect_navigation():
        citizen.locator("form.permit-form button[type=submit]").click()
    assert citizen.locator("[data-precheck=passed]").is_visible()
    assert "حمید طاهری" in citizen.locator("main").inner_text()  # the co-owner's pending approval
    _shot(citizen, "permit-2-precheck.png")
    draft_url = citizen.url

    # 2. The co-owner approves in their own portal.
    other = _citizen_page(browser, live_server, co_owner)
    other.goto("/portal/permits/")
    with other.expect_navigation():
        other.locator("a[href^='/portal/permits/approve/']").first.click()
    with other.expect_navigation():
        other.locator("button[name=decision][value=approve]").click()

    # 3. The applicant submits.
    citizen.goto(draft_url)
    with citizen.expect_navigation():
        citizen.locator("button[name=action][value=submit]").click()
    permit = Permit.objects.get()
    code = permit.case.tracking_code
    assert citizen.url.endswith(f"/portal/permits/{code}/")

    # 4. Staff: documents, site visit with a photo, planning brief.
    clerk = _staff_page(browser, live_server, "clerk")
    _staff_move(clerk, code, "check_documents")
    inspector = _staff_page(browser, live_server, "inspector")
    inspector.goto(f"/staff/permits/{code}/")
    inspector.fill("textarea[name=findings]", "زمین خالی است؛ تجاوزی به معبر دیده نشد.")
    inspector.set_input_files("input[name=photos]", str(photo))
    with inspector.expect_navigation():
        inspector.locator("form.permit-visit button[type=submit]").click()
    assert _status(code) == wf.SITE_VISITED
    planning = _staff_page(browser, live_server, "planning")
    _staff_move(planning, code, "issue_brief")
    assert _status(code) == wf.BRIEF_ISSUED

    # 5. Plans, review, supervising engineer.
    citizen.goto(f"/portal/permits/{code}/")
    citizen.set_input_files("input[name=plans]", str(plans))
    with citizen.expect_navigation():
        citizen.locator("form[data-step=plans] button[type=submit]").click()
    _staff_move(planning, code, "accept_plans")
    _citizen_step(citizen, code, "supervisor", name="مهندس رضا ناظری", licence="1-23-9999")
    assert _status(code) == wf.SUPERVISOR_REGISTERED

    # 6. Fees and bill (revenue officer); the whole file on one page.
    revenue = _staff_page(browser, live_server, "revenue")
    _staff_move(revenue, code, "compute_fees")
    _staff_move(revenue, code, "issue_bill")
    assert _status(code) == wf.BILL_ISSUED
    revenue.goto(f"/staff/permits/{code}/")
    _shot(revenue, "permit-3-staff-file.png")

    # 7. The applicant pays through the sandbox bank; the payment moves the permit.
    permit.refresh_from_db()
    bill = permit.bill
    citizen.goto(f"/portal/permits/{code}/")
    with citizen.expect_navigation():
        citizen.locator(f"a[href='/portal/bills/{bill.bill_id}/']").click()
    citizen.locator(f"form[action='/pay/{bill.bill_id}/'] button[type=submit]").click()
    citizen.wait_for_url("**/sandbox-bank/pay/**")
    citizen.fill("input[name=pan]", sandbox.TEST_CARDS[0])
    citizen.fill("input[name=expiry_year]", "08")
    citizen.fill("input[name=expiry_month]", "12")
    citizen.fill("input[name=cvv2]", "123")
    citizen.fill("input[name=dynamic_password]", sandbox.TEST_DYNAMIC_PASSWORD)
    citizen.locator("button[name=pay]").click()
    citizen.wait_for_url("**/pay/result/**")
    citizen.wait_for_function("() => !document.querySelector('meta[http-equiv=refresh]')", timeout=15_000)
    assert _status(code) == wf.PAID

    # 8. The permit, construction, stage reports, no-violation and completion certificates.
    _staff_move(planning, code, "issue_permit")
    assert _status(code) == wf.PERMIT_ISSUED
    _citizen_step(citizen, code, "start")
    citizen.goto(f"/portal/permits/{code}/")
    citizen.fill("form[data-step=report] textarea[name=text]", "پی و فونداسیون مطابق نقشه اجرا شد.")
    citizen.set_input_files("form[data-step=report] input[name=photos]", str(stage_photo))
    with citizen.expect_navigation():
        citizen.locator("form[data-step=report] button[type=submit]").click()
    assert _status(code) == wf.FOUNDATION_DONE
    inspector.goto(f"/staff/permits/{code}/")
    inspector.fill("form.permit-report textarea[name=text]", "اسکلت بتنی و سقف‌ها مطابق پروانه است.")
    inspector.set_input_files("form.permit-report input[name=photos]", str(stage_photo))
    with inspector.expect_navigation():
        inspector.locator("form.permit-report button[type=submit]").click()
    _staff_move(inspector, code, "issue_no_violation")
    assert _status(code) == wf.NO_VIOLATION
    _citizen_step(citizen, code, "report", text="نازک‌کاری و تأسیسات پایان یافت.")
    _staff_move(planning, code, "issue_completion")
    assert _status(code) == wf.COMPLETED

    # 9. The citizen sees every step and downloads the permit, whose QR verifies offline.
    citizen.goto(f"/portal/permits/{code}/")
    body = citizen.locator("main").inner_text()
    for line in ("دستور نقشه", "پروانه ساختمانی صادر شد", "گواهی پایان کار"):
        assert line in body, line
    _shot(citizen, "permit-4-citizen-timeline.png")
    link = citizen.locator("a[data-doc=building_permit]")
    response = citizen.request.get(link.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    report = verify_pdf(response.body(), keys_for_check())
    assert report.outcome == "valid", report.message
    assert report.fields is not None and report.fields["renovation_code"] == PARCEL
    planning.goto(f"/staff/permits/{code}/")
    _shot(planning, "permit-5-staff-completed.png")
    assert problems.items == []
