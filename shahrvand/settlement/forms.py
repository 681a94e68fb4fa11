"""Forms of the staff settlement pages: the upload and the reconciliation date.

The upload form checks only what can be told without reading the file (it is there, not empty,
not too large, a .csv or .txt); :func:`shahrvand.settlement.services.settlement_import` checks the rest.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from shahrvand.core import jalali
from shahrvand.core.models import City
from shahrvand.core.templatetags.persian import localize_digits
from shahrvand.settlement.parsing import normalize_bank

MAX_UPLOAD_BYTES: Final = 32 * 1024 * 1024
MAX_UPLOAD_MB: Final = MAX_UPLOAD_BYTES // 2**20
_SUFFIXES: Final = (".csv", ".txt")


def _jalali_date(value: str) -> dt.date:
    try:
        return jalali.parse_jalali_date(value)
    except ValueError:
        raise forms.ValidationError(
            _("Write the date as a Jalali date, for example 1405/09/12."), code="date"
        ) from None


class _CityForm(forms.Form):
    city = forms.ModelChoiceField(
        label=_("City"),
        queryset=City.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": _("Choose one of your cities.")},
        widget=forms.Select(attrs={"class": "input"}),
    )

    def __init__(self, *args: Any, cities: QuerySet[City], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["city"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = cities
        if "initial" not in kwargs or "city" not in kwargs["initial"]:
            self.initial.setdefault("city", cities.first())


class SettlementUploadForm(_CityForm):
    bank = forms.CharField(
        label=_("Bank"),
        max_length=30,
        required=False,
        help_text=_("The bank's code in Latin letters, e.g. mellat. Empty: taken from the file name."),
    )
    settlement_date = forms.CharField(
        label=_("Settlement date"),
        max_length=20,
        required=False,
        help_text=_("Jalali, e.g. 1405/09/12. Empty: taken from the file name."),
    )
    file = forms.FileField(
        label=_("Settlement file"),
        error_messages={
            "required": _("Choose the bank's settlement file (CSV)."),
            "empty": _("The file is empty. Choose the settlement file again."),
            "invalid": _("No file was received. Choose the settlement file again."),
        },
    )

    def __init__(self, *args: Any, too_large: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.too_large = too_large

    @staticmethod
    def too_large_message() -> str:
        return str(
            _("The file is larger than %(mb)s MB. Ask the bank for one file per settlement date.")
            % {"mb": localize_digits(MAX_UPLOAD_MB)}
        )

    def full_clean(self) -> None:
        super().full_clean()
        if self.too_large and "file" in self.errors:
            self.errors["file"] = self.error_class([self.too_large_message()])

    def clean_bank(self) -> str:
        value: str = self.cleaned_data["bank"]
        if value and not normalize_bank(value):
            raise forms.ValidationError(_("Write the bank's code in Latin letters, e.g. mellat."), code="bank")
        return normalize_bank(value) if value else ""

    def clean_settlement_date(self) -> dt.date | None:
        value: str = self.cleaned_data["settlement_date"]
        return _jalali_date(value) if value else None

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        assert isinstance(upload, UploadedFile)
        if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(self.too_large_message(), code="too_large")
        if not upload.size:
            raise forms.ValidationError(self.fields["file"].error_messages["empty"], code="empty")
        if not (upload.name or "").lower().endswith(_SUFFIXES):
            raise forms.ValidationError(
                _(
                    "This is not a settlement file. "
                    "Upload the bank's file as CSV (UTF-8), named like mellat_14050912.csv."
                ),
                code="type",
            )
        return upload

    def file_bytes(self) -> bytes:
        upload: UploadedFile = self.cleaned_data["file"]
        upload.seek(0)
        return b"".join(upload.chunks())


class ReconcileForm(_CityForm):
    date = forms.CharField(label=_("Settlement date"), max_length=20, help_text=_("Jalali, e.g. 1405/09/12."))
    bank = forms.CharField(label=_("Bank"), max_length=30, required=False, help_text=_("Empty: every bank."))

    def clean_date(self) -> dt.date:
        return _jalali_date(self.cleaned_data["date"])

    def clean_bank(self) -> str:
        value: str = self.cleaned_data["bank"]
        if value and not normalize_bank(value):
            raise forms.ValidationError(_("Write the bank's code in Latin letters, e.g. mellat."), code="bank")
        return normalize_bank(value) if value else ""
