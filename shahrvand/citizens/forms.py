"""Forms of the counter and the portal: they parse and check what was typed; services decide."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from shahrvand.citizens.models import IdDocument
from shahrvand.citizens.services import LinkDecision, PersonData
from shahrvand.core.jalali import parse_jalali_date
from shahrvand.core.models import District
from shahrvand.core.text import to_latin_digits
from shahrvand.documents.types import ltr_isolate

OTP_ATTRS = {
    "inputmode": "numeric",
    "autocomplete": "one-time-code",
    "maxlength": "6",
    "class": "input input--ltr input--code",
    "dir": "ltr",
}


def _style(form: forms.BaseForm) -> None:
    """The site's input classes on every text box and list that has none (checkboxes and radios keep theirs)."""
    for field in form.fields.values():
        widget = field.widget
        if "class" in widget.attrs or isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
            continue
        widget.attrs["class"] = "input select" if isinstance(widget, forms.Select) else "input"


def _ltr(**extra: str) -> dict[str, str]:
    return {"class": "input input--ltr", "dir": "ltr", "autocapitalize": "none", "spellcheck": "false", **extra}


# --------------------------------------------------------------------------------------------------
# The counter
# --------------------------------------------------------------------------------------------------


class CounterFindForm(forms.Form):
    district = forms.ModelChoiceField(queryset=District.objects.none(), label=_("Counter of"), empty_label=None)
    national_code = forms.CharField(
        label=_("National code"),
        max_length=20,
        widget=forms.TextInput(attrs=_ltr(inputmode="numeric", autocomplete="off")),
        help_text=_("From the national ID card. Persian or Latin digits."),
    )

    def __init__(self, *args: Any, districts: QuerySet[District], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["district"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = districts
        field.widget.attrs["class"] = "input select"


@dataclass(frozen=True)
class Holding:
    """One holding on the enrollment form: what the registry says, and what may be corrected."""

    kind: str  # "property" or "business"
    code: str
    title: str
    detail: str
    fields: Sequence[tuple[str, str]]  # (entity.field, label) the clerk may name as wrong


class EnrollForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    father_name = forms.CharField(label=_("Father's name"), max_length=100, required=False)
    birth_date = forms.CharField(
        label=_("Birth date"),
        max_length=10,
        required=False,
        help_text=_("Jalali, e.g. 1360/04/15"),
        widget=forms.TextInput(attrs=_ltr(placeholder="1360/04/15")),
    )
    id_document_type = forms.ChoiceField(label=_("Identity document checked"), choices=IdDocument.choices)
    id_document_number = forms.CharField(
        label=_("Document number"),
        max_length=40,
        widget=forms.TextInput(attrs=_ltr(autocomplete="off")),
        help_text=_("The serial of the card, or the number of the birth certificate or passport."),
    )
    mobile = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs=_ltr(inputmode="tel", autocomplete="off", placeholder="09121234567")),
        help_text=_("The number the citizen will receive codes on. It is checked with the operator's registry."),
    )
    mobile_checked_by_clerk = forms.BooleanField(
        label=_("I checked the SIM card's owner myself (only when the operator's check is not answering)"),
        required=False,
    )

    def __init__(self, *args: Any, holdings: Sequence[Holding] = (), in_audit: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.holdings = list(holdings)
        self.in_audit = in_audit
        self.fields["id_document_type"].widget.attrs["class"] = "input select"
        for index, holding in enumerate(self.holdings):
            code = ltr_isolate(holding.code)  # the code keeps its order inside Persian text
            self.fields[f"link_{index}_status"] = forms.ChoiceField(
                label=format_lazy("{} · {}", code, _("Is it right?")),
                choices=[("confirmed", _("Correct")), ("mismatch", _("Something is wrong"))],
                initial="confirmed",
                widget=forms.RadioSelect,
            )
            self.fields[f"link_{index}_field"] = forms.ChoiceField(
                label=format_lazy("{} · {}", code, _("What is wrong")),
                choices=[("", _("Choose what is wrong")), *holding.fields],
                required=False,
            )
            self.fields[f"link_{index}_value"] = forms.CharField(
                label=format_lazy("{} · {}", code, _("The right value")), max_length=500, required=False
            )
            self.fields[f"link_{index}_note"] = forms.CharField(
                label=format_lazy("{} · {}", code, _("Note (optional)")), max_length=500, required=False
            )
        _style(self)

    def rows(self) -> list[dict[str, Any]]:
        """The holdings with their bound fields, for the template."""
        return [
            {
                "holding": holding,
                "index": index,
                "status": self[f"link_{index}_status"],
                "field": self[f"link_{index}_field"],
                "value": self[f"link_{index}_value"],
                "note": self[f"link_{index}_note"],
            }
            for index, holding in enumerate(self.holdings)
        ]

    def clean_birth_date(self) -> str:
        value = str(self.cleaned_data.get("birth_date") or "").strip()
        if value:
            try:
                parse_jalali_date(value)
            except ValueError:
                raise forms.ValidationError(_("Write the date as year/month/day, e.g. 1360/04/15.")) from None
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.in_audit:
            for name in ("first_name", "last_name"):
                if not str(cleaned.get(name) or "").strip():
                    self.add_error(name, _("Required for a person the audit does not list."))
        for index, _holding in enumerate(self.holdings):
            if cleaned.get(f"link_{index}_status") != "mismatch":
                continue
            if not cleaned.get(f"link_{index}_field"):
                self.add_error(f"link_{index}_field", _("Choose what is wrong."))
            if not str(cleaned.get(f"link_{index}_value") or "").strip():
                self.add_error(f"link_{index}_value", _("Write the right value, as the citizen says it is."))
        return cleaned

    def person_data(self) -> PersonData | None:
        if self.in_audit:
            return None
        birth = str(self.cleaned_data.get("birth_date") or "").strip()
        return PersonData(
            first_name=self.cleaned_data["first_name"],
            last_name=self.cleaned_data["last_name"],
            father_name=self.cleaned_data.get("father_name") or "",
            birth_date=parse_jalali_date(birth) if birth else None,
        )

    def decisions(self) -> list[LinkDecision]:
        result = []
        for index, holding in enumerate(self.holdings):
            status = self.cleaned_data[f"link_{index}_status"]
            result.append(
                LinkDecision(
                    kind="business" if holding.kind == "business" else "property",
                    code=holding.code,
                    status="mismatch" if status == "mismatch" else "confirmed",
                    field=str(self.cleaned_data.get(f"link_{index}_field") or ""),
                    value=str(self.cleaned_data.get(f"link_{index}_value") or "").strip(),
                    note=str(self.cleaned_data.get(f"link_{index}_note") or "").strip(),
                )
            )
        return result


class ReenrollForm(forms.Form):
    id_document_type = forms.ChoiceField(label=_("Identity document checked"), choices=IdDocument.choices)
    id_document_number = forms.CharField(
        label=_("Document number"), max_length=40, widget=forms.TextInput(attrs=_ltr(autocomplete="off"))
    )
    mobile = forms.CharField(
        label=_("New mobile number"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs=_ltr(inputmode="tel", autocomplete="off", placeholder="09121234567")),
        help_text=_("Leave empty to keep the number the account has."),
    )
    mobile_checked_by_clerk = forms.BooleanField(
        label=_("I checked the SIM card's owner myself (only when the operator's check is not answering)"),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["id_document_type"].widget.attrs["class"] = "input select"


# --------------------------------------------------------------------------------------------------
# Activation and sign-in
# --------------------------------------------------------------------------------------------------


class ActivationStartForm(forms.Form):
    citizen_code = forms.CharField(
        label=_("Citizen code"),
        max_length=20,
        widget=forms.TextInput(attrs=_ltr(inputmode="numeric", autocomplete="off", placeholder="1234-5678-9")),
        help_text=_("Nine digits, in the box on your enrollment slip."),
    )
    activation_code = forms.CharField(
        label=_("Activation code"),
        max_length=30,
        widget=forms.TextInput(attrs=_ltr(inputmode="numeric", autocomplete="off", placeholder="1234-5678-9012")),
        help_text=_("Twelve digits at the end of the activation address on your slip."),
    )


class ActivationFinishForm(forms.Form):
    otp_code = forms.CharField(
        label=_("Code sent by SMS"),
        max_length=10,
        widget=forms.TextInput(attrs=OTP_ATTRS),
        help_text=_("Six digits. The code works for five minutes."),
    )
    password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"class": "input input--ltr", "autocomplete": "new-password"}),
        help_text=_("At least 10 characters; not only digits, and not a common password."),
    )
    password2 = forms.CharField(
        label=_("The password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"class": "input input--ltr", "autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("password1") and cleaned.get("password2") and cleaned["password1"] != cleaned["password2"]:
            self.add_error("password2", _("The two passwords are not the same."))
        return cleaned


class CitizenLoginForm(forms.Form):
    identifier = forms.CharField(
        label=_("National code or citizen code"),
        max_length=20,
        widget=forms.TextInput(attrs=_ltr(inputmode="numeric", autocomplete="username")),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"class": "input input--ltr", "autocomplete": "current-password"}),
    )


class OtpForm(forms.Form):
    otp_code = forms.CharField(label=_("Code sent by SMS"), max_length=10, widget=forms.TextInput(attrs=OTP_ATTRS))


# --------------------------------------------------------------------------------------------------
# The portal
# --------------------------------------------------------------------------------------------------


class CorrectionForm(forms.Form):
    field = forms.ChoiceField(label=_("What is wrong"))
    value = forms.CharField(
        label=_("The right value"),
        max_length=500,
        help_text=_("As it should be recorded: for areas, square metres; for dates, the Jalali date."),
    )
    description = forms.CharField(
        label=_("Explanation (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"class": "input", "rows": 3}),
        help_text=_("Anything that helps the clerk check it, e.g. which document shows the right value."),
    )

    def __init__(self, *args: Any, choices: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["field"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Choose a field")), *choices]
        field.widget.attrs["class"] = "input select"
        self.fields["value"].widget.attrs["class"] = "input"

    def clean_value(self) -> str:
        return to_latin_digits(str(self.cleaned_data.get("value") or "")).strip()


class SettingsForm(forms.Form):
    notify_sms = forms.BooleanField(
        label=_("Send me an SMS when one of my requests moves on, a bill is issued or a licence is about to expire"),
        required=False,
    )
    sms_second_step = forms.BooleanField(
        label=_("Ask for a one-time code by SMS every time I sign in, after my password"), required=False
    )


class MobileChangeForm(forms.Form):
    mobile = forms.CharField(
        label=_("New mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs=_ltr(inputmode="tel", autocomplete="tel", placeholder="09121234567")),
        help_text=_("The SIM card must be registered in your name: it is checked with the operator."),
    )


class MobileConfirmForm(forms.Form):
    old_code = forms.CharField(
        label=_("Code sent to your current number"), max_length=10, widget=forms.TextInput(attrs=OTP_ATTRS)
    )
    new_code = forms.CharField(
        label=_("Code sent to the new number"), max_length=10, widget=forms.TextInput(attrs=OTP_ATTRS)
    )
