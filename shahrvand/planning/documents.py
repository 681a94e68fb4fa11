"""The planning information certificate (گواهی اطلاعات شهرسازی) as a one-page signed document.

Issued through :func:`shahrvand.documents.services.document_issue` (numbered, signed, rendered once),
signed in the name of the planning unit (``Role.PLANNING``). ``actor`` is ``None`` when the system
issues it for an owner's online request (the request's cleaner made sure the property is theirs).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from django.conf import settings
from django.utils import translation

from shahrvand.core.models import Role, User
from shahrvand.documents.models import Document
from shahrvand.documents.services import document_issue
from shahrvand.registry.models import LandUse, Parcel, Zoning

#: The approved plan the figures come from; ``settings.SHAHRVAND_DETAILED_PLAN`` names Bojnurd's own.
DEFAULT_PLAN: Final = "طرح تفصیلی مصوب شهر {city}"


def _metres(value: Decimal | None) -> str:
    return f"{format(value.normalize(), 'f')} متر" if value is not None else ""


def uses_fa(uses: list[str]) -> str:
    with translation.override("fa"):
        return "، ".join(str(LandUse(u).label) if u in LandUse.values else u for u in uses)


def certificate_fields(parcel: Parcel, zoning: Zoning) -> dict[str, str]:
    """The certified fields: the parcel and its zoning, in Persian (digits become Persian on the page)."""
    plan = str(getattr(settings, "SHAHRVAND_DETAILED_PLAN", "") or DEFAULT_PLAN.format(city=parcel.district.city.name))
    planned = _metres(zoning.planned_passage_width_m)
    existing = _metres(parcel.frontage_width_m)
    if planned and existing and zoning.planned_passage_width_m != parcel.frontage_width_m:
        street = f"{planned} (موجود {existing})"
    else:
        street = planned or existing or "ثبت نشده"
    setback = "بدون عقب‌نشینی" if not zoning.setback_m else f"{_metres(zoning.setback_m)} در اجرای عرض معبر طرح"
    return {
        "renovation_code": parcel.code,
        "address": parcel.address,
        "land_area": format(parcel.land_area_m2.normalize(), "f"),
        "plan": plan,
        "plan_use": uses_fa(list(zoning.permitted_uses or [])),
        "zone": zoning.zone,
        "density": f"{zoning.max_density_pct} درصد",
        "occupancy": f"{zoning.max_occupancy_pct} درصد",
        "max_floors": f"{zoning.max_floors} طبقه",
        "street_width": street,
        "setback": setback,
    }


def planning_info_issue(
    *, actor: User | None, parcel: Parcel, zoning: Zoning, national_code: str, subject_ref: str
) -> Document:
    """Issue the certificate of ``parcel``'s zoning for the owner with ``national_code``."""
    return document_issue(
        actor=actor,
        doc_type="planning_info",
        district=parcel.district,
        fields=certificate_fields(parcel, zoning),
        signer_role=str(Role.PLANNING),
        subject_national_code=national_code,
        subject_ref=subject_ref,
    )
