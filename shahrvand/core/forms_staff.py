"""The city admin's go-live switch of a district (``/staff/districts/``)."""

from __future__ import annotations

from django import forms


class GoLiveForm(forms.Form):
    enabled = forms.TypedChoiceField(choices=(("1", "1"), ("0", "0")), coerce=lambda value: value == "1")
    reason = forms.CharField(max_length=500, required=False, strip=True)
