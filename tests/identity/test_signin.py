"""Signing in: lockouts (audited), and staff held at the second factor (TOTP) until they pass it."""

from __future__ import annotations

import base64
import re
import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from shahrvand.audit.models import AuditEntry
from shahrvand.core.models import Role
from tests.factories import UserFactory
from tests.identity.helpers import PASSWORD, confirmed_device, sign_in_verified, token_for

pytestmark = pytest.mark.django_db

LOGIN = "/login/"
STAFF_PAGE = "/staff/registry/"


def login(client, username: str, password: str = PASSWORD, ip: str = "203.0.113.7", **extra: str):
    return client.post(reverse("core:login"), {"username": username, "password": password, **extra}, REMOTE_ADDR=ip)


def test_the_rate_limited_view_serves_the_sign_in_address():
    assert reverse("core:login") == LOGIN


# --------------------------------------------------------------------------------------------------
# Lockouts
# --------------------------------------------------------------------------------------------------


def test_five_failures_lock_the_account_and_are_audited(client):
    user = UserFactory(username="citizen1")
    for _ in range(5):
        response = login(client, "citizen1", "wrong-password")
        assert response.status_code == 200
    response = login(client, "citizen1")  # the right password, but the account is locked
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 900
    assert "_auth_user_id" not in client.session
    assert "Try again in 15 minutes" in response.content.decode() or "۱۵ دقیقه" in response.content.decode()

    failed = AuditEntry.objects.filter(action="identity.login_failed").order_by("seq")
    assert failed.count() == 5
    assert failed.last().target_id == str(user.pk)
    assert failed.last().payload == {"username": "citizen1", "ip": "203.0.113.7", "failures": 5}
    locked = AuditEntry.objects.get(action="identity.locked")
    assert locked.payload == {"scope": "account", "username": "citizen1", "ip": "203.0.113.7", "seconds": 900}

    # From another address too: the account is what is locked.
    assert login(client, "citizen1", ip="198.51.100.1").status_code == 429


def test_a_correct_password_clears_the_failure_count(client):
    UserFactory(username="citizen2")
    for _ in range(4):
        login(client, "citizen2", "wrong-password")
    assert login(client, "citizen2").status_code == 302
    client.logout()
    for _ in range(4):
        login(client, "citizen2", "wrong-password")
    assert login(client, "citizen2").status_code == 302
    assert not AuditEntry.objects.filter(action="identity.locked").exists()


def test_thirty_failures_from_one_address_lock_the_address(client):
    UserFactory(username="innocent")
    for n in range(30):
        login(client, f"guess{n}", "wrong-password", ip="192.0.2.50")
    assert login(client, "innocent", ip="192.0.2.50").status_code == 429
    assert login(client, "innocent", ip="192.0.2.51").status_code == 302
    assert AuditEntry.objects.filter(action="identity.locked", payload__scope="ip").count() == 1


def test_a_citizen_signs_in_without_a_second_factor(client):
    UserFactory(username="citizen3")
    response = login(client, "citizen3", next="/verify/")
    assert response.status_code == 302
    assert response["Location"] == "/verify/"


# --------------------------------------------------------------------------------------------------
# Staff second factor
# --------------------------------------------------------------------------------------------------


def test_first_staff_sign_in_enrols_an_authenticator_app(client, staff):
    clerk = staff(Role.CLERK)
    response = login(client, clerk.username, next=STAFF_PAGE)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('identity:totp_setup')}?next=%2Fstaff%2Fregistry%2F"

    # Signed in with the password only: no staff page yet.
    response = client.get(STAFF_PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("identity:totp_setup"))

    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert 'src="data:image/svg+xml' in html
    device = TOTPDevice.objects.get(user=clerk, confirmed=False)
    shown = re.search(r'<code class="ltr" dir="ltr">([A-Z2-7 ]+)</code>', html).group(1)
    secret = shown.replace(" ", "")
    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key
    assert shown in client.get(reverse("identity:totp_setup")).content.decode()  # the same key on a reload

    wrong = f"{(int(token_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("identity:totp_setup"), {"token": wrong, "next": STAFF_PAGE})
    assert response.status_code == 400
    assert client.get(STAFF_PAGE).status_code == 302
    device.refresh_from_db()
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=device.throttling_failure_timestamp - timedelta(seconds=2)
    )

    response = client.post(reverse("identity:totp_setup"), {"token": token_for(device), "next": STAFF_PAGE})
    assert response.status_code == 302
    assert response["Location"] == STAFF_PAGE
    assert client.get(STAFF_PAGE).status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEntry.objects.filter(action="identity.totp_enrolled", actor=clerk).count() == 1


def test_staff_with_an_app_must_enter_its_code(client, staff):
    manager = staff(Role.MANAGER)
    device = confirmed_device(manager)
    response = login(client, manager.username, next=STAFF_PAGE)
    assert response["Location"] == f"{reverse('identity:totp_verify')}?next=%2Fstaff%2Fregistry%2F"
    assert client.get(STAFF_PAGE)["Location"].startswith(reverse("identity:totp_verify"))
    # Enrolment is closed once an app is set up: a stolen password cannot add a second app.
    assert client.get(reverse("identity:totp_setup"))["Location"].startswith(reverse("identity:totp_verify"))

    wrong = f"{(int(token_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("identity:totp_verify"), {"token": wrong, "next": STAFF_PAGE})
    assert response.status_code == 400
    assert AuditEntry.objects.filter(action="identity.totp_failed", actor=manager).count() == 1
    assert client.get(STAFF_PAGE).status_code == 302
    # Right after a failure even the right code waits (django-otp's growing delay).
    response = client.post(reverse("identity:totp_verify"), {"token": token_for(device), "next": STAFF_PAGE})
    assert response.status_code == 429
    device.refresh_from_db()
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=device.throttling_failure_timestamp - timedelta(seconds=2)
    )

    session_before = client.session.session_key
    response = client.post(reverse("identity:totp_verify"), {"token": token_for(device), "next": STAFF_PAGE})
    assert response.status_code == 302
    assert response["Location"] == STAFF_PAGE
    assert client.session.session_key != session_before
    assert client.get(STAFF_PAGE).status_code == 200


def test_a_used_token_cannot_be_replayed(client, staff):
    clerk = staff(Role.CLERK)
    device = sign_in_verified(client, clerk)
    device.refresh_from_db()
    # The token of the very time step used at sign-in (the clock may have moved to the next step).
    now_step = int((time.time() - device.t0) // device.step)
    drift = device.last_t - now_step
    token = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"
    client.logout()
    login(client, clerk.username)
    response = client.post(reverse("identity:totp_verify"), {"token": token, "next": STAFF_PAGE})
    assert response.status_code == 400
    assert client.get(STAFF_PAGE).status_code == 302


def test_open_redirects_are_refused(client, staff):
    clerk = staff(Role.CLERK)
    device = confirmed_device(clerk)
    login(client, clerk.username)
    response = client.post(
        reverse("identity:totp_verify"), {"token": token_for(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


@pytest.mark.urls("tests.identity.urls")
def test_the_decorator_works_without_the_middleware(client, staff, settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("StaffSecondFactorMiddleware")]
    clerk = staff(Role.CLERK)
    login(client, clerk.username)
    response = client.get("/decorated/registry/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('identity:totp_setup')}?next=%2Fdecorated%2Fregistry%2F"
    client.logout()
    response = client.get("/decorated/registry/")
    assert response["Location"] == "/login/?next=/decorated/registry/"


def test_django_admin_staff_need_the_second_factor_too(client):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    assert login(client, "root")["Location"].startswith(reverse("identity:totp_setup"))
    response = client.get("/django-admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("identity:totp_setup"))


def test_citizens_are_not_sent_to_the_second_factor(client):
    UserFactory(username="citizen4")
    login(client, "citizen4")
    assert client.get(reverse("identity:totp_verify"))["Location"] == "/"
    assert client.get(reverse("identity:totp_setup"))["Location"] == "/"


def test_staff_totp_reset_command(client, staff, capsys):
    clerk = staff(Role.CLERK)
    sign_in_verified(client, clerk)
    call_command("staff_totp_reset", clerk.username)
    assert "1 authenticator device(s) removed" in capsys.readouterr().out
    assert not TOTPDevice.objects.filter(user=clerk).exists()
    entry = AuditEntry.objects.get(action="identity.totp_reset")
    assert (entry.actor_label, entry.target_id) == ("staff_totp_reset", str(clerk.pk))
    # The verified session no longer counts: its device is gone.
    assert client.get(STAFF_PAGE)["Location"].startswith(reverse("identity:totp_setup"))
    with pytest.raises(CommandError):
        call_command("staff_totp_reset", "nobody")
