"""Forms of the staff case pages: queue filters, a move with its comment, assignment, a file, a holiday."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from shahrvand.cases.workflows import STATUS_LABELS, WORKFLOWS
from shahrvand.core.jalali import parse_jalali_date
from shahrvand.core.models import District

SCOPES: Final = (
    ("open", _("Open")),
    ("waiting", _("Waiting for my role")),
    ("mine", _("Assigned to me")),
    ("unassigned", _("Not assigned")),
    ("overdue", _("Overdue")),
    ("closed", _("Closed")),
    ("all", _("All")),
)


class QueueFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Tracking code, national code or renovation code"), max_length=60, required=False, strip=True
    )
    district = forms.ModelChoiceField(
        label=_("District"), queryset=District.objects.none(), required=False, empty_label=_("All my districts")
    )
    case_type = forms.ChoiceField(label=_("Type"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    scope = forms.ChoiceField(label=_("Show"), choices=SCOPES, required=False)
    page = forms.IntegerField(min_value=1, max_value=10_000, required=False)

    def __init__(self, *args: Any, districts: QuerySet[District], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts  # type: ignore[attr-defined]  # a ModelChoiceField
        self.fields["case_type"].choices = [("", _("All types")), *((c, w.label) for c, w in WORKFLOWS.items())]  # type: ignore[attr-defined]  # a ChoiceField
        self.fields["status"].choices = [("", _("Any status")), *STATUS_LABELS.items()]  # type: ignore[attr-defined]  # a ChoiceField


class MoveForm(forms.Form):
    action = forms.CharField(max_length=40)
    role = forms.CharField(max_length=20)
    comment = forms.CharField(label=_("Comment"), max_length=2000, required=False, widget=forms.Textarea)


class AssignForm(forms.Form):
    """``me``, ``none`` (back to the shared queue) or a staff member's id."""

    assignee = forms.CharField(max_length=20)


class BulkAssignForm(forms.Form):
    """The queue's bulk assignment: ``me``, ``none`` or a staff id, and the queue's query to go back to.

    The ticked requests come as the repeated ``cases`` field (tracking codes), read by the view: the
    service says which ones cannot be assigned and why.
    """

    assignee = forms.CharField(max_length=20)
    back = forms.CharField(max_length=500, required=False)


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))


class HolidayForm(forms.Form):
    date = forms.CharField(label=_("Date"), max_length=20, help_text=_("Jalali, e.g. 1405/01/12"))
    name = forms.CharField(label=_("Name"), max_length=100)

    def clean_date(self) -> dt.date:
        try:
            return parse_jalali_date(self.cleaned_data["date"])
        except ValueError:
            raise forms.ValidationError(_("Write a Jalali date such as 1405/01/12.")) from None
