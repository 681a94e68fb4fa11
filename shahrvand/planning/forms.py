"""Forms of the planning pages: the staff zoning form and the owner's certificate request."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shahrvand.registry.models import LandUse


def _text(label: Any, *, help_text: Any = "", required: bool = True, mode: str = "numeric") -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=20,
        widget=forms.TextInput(attrs={"class": "input input--short", "inputmode": mode, "autocomplete": "off"}),
    )


class ZoningForm(forms.Form):
    """The zoning of a parcel as a planning officer types it; the service checks the values and bounds."""

    zone = _text(_("Zone code"), help_text=_("As in the detailed plan, e.g. R122."), mode="text")
    permitted_uses = forms.MultipleChoiceField(
        label=_("Permitted uses"),
        choices=LandUse.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one permitted use.")},
    )
    max_floors = _text(_("Maximum floors"), help_text=_("1 to 30."))
    max_density_pct = _text(_("Maximum density (%)"), help_text=_("Floor area as a percentage of the land, 0 to 1000."))
    max_occupancy_pct = _text(_("Maximum ground coverage (%)"), help_text=_("0 to 100."))
    setback_m = _text(_("Setback (m)"), help_text=_("Leave empty when there is none."), required=False, mode="decimal")
    planned_passage_width_m = _text(
        _("Planned street width (m)"), help_text=_("From the detailed plan."), required=False, mode="decimal"
    )
    note = forms.CharField(
        label=_("Reason or decision"),
        help_text=_("E.g. the Article 5 commission's decision number. Kept in the audit trail."),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"class": "input", "autocomplete": "off"}),
    )

    #: which field a service refusal belongs to
    ERROR_FIELDS = {
        "zoning.zone": "zone",
        "zoning.use": "permitted_uses",
        "zoning.no_use": "permitted_uses",
        "zoning.floors": "max_floors",
        "zoning.density": "max_density_pct",
        "zoning.occupancy": "max_occupancy_pct",
        "zoning.setback": "setback_m",
        "zoning.street": "planned_passage_width_m",
    }


class PlanningInfoRequestForm(forms.Form):
    """An owner's request for the planning information certificate: one of their properties."""

    property_code = forms.ChoiceField(
        label=_("Property"),
        widget=forms.Select(attrs={"class": "input"}),
        error_messages={"required": _("Choose the property."), "invalid_choice": _("Choose one of your properties.")},
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["property_code"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices
