"""Forms of the revenue officer's pages: they parse what was typed (any digit set) and nothing more.

The services decide; their refusals come back as :class:`shahrvand.revenue.errors.RevenueError`
and the view puts the message on the form.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from django import forms
from django.utils.translation import gettext_lazy as _

from shahrvand.core import jalali
from shahrvand.core.text import to_latin_digits
from shahrvand.revenue.amounts import MAX_GROSS
from shahrvand.revenue.services import MAX_INSTALMENTS, MAX_REASON

_SEPARATORS: Final = str.maketrans("", "", ",\u066c\u060c _")
REASON_ERRORS: Final = {"required": _("Write the reason: it is kept with the bill and shown to the payer.")}


class RialsField(forms.CharField):
    """A whole number of Rials typed with Persian or Latin digits, with or without thousands separators."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> int | None:
        text = super().clean(value)
        if text in (None, ""):
            return None
        digits = to_latin_digits(str(text)).translate(_SEPARATORS)
        if not digits.isascii() or not digits.isdigit():
            raise forms.ValidationError(_("Enter the amount in Rials as a whole number."), code="invalid")
        amount = int(digits)
        if amount > MAX_GROSS:
            raise forms.ValidationError(_("A bill is at most 49,999,999,000 Rials."), code="max_value")
        return amount


class JalaliDateField(forms.CharField):
    """A Jalali date ``1405/02/15`` (any digit set)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 12)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> dt.date | None:
        text = super().clean(value)
        if text in (None, ""):
            return None
        try:
            return jalali.parse_jalali_date(str(text))
        except ValueError:
            raise forms.ValidationError(_("Enter a Jalali date such as 1405/02/15."), code="invalid") from None


def _reason() -> forms.CharField:
    return forms.CharField(
        label=_("Reason"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3, "class": "input"}),
        error_messages={
            **REASON_ERRORS,
            "max_length": _("The reason is too long."),
        },
    )


class BillSearchForm(forms.Form):
    q = forms.CharField(label=_("Bill ID, national code, renovation code or business code"), max_length=60)


class YearForm(forms.Form):
    year = forms.IntegerField(
        label=_("Jalali year"),
        min_value=1380,
        max_value=1500,
        required=False,
        error_messages={
            "invalid": _("Enter a Jalali year such as 1405."),
            "min_value": _("Enter a Jalali year such as 1405."),
            "max_value": _("Enter a Jalali year such as 1405."),
        },
    )


class AdjustForm(forms.Form):
    new_gross = RialsField(
        label=_("New amount of the bill (Rials, before discount and penalty)"),
        error_messages={"required": _("Enter the new amount of the bill in Rials.")},
        widget=forms.TextInput(attrs={"class": "input", "inputmode": "numeric", "dir": "ltr"}),
    )
    reason = _reason()


class InstalmentForm(forms.Form):
    bills = forms.MultipleChoiceField(
        label=_("Bills to split"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one open bill."),
            "invalid_choice": _("Choose among the payer's open bills."),
        },
    )
    count = forms.IntegerField(
        label=_("Number of instalments"),
        min_value=2,
        max_value=MAX_INSTALMENTS,
        widget=forms.NumberInput(attrs={"class": "input", "dir": "ltr"}),
        error_messages={
            "required": _("Enter the number of instalments."),
            "invalid": _("Enter the number of instalments."),
            "min_value": _("At least 2 instalments."),
            "max_value": _("At most 36 instalments."),
        },
    )
    first_due = JalaliDateField(
        label=_("Due date of the first instalment"),
        error_messages={"required": _("Enter the due date of the first instalment.")},
        widget=forms.TextInput(attrs={"class": "input", "dir": "ltr", "placeholder": "1405/02/15"}),
    )
    reason = _reason()

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["bills"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = choices


class CancelForm(forms.Form):
    reason = _reason()


class ClearanceRequestForm(forms.Form):
    """The citizen's request for a clearance certificate (the portal): one of their properties and a purpose."""

    property_code = forms.ChoiceField(
        label=_("Property"),
        widget=forms.Select(attrs={"class": "input"}),
        error_messages={
            "required": _("Choose the property."),
            "invalid_choice": _("Choose one of your properties."),
        },
    )
    purpose = forms.CharField(
        label=_("What the clearance is for"),
        help_text=_("For example: a sale at notary office no. 12 of Bojnurd."),
        max_length=200,
        widget=forms.TextInput(attrs={"class": "input", "autocomplete": "off"}),
        error_messages={
            "required": _("Say what the clearance is for."),
            "max_length": _("Keep the purpose under 200 characters."),
        },
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["property_code"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices
