"""Writes about cities, districts and staff roles. Each is one transaction with its audit entry."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from shahrvand.audit.services import audit_record
from shahrvand.core.access import Action, require
from shahrvand.core.identifiers import parse_legal_id
from shahrvand.core.models import City, District, Role, RoleGrant, User


@transaction.atomic
def city_create(
    *, actor: User | None, name: str, name_en: str, slug: str, province: str, legal_id: str, company_code: str
) -> City:
    """Onboard a city (a platform operator's act: ``actor`` may be ``None`` for a command)."""
    city = City(
        name=name,
        name_en=name_en,
        slug=slug,
        province=province,
        legal_id=parse_legal_id(legal_id),
        company_code=company_code,
    )
    city.full_clean()
    city.save()
    audit_record(
        actor=actor,
        action="core.city_create",
        target=city,
        payload={"slug": slug, "legal_id": city.legal_id, "company_code": company_code},
    )
    return city


@transaction.atomic
def district_create(*, actor: User | None, city: City, number: int, name: str, slug: str = "") -> District:
    district = District(city=city, number=number, name=name, slug=slug or f"{city.slug}-{number}")
    district.full_clean()
    district.save()
    audit_record(
        actor=actor, action="core.district_create", target=district, district=district, payload={"slug": district.slug}
    )
    return district


@transaction.atomic
def role_grant(*, actor: User | None, user: User, role: str, city: City, district: District | None = None) -> RoleGrant:
    """Give ``user`` a role in one district, or city-wide when ``district`` is None.

    A city administrator (``actor``) may grant roles in their city; ``actor=None`` is the
    platform operator (commands, demo data).
    """
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}")
    if district is not None and district.city_id != city.pk:
        raise ValueError("The district is not in that city")
    if actor is not None:
        for scoped in [district] if district is not None else list(city.districts.all()):
            require(actor, Action.STAFF_MANAGE, scoped)
    existing = RoleGrant.objects.filter(user=user, role=role, city=city, district=district, revoked_at__isnull=True)
    grant = existing.first()
    if grant is not None:
        return grant
    grant = RoleGrant.objects.create(user=user, role=role, city=city, district=district, granted_by=actor)
    audit_record(
        actor=actor,
        action="core.role_grant",
        target=grant,
        district=district,
        payload={"user": user.get_username(), "role": role, "city": city.slug, "district": district and district.slug},
    )
    return grant


@transaction.atomic
def role_revoke(*, actor: User | None, grant: RoleGrant) -> RoleGrant:
    grant = RoleGrant.objects.select_for_update().get(pk=grant.pk)
    if actor is not None:
        for scoped in [grant.district] if grant.district is not None else list(grant.city.districts.all()):
            require(actor, Action.STAFF_MANAGE, scoped)
    if grant.revoked_at is None:
        grant.revoked_at = timezone.now()
        grant.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="core.role_revoke",
            target=grant,
            district=grant.district,
            payload={"user": grant.user.get_username(), "role": grant.role},
        )
    return grant
