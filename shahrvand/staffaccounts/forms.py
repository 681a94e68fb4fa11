"""Forms of the staff-accounts pages: they parse and give specific errors; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from shahrvand.core.identifiers import IdentifierError, parse_mobile, parse_national_code
from shahrvand.core.models import City, District, Role, User
from shahrvand.core.text import to_latin_digits
from shahrvand.staffaccounts.selectors import CITY_WIDE, city_districts
from shahrvand.staffaccounts.services import REASON_MAX, USERNAME_RE, StaffAccountError, check_scope


def localized(error: StaffAccountError | IdentifierError) -> str:
    return error.message_en if (get_language() or "fa").startswith("en") else error.message_fa


def _district_choices(city: City, *, blank: str) -> list[tuple[str, str]]:
    english = (get_language() or "fa").startswith("en")
    choices = [("", blank), (CITY_WIDE, str(_("Whole city")))]
    for d in city_districts(city):
        choices.append((str(d.pk), f"District {d.number}" if english else d.name))
    return choices


def _set_choices(field: forms.Field, choices: list[tuple[str, str]]) -> None:
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


LTR_FIELDS = frozenset({"username", "mobile", "national_code"})


class _Styled(forms.Form):
    """Widgets with the site's classes; identifiers typed left to right."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            classes = ["input"]
            if isinstance(field, forms.ChoiceField):
                classes.append("select")
            if name in LTR_FIELDS:
                classes.append("input--ltr")
                field.widget.attrs["dir"] = "ltr"
                field.widget.attrs["autocomplete"] = "off"
            field.widget.attrs["class"] = " ".join(classes)


class _ScopedForm(_Styled):
    """A role and where it is held: one district of the city, or the whole city."""

    role = forms.ChoiceField(
        label=_("Role"), choices=[("", "—"), *Role.choices], error_messages={"required": _("Choose a role.")}
    )
    district = forms.ChoiceField(
        label=_("Where"),
        choices=(),
        error_messages={
            "required": _("Choose a district, or the whole city."),
            "invalid_choice": _("Choose a district of this city, or the whole city."),
        },
    )

    def __init__(self, *args: Any, city: City, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.city = city
        _set_choices(self.fields["district"], _district_choices(city, blank="—"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role, where = data.get("role"), data.get("district")
        if role and where:
            district = None if where == CITY_WIDE else District.objects.filter(pk=int(where), city=self.city).first()
            data["district_obj"] = district
            try:
                check_scope(role=role, district=district, city=self.city)
            except StaffAccountError as exc:
                self.add_error(exc.field or "district", localized(exc))
        return data


class AccountCreateForm(_ScopedForm):
    username = forms.CharField(
        label=_("Username"),
        max_length=30,
        help_text=_("English lower-case letters, digits, dot, dash or underscore; it cannot be changed later."),
        error_messages={"required": _("Enter a username.")},
    )
    first_name = forms.CharField(
        label=_("First name"), max_length=150, error_messages={"required": _("Enter the first name.")}
    )
    last_name = forms.CharField(
        label=_("Last name"), max_length=150, error_messages={"required": _("Enter the last name.")}
    )
    mobile = forms.CharField(
        label=_("Mobile"),
        max_length=20,
        help_text=_("The temporary password is sent here by SMS."),
        error_messages={"required": _("Enter the mobile number.")},
    )
    national_code = forms.CharField(label=_("National code (optional)"), max_length=20, required=False)

    field_order = ["first_name", "last_name", "username", "mobile", "national_code", "role", "district"]

    def clean_username(self) -> str:
        value = to_latin_digits(self.cleaned_data["username"]).strip().lower()
        if not USERNAME_RE.fullmatch(value):
            raise forms.ValidationError(localized(StaffAccountError("username_format")), code="format")
        if User.objects.filter(username__iexact=value).exists():
            raise forms.ValidationError(localized(StaffAccountError("username_taken")), code="taken")
        return value

    def clean_mobile(self) -> str:
        try:
            return parse_mobile(self.cleaned_data["mobile"])
        except IdentifierError as exc:
            raise forms.ValidationError(localized(exc), code=exc.code) from None

    def clean_national_code(self) -> str:
        value = to_latin_digits(self.cleaned_data.get("national_code") or "").strip()
        if not value:
            return ""
        try:
            return parse_national_code(value)
        except IdentifierError as exc:
            raise forms.ValidationError(localized(exc), code=exc.code) from None


class GrantForm(_ScopedForm):
    pass


class ReasonForm(_Styled):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX,
        error_messages={
            "required": _("Write the reason."),
            "max_length": _("The reason is at most 500 characters."),
        },
    )


class FilterForm(_Styled):
    q = forms.CharField(label=_("Name or username"), max_length=100, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=[("", _("Any role")), *Role.choices], required=False)
    district = forms.ChoiceField(label=_("Where"), choices=(), required=False)
    active = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Active or not")), ("1", _("Active")), ("0", _("Deactivated"))],
        required=False,
    )

    def __init__(self, *args: Any, city: City, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self.fields["district"], _district_choices(city, blank=str(_("Anywhere"))))
