"""The auditor's search form: every field optional, bounded, any digit set."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shahrvand.audit.search import AuditQuery
from shahrvand.core.identifiers import IdentifierError, parse_national_code
from shahrvand.core.jalali import parse_jalali_date
from shahrvand.core.models import District
from shahrvand.core.text import to_latin_digits


def tehran_midnight(day: dt.date) -> dt.datetime:
    """The start of ``day`` in the project's time zone (Asia/Tehran)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class AuditSearchForm(forms.Form):
    actor = forms.CharField(label=_("Staff member"), max_length=150, required=False)
    citizen = forms.CharField(label=_("Citizen's national code"), max_length=20, required=False)
    record = forms.CharField(label=_("Record"), max_length=120, required=False)
    action = forms.CharField(label=_("Action"), max_length=80, required=False)
    district = forms.IntegerField(label=_("District"), required=False, min_value=1, max_value=2**31 - 1)
    since = forms.CharField(label=_("From (Jalali date)"), max_length=10, required=False)
    until = forms.CharField(label=_("To (Jalali date)"), max_length=10, required=False)
    reads = forms.BooleanField(label=_("Only reads of personal data"), required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=20_000)

    def __init__(self, *args: Any, districts: list[District], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.districts = {d.pk: d for d in districts}
        self.fields["page"].error_messages["min_value"] = _("Not a page of these results.")
        self.fields["page"].error_messages["max_value"] = _("Not a page of these results.")
        self.fields["page"].error_messages["invalid"] = _("Not a page of these results.")
        self.fields["district"].error_messages["invalid"] = _("Choose one of your districts.")

    def clean_citizen(self) -> str:
        value = self.cleaned_data["citizen"].strip()
        if not value:
            return ""
        try:
            return parse_national_code(value)
        except IdentifierError as exc:
            raise forms.ValidationError(_("This is not a valid national code.")) from exc

    def clean_district(self) -> District | None:
        pk = self.cleaned_data["district"]
        if pk is None:
            return None
        if pk not in self.districts:
            raise forms.ValidationError(_("Choose one of your districts."))
        return self.districts[pk]

    def _date(self, name: str) -> dt.date | None:
        value = to_latin_digits(self.cleaned_data[name].strip())
        if not value:
            return None
        try:
            return parse_jalali_date(value)
        except ValueError as exc:
            raise forms.ValidationError(_("Write a Jalali date as year/month/day, e.g. 1405/01/15.")) from exc

    def clean_since(self) -> dt.date | None:
        return self._date("since")

    def clean_until(self) -> dt.date | None:
        return self._date("until")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date is before the start date."))
        return data

    def query(self) -> AuditQuery:
        data = self.cleaned_data
        since, until = data.get("since"), data.get("until")
        return AuditQuery(
            actor=data.get("actor", "").strip(),
            citizen=data.get("citizen", ""),
            record=data.get("record", "").strip(),
            action=data.get("action", "").strip(),
            district=data.get("district"),
            since=tehran_midnight(since) if since else None,
            until=tehran_midnight(until + dt.timedelta(days=1)) if until else None,
            reads_only=bool(data.get("reads")),
        )

    @property
    def page_number(self) -> int:
        return int(self.cleaned_data.get("page") or 1)
