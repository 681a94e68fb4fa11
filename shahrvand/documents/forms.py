"""Forms of the staff document page: revoking and reissuing, each with a required reason."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shahrvand.core.text import normalize_letters


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=pgettext_lazy("document", "Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "class": "input"}),
        error_messages={"required": _("Write the reason. It is shown on the public verification page.")},
    )

    def clean_reason(self) -> str:
        reason = normalize_letters(self.cleaned_data["reason"])
        if not reason:
            raise forms.ValidationError(_("Write the reason. It is shown on the public verification page."))
        return reason


class RevokeForm(ReasonForm):
    action = "revoke"


class ReissueForm(ReasonForm):
    action = "reissue"
