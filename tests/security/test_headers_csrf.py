"""Security headers on public, portal and staff pages; production's HSTS and cookies; CSRF on every form.

The production values are read from a process started with ``DJANGO_ENV=production`` (as
``make check-deploy`` does), then applied here with ``override_settings`` to see them on responses.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

from shahrvand.core.models import Role
from shahrvand.payments import clock
from shahrvand.payments.models import AttemptStatus, PaymentAttempt
from shahrvand.payments.services import payments_reconcile
from shahrvand.revenue.models import Bill, Payment
from tests.identity.helpers import VerifiedClient, confirmed_device, token_for
from tests.payments.helpers import fresh, pay_at_bank, start
from tests.security.conftest import PDF

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k" * 20 + "-production-secret-for-the-settings-test-" + "z" * 20
PROD_ENV = {"DJANGO_ENV": "production", "SECRET_KEY": GOOD_KEY, "ALLOWED_HOSTS": "shahrvand.example", "DEBUG": "0"}
PROD_SETTINGS = (
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "DEBUG",
)


# -- headers -----------------------------------------------------------------------------------------
def assert_security_headers(response, where: str) -> None:
    csp = response.get("Content-Security-Policy", "")
    assert csp, f"{where}: no Content-Security-Policy"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, f"{where}: {csp}"
    assert "frame-ancestors 'none'" in csp, f"{where}: {csp}"
    assert "object-src 'none'" in csp and "base-uri 'self'" in csp, f"{where}: {csp}"
    assert re.search(r"script-src 'self'(;|$)", csp), f"{where}: scripts only from the site: {csp}"
    assert response.get("X-Frame-Options") == "DENY", where
    assert response.get("X-Content-Type-Options") == "nosniff", where
    assert response.get("Referrer-Policy") == "same-origin", where
    assert response.get("Cross-Origin-Opener-Policy") == "same-origin", where
    permissions = response.get("Permissions-Policy", "")
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in permissions, f"{where}: {permissions}"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=\"|\son[a-z]+=\"", re.IGNORECASE)


def assert_no_inline_code(response, where: str) -> None:
    """What the CSP would block anyway: inline scripts, style attributes and elements, event handlers."""
    html = response.content.decode()
    scripts = [s for s in INLINE_SCRIPT.findall(html) if "application/json" not in s and "application/ld+json" not in s]
    assert not scripts, f"{where}: inline script {scripts[:3]}"
    assert not INLINE_STYLE.findall(html), f"{where}: inline style or handler {INLINE_STYLE.findall(html)[:3]}"


PUBLIC = ["/", "/verify/", "/transparency/", "/login/", "/portal/login/", "/activate/", "/account/reset/"]


@pytest.mark.parametrize("path", PUBLIC)
def test_public_pages_carry_the_security_headers(path, city, district1):
    response = Client().get(path)
    assert response.status_code == 200, path
    assert_security_headers(response, path)
    assert_no_inline_code(response, path)


def test_error_pages_carry_them_too(city):
    for path in ("/verify/nonsense-number", "/no-such-page/"):
        response = Client().get(path)
        assert response.status_code in (200, 404)
        assert_security_headers(response, path)


def test_portal_pages_carry_the_security_headers(citizen, bill):
    browser = Client()
    browser.force_login(citizen.user)
    for path in (
        "/portal/",
        "/portal/bills/",
        f"/portal/bills/{bill.bill_id}/",
        "/portal/profile/",
        "/portal/settings/",
    ):
        response = browser.get(path)
        assert response.status_code == 200, path
        assert_security_headers(response, path)
        assert_no_inline_code(response, path)


def test_staff_pages_carry_the_security_headers(staff, registry):
    client = VerifiedClient()
    client.force_login(staff(Role.MANAGER, password=None))
    for path in ("/staff/registry/", "/staff/cases/", "/staff/registry/deliveries/", "/staff/sms/outbox/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_security_headers(response, path)
        assert_no_inline_code(response, path)


def test_the_pay_page_widens_form_action_only_to_the_bank(citizen, bill):
    browser = Client()
    browser.force_login(citizen.user)
    response = browser.post(f"/pay/{bill.bill_id}/")
    assert response.status_code in (200, 302)
    assert_security_headers(response, "/pay/")


# -- production settings -----------------------------------------------------------------------------
def _production_settings() -> dict[str, object]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DJANGO_ENV"}}
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {list(PROD_SETTINGS)!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "shahrvand.settings", **PROD_ENV},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    values: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return values


@pytest.fixture(scope="module")
def production():
    return _production_settings()


def test_production_turns_on_hsts_and_secure_cookies(production):
    assert production["DEBUG"] is False
    assert int(production["SECURE_HSTS_SECONDS"]) >= 365 * 24 * 3600  # type: ignore[call-overload]
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert production["SECURE_SSL_REDIRECT"] is True
    for name in ("SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_SECURE", "CSRF_COOKIE_HTTPONLY"):
        assert production[name] is True, name


def test_under_production_settings_responses_and_cookies_are_secure(production, staff):
    user = staff(Role.CLERK)
    device = confirmed_device(user)
    overrides = {k: v for k, v in production.items() if k != "DEBUG"}
    with override_settings(**overrides):
        plain = Client().get("/login/")
        assert plain.status_code == 301 and plain["Location"].startswith("https://")
        browser = Client()
        page = browser.get("/login/", secure=True)
        assert page["Strict-Transport-Security"].startswith("max-age=31536000")
        assert "includeSubDomains" in page["Strict-Transport-Security"]
        assert_security_headers(page, "/login/ (production)")
        csrf = page.cookies["csrftoken"]
        assert csrf["secure"] and csrf["httponly"]
        signed = browser.post(
            "/login/", {"username": user.username, "password": "correct-horse-battery-1405"}, secure=True
        )
        assert signed.status_code == 302
        session = signed.cookies["sessionid"]
        assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
        totp = browser.post("/account/2fa/verify/", {"token": token_for(device), "next": "/"}, secure=True)
        assert totp.status_code == 302


def test_check_deploy_is_clean():
    """``make check-deploy``: Django's deployment checks under production settings, warnings fail."""
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DJANGO_ENV"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={**clean, **PROD_ENV},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


# -- CSRF --------------------------------------------------------------------------------------------
def _strict() -> Client:
    return Client(enforce_csrf_checks=True)


def _token(client: Client, path: str) -> str:
    client.get(path)
    return client.cookies["csrftoken"].value


def test_sign_in_forms_refuse_a_post_without_the_token(staff, citizen):
    user = staff(Role.CLERK)
    for path, data in (
        ("/login/", {"username": user.username, "password": "correct-horse-battery-1405"}),
        ("/portal/login/", {"identifier": citizen.citizen_code, "password": "correct-horse-battery-1405"}),
        ("/activate/", {"citizen_code": citizen.citizen_code, "activation_code": "12345678"}),
        ("/account/reset/", {"username": user.username}),
    ):
        refused = _strict().post(path, data)
        assert refused.status_code == 403, path
        browser = _strict()
        accepted = browser.post(path, {**data, "csrfmiddlewaretoken": _token(browser, path)})
        assert accepted.status_code != 403, path


def test_staff_totp_form_refuses_a_post_without_the_token(staff):
    user = staff(Role.CLERK)
    device = confirmed_device(user)
    browser = _strict()
    token = _token(browser, "/login/")
    assert (
        browser.post(
            "/login/",
            {"username": user.username, "password": "correct-horse-battery-1405", "csrfmiddlewaretoken": token},
        ).status_code
        == 302
    )
    assert browser.post("/account/2fa/verify/", {"token": token_for(device)}).status_code == 403


def _staff_browser(user) -> VerifiedClient:
    browser = VerifiedClient(enforce_csrf_checks=True)
    browser.force_login(user)
    return browser


def test_staff_forms_refuse_a_post_without_the_token(d2_world):
    """Including the upload views, which check CSRF inside (after installing the size limit)."""
    world = d2_world
    browser = _staff_browser(world.staff_d2)
    code = world.case.tracking_code
    for path, data in (
        (f"/staff/cases/{code}/act/", {"action": "start_review", "role": Role.CLERK}),
        (f"/staff/cases/{code}/assign/", {"assignee": "me"}),
        (f"/staff/cases/{code}/files/", {"file": _pdf()}),
        ("/staff/registry/deliveries/upload/", {"district": world.district2.pk}),
    ):
        response = browser.post(path, data)
        assert response.status_code == 403, path
        assert b"CSRF" in response.content or response.status_code == 403
    officer = _staff_browser(world.run.started_by)
    for path in (
        "/staff/settlement/upload/",
        f"/staff/revenue/bills/{world.bill.bill_id}/",
        "/staff/revenue/tariffs/upload/",
    ):
        assert officer.post(path, {"action": "check"}).status_code == 403, path
    assert world.case.attachments.count() == 1


def _pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf")


def test_staff_attachment_with_the_token_is_accepted(d2_world):
    world = d2_world
    browser = _staff_browser(world.staff_d2)
    token = _token(browser, f"/staff/cases/{world.case.tracking_code}/")
    response = browser.post(
        f"/staff/cases/{world.case.tracking_code}/files/",
        {"file": _pdf(), "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def test_portal_forms_and_the_payment_start_refuse_a_post_without_the_token(citizen, bill):
    browser = _strict()
    browser.force_login(citizen.user)
    for path, data in (
        ("/portal/settings/", {"notify_sms": "on"}),
        ("/portal/profile/mobile/", {"mobile": "09151234567"}),
        ("/portal/clearance/", {"property_code": "1-1-100-1-0-0-0", "purpose": "فروش"}),
        (f"/pay/{bill.bill_id}/", {}),
    ):
        assert browser.post(path, data).status_code == 403, path
    assert not PaymentAttempt.objects.filter(bill=bill).exists()
    token = _token(browser, f"/portal/bills/{bill.bill_id}/")
    started = browser.post(f"/pay/{bill.bill_id}/", {"csrfmiddlewaretoken": token})
    assert started.status_code == 302
    assert PaymentAttempt.objects.filter(bill=bill).count() == 1


def test_the_bank_callback_needs_no_csrf_token_but_checks_the_bank_s_fields(citizen, bill):
    attempt = start(citizen, bill)
    fields = pay_at_bank(attempt)
    bank = _strict()  # the bank's post-back: another site, no cookie, no CSRF token

    wrong_amount = bank.post(f"/pay/callback/{attempt.order_id}/", {**fields, "Amount": "1000"})
    unknown_order = bank.post("/pay/callback/9999999999999999/", fields)
    assert wrong_amount.status_code == 303 and unknown_order.status_code == 400
    assert fresh(attempt).status == AttemptStatus.TOKEN_ISSUED

    genuine = bank.post(f"/pay/callback/{attempt.order_id}/", fields)
    assert genuine.status_code == 303
    assert fresh(attempt).status == AttemptStatus.SETTLED
    assert Bill.objects.get(pk=bill.pk).status == Bill.Status.PAID
    assert Payment.objects.filter(bill=bill).count() == 1


def test_a_forged_reference_never_pays_and_reconciliation_finishes_the_real_payment(citizen, bill):
    """A callback with a reference the bank does not know is verified with the bank and refused;
    the real callback that follows is then a repeat, and reconciliation (every minute, for attempts
    waiting a few minutes) settles it: the forgery delays the payer's receipt, it never pays twice."""
    attempt = start(citizen, bill)
    fields = pay_at_bank(attempt)
    bank = _strict()

    forged = bank.post(f"/pay/callback/{attempt.order_id}/", {**fields, "RefNum": "forged-reference-0001"})
    assert forged.status_code in (303, 400)
    assert Bill.objects.get(pk=bill.pk).status == Bill.Status.OPEN
    assert not Payment.objects.filter(bill=bill).exists()

    bank.post(f"/pay/callback/{attempt.order_id}/", fields)
    assert not Payment.objects.filter(bill=bill).exists()
    clock.travel(dt.timedelta(minutes=5))
    payments_reconcile()
    assert fresh(attempt).status == AttemptStatus.SETTLED
    assert Bill.objects.get(pk=bill.pk).status == Bill.Status.PAID
    assert Payment.objects.filter(bill=bill).count() == 1
