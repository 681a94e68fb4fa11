"""Reads for the staff-accounts pages: which cities an actor manages, the staff of a city, one account.

"Staff of a city" are the users who hold or held a role grant in it, and the accounts created for
it here (a profile with that city), active or not. Citizens (no grants, no profile) never appear.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from shahrvand.audit.models import AuditEntry
from shahrvand.core.access import AccessDenied, Action, districts_for
from shahrvand.core.models import City, District, Role, RoleGrant, User

USER_TARGET = "core.user"
GRANT_TARGET = "core.rolegrant"
CITY_WIDE = "city"  # the district filter's value for city-wide grants


def managed_cities(actor: User | AnonymousUser | None) -> list[City]:
    """Cities in every district of which ``actor`` may manage staff (``Action.STAFF_MANAGE``).

    In practice a city-wide city-administrator grant. A grant that covers only some districts of a
    city does not make its holder that city's staff administrator.
    """
    allowed: dict[int, set[int]] = {}
    for district_id, city_id in districts_for(actor, Action.STAFF_MANAGE).values_list("pk", "city_id"):
        allowed.setdefault(city_id, set()).add(district_id)
    if not allowed:
        return []
    cities = []
    for city in City.objects.filter(pk__in=allowed).prefetch_related("districts").order_by("name"):
        every = {d.pk for d in city.districts.all()}
        if every and every <= allowed[city.pk]:
            cities.append(city)
    return cities


def may_manage(actor: User | AnonymousUser | None, city: City) -> bool:
    return any(c.pk == city.pk for c in managed_cities(actor))


def require_manage(actor: User | AnonymousUser | None, city: City) -> None:
    """Raise :class:`AccessDenied` (a 403, audited as ``access.denied``) unless ``actor`` manages ``city``."""
    if not may_manage(actor, city):
        raise AccessDenied(actor=actor, action=Action.STAFF_MANAGE, district=None)


def staff_of(city: City) -> QuerySet[User]:
    return User.objects.filter(
        Q(pk__in=RoleGrant.objects.filter(city=city).values("user")) | Q(staff_profile__city=city)
    )


def _has_totp() -> Exists:
    return Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))


@dataclass(frozen=True)
class StaffFilters:
    role: str = ""
    district: str = ""  # a district pk as text, CITY_WIDE, or ""
    active: str = ""  # "1", "0" or ""
    q: str = ""


def staff_list(*, city: City, filters: StaffFilters) -> QuerySet[User]:
    """The city's staff, with their active grants in it (``active_grants``) and ``has_totp``, by name."""
    users = staff_of(city)
    if filters.role or filters.district:
        grants = RoleGrant.objects.filter(user=OuterRef("pk"), city=city, revoked_at__isnull=True)
        if filters.role:
            grants = grants.filter(role=filters.role)
        if filters.district == CITY_WIDE:
            grants = grants.filter(district__isnull=True)
        elif filters.district:
            grants = grants.filter(district_id=int(filters.district))
        users = users.filter(Exists(grants))
    if filters.active in ("0", "1"):
        users = users.filter(is_active=filters.active == "1")
    if filters.q:
        for word in filters.q.split()[:5]:
            users = users.filter(
                Q(username__icontains=word) | Q(first_name__icontains=word) | Q(last_name__icontains=word)
            )
    active_grants = (
        RoleGrant.objects.filter(city=city, revoked_at__isnull=True)
        .select_related("district")
        .order_by("role", "district__number")
    )
    return (
        users.annotate(has_totp=_has_totp())
        .select_related("staff_profile")
        .prefetch_related(Prefetch("role_grants", queryset=active_grants, to_attr="active_grants"))
        .order_by("last_name", "first_name", "username")
    )


def staff_member(*, cities: list[City], user_id: int) -> tuple[City, User] | None:
    """The account ``user_id`` if it is staff of one of ``cities`` (the first such city), else ``None``."""
    for city in cities:
        user = staff_of(city).filter(pk=user_id).annotate(has_totp=_has_totp()).select_related("staff_profile").first()
        if user is not None:
            return city, user
    return None


def account_grants(*, user: User, city: City) -> QuerySet[RoleGrant]:
    """Every grant of ``user`` in ``city``, active first, newest first."""
    return (
        RoleGrant.objects.filter(user=user, city=city)
        .select_related("district", "granted_by")
        .order_by("revoked_at", "-granted_at")
    )


def account_audit(*, user: User, limit: int = 100) -> list[AuditEntry]:
    """Audit entries about the account and its role grants, newest first."""
    grant_ids = [str(pk) for pk in RoleGrant.objects.filter(user=user).values_list("pk", flat=True)]
    about = Q(target_type=USER_TARGET, target_id=str(user.pk)) | Q(target_type=GRANT_TARGET, target_id__in=grant_ids)
    return list(AuditEntry.objects.filter(about).select_related("actor", "district").order_by("-seq")[:limit])


def city_districts(city: City) -> QuerySet[District]:
    return District.objects.filter(city=city).order_by("number")


def active_city_admins(city: City) -> QuerySet[User]:
    """Active accounts holding a city-wide city-administrator grant in ``city``."""
    return User.objects.filter(
        is_active=True,
        role_grants__city=city,
        role_grants__role=Role.CITY_ADMIN,
        role_grants__district__isnull=True,
        role_grants__revoked_at__isnull=True,
    ).distinct()
