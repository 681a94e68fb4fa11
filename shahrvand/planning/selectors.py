"""Reads of the planning unit: parcels a planning officer may edit, a zoning's history, the portal's rules."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from shahrvand.cases import selectors as case_selectors
from shahrvand.cases.models import Case
from shahrvand.core.access import Action, districts_for, require
from shahrvand.core.models import User
from shahrvand.core.text import to_latin_digits
from shahrvand.documents.models import Document
from shahrvand.planning.workflow import PLANNING_INFO
from shahrvand.registry.models import ChangeRecord, Parcel, Person, Zoning


def parcel_for_planning(*, actor: User, parcel_id: int) -> Parcel:
    """The parcel, if it exists (404) and ``actor`` may edit planning data in its district (403, audited)."""
    parcel = Parcel.objects.select_related("district__city").filter(pk=parcel_id).first()
    if parcel is None:
        raise Http404("no such parcel")
    require(actor, Action.PLANNING_EDIT, parcel.district)
    return parcel


def parcels_for_planning(*, actor: User, query: str = "", limit: int = 50) -> QuerySet[Parcel]:
    """Parcels of the districts where ``actor`` edits planning data, by renovation code or address."""
    parcels = Parcel.objects.filter(district__in=districts_for(actor, Action.PLANNING_EDIT)).select_related(
        "district", "zoning"
    )
    text = to_latin_digits(query or "").strip()
    if text:
        parcels = parcels.filter(Q(code__startswith=text) | Q(address__icontains=text) | Q(zoning__zone__iexact=text))
    return parcels.order_by("district__number", "zone_no", "block_no", "parcel_no")[:limit]


def zoning_of(parcel: Parcel) -> Zoning | None:
    return Zoning.objects.filter(parcel=parcel).select_related("last_delivery", "missing_since").first()


def zoning_history(parcel: Parcel, limit: int = 50) -> list[ChangeRecord]:
    """Every change of the parcel's zoning, newest first: deliveries and planning officers."""
    return list(
        ChangeRecord.objects.filter(district_id=parcel.district_id, entity="zoning", key=parcel.code)
        .select_related("actor", "delivery")
        .order_by("-at", "-pk")[:limit]
    )


@dataclass(frozen=True)
class Override:
    """A delivery changed fields that a planning officer had set: the officer's edit and what the delivery did."""

    edit: ChangeRecord
    by_delivery: ChangeRecord
    fields: tuple[str, ...]


def delivery_overrides(history: list[ChangeRecord]) -> list[Override]:
    """Deliveries (newest first) that changed a field after a planning officer's edit of that field."""
    found: list[Override] = []
    chronological = list(reversed(history))
    for i, change in enumerate(chronological):
        if change.delivery_id is None:
            continue
        earlier_edits = [c for c in chronological[:i] if c.delivery_id is None]
        if not earlier_edits:
            continue
        last_edit = earlier_edits[-1]
        fields = tuple(sorted(set(change.changes or {}) & set(last_edit.changes or {})))
        if fields:
            found.append(Override(last_edit, change, fields))
    return list(reversed(found))


def my_planning_requests(person: Person, limit: int = 5) -> list[Case]:
    return list(case_selectors.cases_for_person(person).filter(case_type=PLANNING_INFO)[:limit])


def my_planning_request(person: Person, tracking_code: str) -> Case | None:
    case = case_selectors.case_for_requester(person, tracking_code)
    if case is None or case.case_type != PLANNING_INFO:
        return None
    return case


def certificate_of(person: Person, case: Case) -> Document | None:
    """The certificate a request issued, if it is the person's own document."""
    number = str((case.data or {}).get("document") or "")
    if not number:
        return None
    return Document.objects.defer("pdf").filter(number=number, subject_national_code=person.national_code).first()
