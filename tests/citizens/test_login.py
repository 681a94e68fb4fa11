"""Citizen sign-in: national code or citizen code + password, the optional SMS step, lockouts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from shahrvand.citizens import services
from shahrvand.citizens.codes import format_citizen_code
from shahrvand.core.text import to_persian_digits
from shahrvand.identity.models import OneTimeCode
from tests.citizens.conftest import PASSWORD, TWO_APARTMENTS, last_code_to

pytestmark = pytest.mark.django_db


def sign_in(client, identifier: str, password: str = PASSWORD):
    return client.post(reverse("citizens:login"), {"identifier": identifier, "password": password})


def test_sign_in_with_the_national_code(citizen_a, client):
    response = sign_in(client, to_persian_digits(TWO_APARTMENTS))
    assert response.status_code == 302 and response["Location"] == reverse("citizens:dashboard")
    assert client.get(reverse("citizens:dashboard")).status_code == 200


def test_sign_in_with_the_citizen_code(citizen_a, client):
    response = sign_in(client, to_persian_digits(format_citizen_code(citizen_a.citizen.citizen_code)))
    assert response.status_code == 302


def test_a_wrong_password_is_refused(citizen_a, client):
    response = sign_in(client, TWO_APARTMENTS, "not-the-password")
    assert response.status_code == 400
    assert "رمز عبور" in response.content.decode() or "password" in response.content.decode()
    assert client.get(reverse("citizens:dashboard")).status_code == 302


def test_an_account_not_yet_activated_is_told_to_activate(registry, clerk, client):
    from tests.citizens.conftest import enroll

    enroll(clerk, registry, TWO_APARTMENTS)
    response = sign_in(client, TWO_APARTMENTS, "anything-at-all-1405")
    assert response.status_code == 400
    assert reverse("citizens:activate") in response.content.decode()


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(citizen_a, client):
    for _ in range(5):
        assert sign_in(client, TWO_APARTMENTS, "wrong-password-1405").status_code == 400
    response = sign_in(client, format_citizen_code(citizen_a.citizen.citizen_code))
    assert response.status_code == 400
    assert client.get(reverse("citizens:dashboard")).status_code == 302


def test_the_sms_second_step_when_the_citizen_turned_it_on(citizen_a, client):
    # The activation's code went to this mobile a moment ago; one code a minute per mobile is allowed.
    OneTimeCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
    services.citizen_settings_update(citizen=citizen_a.citizen, notify_sms=True, sms_second_step=True)
    response = sign_in(client, TWO_APARTMENTS)
    assert response.status_code == 302 and response["Location"] == reverse("citizens:login_code")
    assert client.get(reverse("citizens:dashboard")).status_code == 302  # not signed in yet
    code = last_code_to(citizen_a.citizen.mobile)
    wrong = "000000" if code != "000000" else "111111"
    assert client.post(reverse("citizens:login_code"), {"otp_code": wrong}).status_code == 400
    response = client.post(reverse("citizens:login_code"), {"otp_code": code})
    assert response.status_code == 302
    assert client.get(reverse("citizens:dashboard")).status_code == 200
    # The code is single use: another sign-in within the minute gets no new code, and the old one is spent.
    other = client.__class__()
    sign_in(other, TWO_APARTMENTS)
    assert other.post(reverse("citizens:login_code"), {"otp_code": code}).status_code == 400
    assert other.get(reverse("citizens:dashboard")).status_code == 302


def test_staff_accounts_are_not_portal_accounts(clerk_client):
    response = clerk_client.get(reverse("citizens:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("citizens:login"))
