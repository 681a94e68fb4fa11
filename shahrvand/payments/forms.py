"""The sandbox bank's card form (what a Shaparak payment page asks for)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shahrvand.core import jalali
from shahrvand.payments import sandbox


def _digits(placeholder: str = "", *, secret: bool = False) -> forms.Widget:
    attrs = {"class": "input input--ltr", "inputmode": "numeric", "autocomplete": "off", "dir": "ltr"}
    if placeholder:
        attrs["placeholder"] = placeholder
    return forms.PasswordInput(attrs=attrs) if secret else forms.TextInput(attrs=attrs)


class SandboxCardForm(forms.Form):
    pan = forms.CharField(
        label=_("Card number"),
        max_length=24,
        widget=_digits(),
    )
    expiry_year = forms.CharField(
        label=_("Expiry year"),
        max_length=4,
        widget=_digits("08"),
    )
    expiry_month = forms.CharField(
        label=_("Expiry month"),
        max_length=2,
        widget=_digits("12"),
    )
    cvv2 = forms.CharField(
        label=_("CVV2"),
        max_length=4,
        widget=_digits(secret=True),
    )
    dynamic_password = forms.CharField(
        label=_("Dynamic password"),
        max_length=12,
        help_text=format_lazy(
            _("Test bank: the dynamic password is always {code}."), code=sandbox.TEST_DYNAMIC_PASSWORD
        ),
        widget=_digits(secret=True),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        problems = sandbox.card_errors(
            pan=data.get("pan", ""),
            expiry_year=data.get("expiry_year", ""),
            expiry_month=data.get("expiry_month", ""),
            cvv2=data.get("cvv2", ""),
            dynamic_password=data.get("dynamic_password", ""),
            today=jalali.today(),
        )
        for name, message in problems.items():
            self.add_error("expiry_year" if name == "expiry" else name, gettext(message))
        return data
