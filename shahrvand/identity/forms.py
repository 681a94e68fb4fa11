"""Forms of the sign-in, second-factor and password-reset pages: they parse, the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shahrvand.core.http import client_ip
from shahrvand.core.text import to_latin_digits
from shahrvand.identity.lockout import login_failed, login_guard
from shahrvand.identity.ratelimit import RateLimited
from shahrvand.identity.services import localized


class GuardedAuthenticationForm(AuthenticationForm):
    """Django's sign-in form behind the lockout: a locked account or address is refused before the
    password is checked, and every wrong password is counted and audited."""

    locked_for: int = 0

    def clean(self) -> dict[str, Any]:
        username = str(self.cleaned_data.get("username") or "")
        password = self.cleaned_data.get("password")
        ip = client_ip(self.request) if self.request is not None else "unknown"
        try:
            login_guard(username, ip)
        except RateLimited as exc:
            self.locked_for = exc.retry_after
            raise ValidationError(localized(exc), code="locked") from None
        try:
            return super().clean()
        except ValidationError:
            if username and password:
                login_failed(username=username, ip=ip)
            raise


class DigitsField(forms.CharField):
    """A six-digit code typed with Persian, Arabic-Indic or ASCII digits, spaces allowed."""

    digits = 6

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", self.digits + 8)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        text = to_latin_digits(str(super().to_python(value))).replace(" ", "").replace("-", "")
        return text

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and (not value.isascii() or not value.isdigit() or len(value) != self.digits):
            raise ValidationError(gettext("Enter the 6-digit code."), code="digits")


class TokenForm(forms.Form):
    token = DigitsField(label=_("Code from your authenticator app"))


class ResetRequestForm(forms.Form):
    identifier = forms.CharField(
        label=_("National code or citizen code"),
        max_length=32,
        strip=True,
    )


class ResetCodeForm(forms.Form):
    code = DigitsField(label=_("Code sent by SMS"))
