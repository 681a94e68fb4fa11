"""``{{ line.inputs|bill_inputs }}``: a bill line's inputs as (label, shown value) pairs for people.

Keys become labels in the page's language, numbers get digits of the language and thousands
separators, the tariff becomes "1405, version 1", and digests stay out of sight (they are kept for
the record, not for reading).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from shahrvand.core.templatetags.persian import localize_digits, num
from shahrvand.registry.models import Structure, UnitUse

register = template.Library()

LABELS: dict[str, Any] = {
    "land_area_m2": _("land area (m²)"),
    "unit_area_m2": _("unit area (m²)"),
    "units_area_m2": _("area of all units (m²)"),
    "land_share_m2": _("share of the land (m²)"),
    "regional_value_per_m2": _("regional land value (Rials per m²)"),
    "land_value_coefficient": _("land value coefficient"),
    "land_value": _("land value (Rials)"),
    "structure": _("structure"),
    "construction_year": _("construction year"),
    "age": _("age (years)"),
    "age_band": _("age band"),
    "building_value_per_m2": _("building value (Rials per m²)"),
    "building_value": _("building value (Rials)"),
    "use": _("use"),
    "use_coefficient": _("use coefficient"),
    "value": _("property value (Rials)"),
    "rate_per_mille": _("rate (per mille)"),
    "exempt_rebuilt": _("exempt as rebuilt"),
    "rebuilt_exempt_years": _("exemption after rebuilding (years)"),
    "per_unit": _("per unit (Rials)"),
    "per_person": _("per person (Rials)"),
    "household_size": _("household size"),
    "default_household_size": _("household size when unknown"),
    "persons": _("persons counted"),
    "guild_code": _("guild code"),
    "class": _("guild class"),
    "class_from_default": _("class by default"),
    "area_m2": _("area (m²)"),
    "base": _("base (Rials)"),
    "per_m2": _("per m² (Rials)"),
    "location_coefficient": _("location coefficient"),
    "location_band_max": _("location band up to (Rials per m²)"),
    "business_duty": _("business duty (Rials)"),
    "percent_of_business_duty": _("percent of the business duty"),
    "from": _("from (Rials)"),
    "to": _("to (Rials)"),
    "reason": _("reason"),
    "debt": _("debt (Rials)"),
    "count": _("instalments"),
    "instalment": _("instalment"),
    "remainder": _("remainder (Rials)"),
    "bills": _("bills"),
    "gross_before": _("before (Rials)"),
    "gross_after": _("after (Rials)"),
    "delta": _("change (Rials)"),
    # Building-permit fees (revenue.permit_fees)
    "district": _("district"),
    "land_value_per_m2": _("land value (Rials per m²)"),
    "kind": _("kind of permit"),
    "kind_coefficient": _("coefficient of the kind"),
    "floors": _("floors"),
    "parcel_area_m2": _("parcel area (m²)"),
    "free_percent_of_parcel": _("free density (% of the parcel)"),
    "free_allowance_m2": _("free density (m²)"),
    "parking_required": _("parking spaces required"),
    "parking_provided": _("parking spaces provided"),
    "missing_spaces": _("missing spaces"),
    "area_per_space_m2": _("area per space (m²)"),
    "coefficient": _("coefficient"),
}
PERMIT_KINDS: dict[str, Any] = {"new": _("new building"), "extension": _("extension"), "renovation": _("renovation")}


def _floor_name(number: int) -> str:
    if number == 0:
        return str(_("ground floor"))
    if number < 0:
        return str(_("basement %(n)s")) % {"n": localize_digits(-number)}
    return str(_("floor %(n)s")) % {"n": localize_digits(number)}


def _permit_floor(row: dict[str, Any]) -> str:
    """One floor of a permit fee line: «floor 2 · Residential · 140 m² × 1.5» (charged m² for density)."""
    use = row.get("use")
    use_label = str(UnitUse(use).label) if use in UnitUse.values else str(use)
    area = row.get("charged_m2", row.get("area_m2", ""))
    factor = row.get("multiplier", row.get("coefficient", ""))
    where = _floor_name(int(row.get("floor") or 0))
    text = f"{where} · {use_label} · {localize_digits(area)} m² × {localize_digits(factor)}"
    if "free_m2" in row and row.get("free_m2") not in ("0", 0):
        text += " (" + str(_("%(m2)s m² free")) % {"m2": localize_digits(row["free_m2"])} + ")"
    return text


HIDDEN = frozenset({"rules_sha256", "test"})


def _shown(key: str, value: Any) -> str:
    choices = {"structure": Structure, "use": UnitUse}.get(key)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if key == "tariff" and isinstance(value, dict):
        return str(_("%(year)s, version %(version)s")) % {
            "year": localize_digits(value.get("year", "")),
            "version": localize_digits(value.get("version", "")),
        }
    if isinstance(value, int):
        return str(num(value))
    if isinstance(value, float | Decimal) or (isinstance(value, str) and value.replace(".", "", 1).isdigit()):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return localize_digits(value)
        whole = number == number.to_integral_value()
        return str(num(number)) if whole and abs(number) >= 1000 else localize_digits(value)
    if key == "kind" and value in PERMIT_KINDS:
        return str(PERMIT_KINDS[value])
    if isinstance(value, list) and value and all(isinstance(v, dict) and "floor" in v for v in value):
        return "؛ ".join(_permit_floor(v) for v in value)
    if isinstance(value, list):
        return "، ".join(localize_digits(v) for v in value)
    return localize_digits(value)


@register.filter
def bill_inputs(inputs: object) -> list[tuple[str, str]]:
    if not isinstance(inputs, dict):
        return []
    pairs = []
    for key, value in inputs.items():
        if key in HIDDEN:
            continue
        label = _("tariff") if key == "tariff" else LABELS.get(key, key)
        pairs.append((str(label), _shown(key, value)))
    return pairs
