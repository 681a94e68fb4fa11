"""Forms of the tariff and assessment staff pages: they parse input; the services decide."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from shahrvand.core import jalali
from shahrvand.core.models import City
from shahrvand.core.text import to_latin_digits

MAX_TARIFF_BYTES = 1_000_000


class PersianIntegerField(forms.IntegerField):
    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str):
            value = to_latin_digits(value).strip()
        result: int | None = super().to_python(value)
        return result


class TariffUploadForm(forms.Form):
    city = forms.ModelChoiceField(
        queryset=City.objects.none(),
        label=_("City"),
        error_messages={"required": _("Choose the city."), "invalid_choice": _("Choose one of your cities.")},
        widget=forms.Select(attrs={"class": "input"}),
    )
    year = PersianIntegerField(
        label=_("Jalali year"),
        min_value=1390,
        max_value=1499,
        error_messages={
            "required": _("Enter the Jalali year, e.g. 1405."),
            "invalid": _("Enter the Jalali year as a number, e.g. 1405."),
            "min_value": _("Enter a Jalali year between 1390 and 1499."),
            "max_value": _("Enter a Jalali year between 1390 and 1499."),
        },
    )
    file = forms.FileField(
        label=_("Tariff file (JSON)"),
        error_messages={
            "required": _("Choose the tariff file (.json) to upload."),
            "empty": _("The file is empty."),
            "invalid": _("Choose the tariff file (.json) to upload."),
        },
    )
    note = forms.CharField(label=_("What this version changes"), required=False, max_length=2000)

    def __init__(self, *args: Any, cities: QuerySet[City], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["city"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = cities

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        assert isinstance(upload, UploadedFile)
        if upload.size is not None and upload.size > MAX_TARIFF_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB; a tariff book is a small JSON file."))
        data = upload.read(MAX_TARIFF_BYTES + 1)
        if len(data) > MAX_TARIFF_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB; a tariff book is a small JSON file."))
        return data


class TariffApproveForm(forms.Form):
    approval_number = forms.CharField(
        label=_("Council approval number"),
        max_length=40,
        error_messages={"required": _("Enter the number of the council's approval.")},
    )
    approval_date = forms.CharField(
        label=_("Council approval date (Jalali, YYYY/MM/DD)"),
        max_length=20,
        error_messages={"required": _("Enter the date of the council's approval, e.g. 1404/12/20.")},
    )

    def clean_approval_date(self) -> dt.date:
        text = self.cleaned_data["approval_date"]
        try:
            value = jalali.parse_jalali_date(text)
        except ValueError:
            raise forms.ValidationError(
                _("Enter the approval date as a Jalali date YYYY/MM/DD, e.g. 1404/12/20.")
            ) from None
        if value > jalali.today():
            raise forms.ValidationError(_("The approval date cannot be in the future."))
        return value


class AssessmentStartForm(forms.Form):
    year = PersianIntegerField(
        label=_("Jalali year"),
        min_value=1390,
        max_value=1499,
        error_messages={
            "required": _("Enter the Jalali year, e.g. 1405."),
            "invalid": _("Enter the Jalali year as a number, e.g. 1405."),
            "min_value": _("Enter a Jalali year between 1390 and 1499."),
            "max_value": _("Enter a Jalali year between 1390 and 1499."),
        },
    )
    dry_run = forms.BooleanField(label=_("Dry run: compute and report, write no bill"), required=False)
