"""Staff accounts in a real browser: the city administrator creates a clerk for District 1, grants
them inspector in District 2, revokes it, deactivates the clerk; the clerk then cannot sign in.

Screenshots: docs/screenshots/staff-accounts.png (the list) and staff-accounts-account.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shahrvand.core.models import Role, RoleGrant, User
from shahrvand.sms.models import OutboxMessage
from tests.e2e.problems import PageProblems
from tests.e2e.staff import sign_in_staff
from tests.factories import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


def test_city_admin_manages_a_clerk_from_creation_to_deactivation(
    page, browser, live_server, city, district1, district2
):
    make_staff(Role.CITY_ADMIN, None, city=city, username="admin", first_name="محمد", last_name="شریفی")
    make_staff(Role.MANAGER, district1, username="manager", first_name="فاطمه", last_name="حسینی")
    make_staff(Role.REVENUE, district1, username="revenue", first_name="علی", last_name="رضایی")
    make_staff(Role.CLERK, district2, username="clerk2", first_name="رضا", last_name="نوری")
    make_staff(Role.AUDITOR, None, city=city, username="auditor", first_name="سارا", last_name="جعفری")
    problems = PageProblems(page, status_from=500, failed_requests=False)
    sign_in_staff(page, "admin")

    # Create the clerk for District 1.
    page.goto("/staff/accounts/new/")
    page.fill("#id_first_name", "نرگس")
    page.fill("#id_last_name", "رحیمی")
    page.fill("#id_username", "n.rahimi")
    page.fill("#id_mobile", "۰۹۱۲۱۲۳۴۵۶۷")
    page.select_option("#id_role", Role.CLERK)
    page.select_option("#id_district", str(district1.pk))
    page.locator("main form.account-form button[type=submit]").click()
    page.wait_for_selector("text=با پیامک به")
    sms = OutboxMessage.objects.get(to="+989121234567").text
    temporary = sms.split("گذرواژهٔ موقت: ")[1].split()[0]
    clerk = User.objects.get(username="n.rahimi")
    assert RoleGrant.objects.get(user=clerk).district == district1

    # Grant inspector in District 2, then revoke it with a reason.
    page.get_by_role("link", name="باز کردن حساب").click()
    page.wait_for_url(f"**/staff/accounts/{clerk.pk}/")
    page.select_option("form.grant-form #id_role", Role.INSPECTOR)
    page.select_option("form.grant-form #id_district", str(district2.pk))
    page.locator("form.grant-form button[type=submit]").click()
    page.wait_for_selector(".message--success")
    inspector = RoleGrant.objects.get(user=clerk, role=Role.INSPECTOR, district=district2, revoked_at__isnull=True)
    row = page.locator(f"#grant-{inspector.pk}")
    row.locator("input[name=reason]").fill("پوشش موقت تمام شد")
    row.locator("button[type=submit]").click()
    page.wait_for_selector(f"#grant-{inspector.pk}.is-revoked")
    inspector.refresh_from_db()
    assert inspector.revoked_at is not None

    # Deactivate the clerk.
    page.fill("#id_reason", "پایان همکاری")
    page.locator("button.button--danger").click()
    page.wait_for_selector(".head-badges .badge--error")
    clerk.refresh_from_db()
    assert not clerk.is_active
    _screenshot(page, "staff-accounts-account.png")

    page.goto("/staff/accounts/")
    assert page.locator("tbody tr").count() == 6
    _screenshot(page, "staff-accounts.png")
    assert problems.items == []

    # The clerk cannot sign in, even with the right password.
    context = browser.new_context(base_url=live_server.url, locale="fa-IR")
    other = context.new_page()
    other.goto("/login/")
    other.fill("input[name=username]", "n.rahimi")
    other.fill("input[name=password]", temporary)
    other.locator("main form button[type=submit]").click()
    other.wait_for_load_state()
    assert "/login/" in other.url
    assert other.locator("input[name=password]").count() == 1
    context.close()
