"""The demo's building permit: the demo citizen applies for one on a parcel they own, through the real
services (co-owners approve, the pre-check passes, the demo clerk checks the documents), so the demo
inspector finds a site visit waiting on /staff/permits/ and the citizen a timeline on /portal/permits/.
"""

from __future__ import annotations

from decimal import Decimal

from shahrvand.cases.errors import CaseError
from shahrvand.citizens.models import Citizen
from shahrvand.core.models import Role, RoleGrant, User
from shahrvand.permits import services
from shahrvand.permits import workflow as wf
from shahrvand.permits.models import Permit
from shahrvand.permits.precheck import FloorIn
from shahrvand.registry.models import Ownership, Zoning


def _clerk(citizen: Citizen) -> User | None:
    grant = (
        RoleGrant.objects.filter(role=Role.CLERK, district=citizen.district, revoked_at__isnull=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return grant.user if grant is not None else None


def demo_permit_create(citizen: Citizen) -> Permit | None:
    """A permit waiting for the site visit, on the citizen's first zoned parcel; None when none fits."""
    if Permit.objects.filter(applicant=citizen.person).exists():
        return Permit.objects.filter(applicant=citizen.person).order_by("pk").first()
    parcels = Ownership.objects.filter(person=citizen.person, missing_since__isnull=True).values_list(
        "parcel_id", flat=True
    )
    zoning = next(
        (
            z
            for z in Zoning.objects.filter(parcel_id__in=list(parcels)).select_related("parcel").order_by("pk")
            if {"residential", "mixed"} & set(z.permitted_uses)
        ),
        None,
    )
    clerk = _clerk(citizen)
    if zoning is None or clerk is None:
        return None
    parcel = zoning.parcel
    ground = (parcel.land_area_m2 * Decimal(zoning.max_occupancy_pct) / 200).quantize(Decimal("0.01"))
    floors = [FloorIn(0, "residential", ground, 1)]
    if zoning.max_floors >= 2:
        floors.append(FloorIn(1, "residential", ground, 1))
    try:
        permit = services.permit_draft_create(
            actor=citizen.user,
            person=citizen.person,
            district=citizen.district,
            parcel_code=parcel.code,
            kind="new",
            floors=floors,
            parking_spaces=len(floors),
            setback_m=zoning.setback_m or Decimal(0),
            designer_name="مهندس سارا معماری",
            designer_licence="11-300-1405",
        )
        for approval in permit.approvals.select_related("person"):
            user = approval.person.citizen.user if hasattr(approval.person, "citizen") else citizen.user
            services.permit_approval_decide(actor=user, person=approval.person, permit=permit, approve=True)
        services.permit_submit(actor=citizen.user, person=citizen.person, permit=permit)
        permit.refresh_from_db()
        services.permit_act(actor=clerk, permit=permit, action="check_documents", role=wf.CLERK)
    except CaseError:
        return None
    return permit
