"""Signing staff in through the real pages in the browser: password, then the TOTP second factor."""

from __future__ import annotations

from shahrvand.core.models import User
from tests.identity.helpers import PASSWORD, confirmed_device, token_for


def sign_in_staff(page, username: str, password: str = PASSWORD) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = User.objects.get(username=username)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or confirmed_device(user)
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/account/2fa/verify/**")
    page.fill("input[name=token]", token_for(device))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/account/2fa/" not in url and "/login/" not in url)
