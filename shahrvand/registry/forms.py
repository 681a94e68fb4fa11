"""Forms of the staff registry pages: the search box and the delivery upload.

The upload form checks only what can be told without reading the delivery — a file is there, it
is not empty, not larger than :data:`MAX_UPLOAD_BYTES`, and it is a .zip or an .xlsx (by name and
by its first bytes) — and turns the file into bytes for :func:`shahrvand.registry.services.delivery_upload`,
which validates the content.
"""

from __future__ import annotations

from typing import Any, Final

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from shahrvand.core.models import District
from shahrvand.core.templatetags.persian import localize_digits

MAX_UPLOAD_BYTES: Final = 50 * 1024 * 1024
MAX_UPLOAD_MB: Final = MAX_UPLOAD_BYTES // 2**20
_ZIP_MAGIC: Final = b"PK\x03\x04"
_ALLOWED_SUFFIXES: Final = (".zip", ".xlsx")


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search the registry"), max_length=100, required=False, strip=True)
    district = forms.ModelChoiceField(
        label=_("District"), queryset=District.objects.none(), required=False, empty_label=_("All my districts")
    )
    page = forms.IntegerField(min_value=1, max_value=1000, required=False)

    def __init__(self, *args: Any, districts: QuerySet[District], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        district_field = self.fields["district"]
        assert isinstance(district_field, forms.ModelChoiceField)
        district_field.queryset = districts


class DeliveryUploadForm(forms.Form):
    district = forms.ModelChoiceField(
        label=_("District"),
        queryset=District.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": _("Choose one of your districts.")},
    )
    file = forms.FileField(
        label=_("Delivery file"),
        error_messages={
            "required": _("Choose the delivery file: a .zip of the CSV folder or an .xlsx workbook."),
            "empty": _("The file is empty. Choose the delivery file again."),
            "invalid": _("No file was received. Choose the delivery file again."),
        },
    )

    def __init__(self, *args: Any, districts: QuerySet[District], too_large: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        district_field = self.fields["district"]
        assert isinstance(district_field, forms.ModelChoiceField)
        district_field.queryset = districts
        self.too_large = too_large

    @staticmethod
    def too_large_message() -> str:
        return str(
            _("The file is larger than %(mb)s MB. Split the delivery by district or remove what is not needed.")
            % {"mb": localize_digits(MAX_UPLOAD_MB)}
        )

    def full_clean(self) -> None:
        super().full_clean()
        if self.too_large and "file" in self.errors:
            # The size-limit handler dropped the file: say why instead of "no file".
            self.errors["file"] = self.error_class([self.too_large_message()])

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        assert isinstance(upload, UploadedFile)
        if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(self.too_large_message(), code="too_large")
        if not upload.size:
            raise forms.ValidationError(self.fields["file"].error_messages["empty"], code="empty")
        name = (upload.name or "").lower()
        upload.seek(0)
        head = upload.read(4)
        upload.seek(0)
        if not name.endswith(_ALLOWED_SUFFIXES) or head != _ZIP_MAGIC:
            raise forms.ValidationError(
                _(
                    "This is not a delivery file. Upload the audit delivery as a .zip of the folder of CSV files, "
                    "or as an .xlsx workbook (a single CSV file is not enough)."
                ),
                code="type",
            )
        return upload

    def file_bytes(self) -> bytes:
        upload: UploadedFile = self.cleaned_data["file"]
        upload.seek(0)
        return b"".join(upload.chunks())
