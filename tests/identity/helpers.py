"""Helpers shared by the identity and SMS tests: codes from the outbox, a TOTP-verified staff session."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from shahrvand.core.models import User
from shahrvand.identity.decorators import needs_second_factor
from shahrvand.sms.models import OutboxMessage

PASSWORD = "correct-horse-battery-1405"  # tests.factories.UserFactory's password
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def code_in(message: OutboxMessage) -> str:
    found = CODE.search(message.text)
    assert found, message.text
    return found.group(1)


def last_code_to(mobile: str) -> str:
    message = OutboxMessage.objects.filter(to=mobile).order_by("-created_at", "-pk").first()
    assert message is not None, f"no SMS to {mobile}"
    return code_in(message)


def token_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def confirmed_device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Shahrvand", confirmed=True)


def sign_in_verified(client: Client, user: User) -> TOTPDevice:
    """Password then TOTP, through the pages, as a staff member with an enrolled app."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or confirmed_device(user)
    response = client.post(reverse("core:login"), {"username": user.get_username(), "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    response = client.post(reverse("identity:totp_verify"), {"token": token_for(device), "next": "/"})
    assert response.status_code == 302, response.content[:2000]
    return device


def mark_verified(client: Client, user: User) -> TOTPDevice:
    """Record in the client's session that ``user`` passed the second factor (enrolling an app if needed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or confirmed_device(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def force_login_verified(client: Client, user: User) -> TOTPDevice:
    """``client.force_login`` plus a passed second factor: for tests of staff pages that are not about sign-in."""
    client.force_login(user)
    return mark_verified(client, user)


class VerifiedClient(Client):
    """A test client whose ``force_login`` also passes the second factor for staff.

    For suites of staff pages that are not about signing in: in ``tests/conftest.py``,
    ``@pytest.fixture`` ``def client(): return VerifiedClient()``. Tests of the sign-in itself
    post to the sign-in page, which this does not change.
    """

    def force_login(self, user: User, backend: str | None = None) -> None:
        super().force_login(user, backend)
        if needs_second_factor(user):
            mark_verified(self, user)
