"""Writes about cities, districts and staff roles. Each is one transaction with its audit entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shahrvand.audit.services import audit_record
from shahrvand.core.access import Action, require
from shahrvand.core.identifiers import parse_legal_id
from shahrvand.core.models import City, District, Role, RoleGrant, User
from shahrvand.core.text import to_persian_digits


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


# --------------------------------------------------------------------------------------------------
# District go-live: a city administrator turns a district's e-services on once its registry is ready
# --------------------------------------------------------------------------------------------------

GO_LIVE_MIN_OWNED_SHARE_DEFAULT = 0.9


@dataclass(frozen=True)
class Unmet:
    """One readiness condition a district does not meet, in both languages."""

    key: str
    message_en: str
    message_fa: str


@dataclass(frozen=True)
class Readiness:
    district: District
    applied_delivery: bool
    parcels: int
    owned_share: float  # share of current parcels with at least one current owner, 0..1
    min_owned_share: float
    unmet: tuple[Unmet, ...]

    @property
    def ready(self) -> bool:
        return not self.unmet

    @property
    def owned_percent(self) -> int:
        return round(self.owned_share * 100)

    @property
    def min_owned_percent(self) -> int:
        return round(self.min_owned_share * 100)


class GoLiveRefused(Exception):
    """Turning e-services on (or off) was refused; nothing changed."""

    def __init__(self, unmet: Sequence[Unmet], *, pausing: bool = False) -> None:
        self.unmet = tuple(unmet)
        head_en = "E-services cannot be paused" if pausing else "E-services cannot go live"
        head_fa = "خدمات الکترونیک را نمی‌توان متوقف کرد" if pausing else "خدمات الکترونیک را نمی‌توان فعال کرد"
        self.message_en = f"{head_en}: " + "; ".join(u.message_en for u in self.unmet) + "."
        self.message_fa = f"{head_fa}: " + "؛ ".join(u.message_fa for u in self.unmet) + "."
        super().__init__(self.message_en)


def _min_owned_share() -> float:
    return float(getattr(settings, "SHAHRVAND_GO_LIVE_MIN_OWNED_SHARE", GO_LIVE_MIN_OWNED_SHARE_DEFAULT))


def district_readiness(*, district: District) -> Readiness:
    """Whether the district's registry is good enough for its e-services to go live.

    Built on the registry's data-quality report (``registry.selectors.data_quality``). Ready when:

    1. at least one audit delivery of the district has been **applied** (the registry is loaded);
    2. no **error-level** problem: no property whose owners' shares do not sum to 6 dang, and no
       unit whose building is missing or lies outside the district (bills and ownership pages
       would be wrong);
    3. the share of current parcels with at least one current owner is at least
       ``SHAHRVAND_GO_LIVE_MIN_OWNED_SHARE`` (default 0.9), and there is at least one parcel.

    People without a mobile and expired licences are warnings: they do not block going live.
    The registry is imported here, not at load time, so ``core`` does not depend on it at import.
    """
    from shahrvand.registry.models import Delivery
    from shahrvand.registry.selectors import data_quality

    report = data_quality(district=district, samples=0)
    applied = Delivery.objects.filter(district=district, status=Delivery.Status.APPLIED).exists()
    owned = report.parcels - report.parcels_without_owners.count
    share = owned / report.parcels if report.parcels else 0.0
    minimum = _min_owned_share()
    unmet: list[Unmet] = []
    if not applied:
        unmet.append(
            Unmet("no_applied_delivery", "no audit delivery has been applied", "هیچ تحویل ممیزی اعمال نشده است")
        )
    if report.shares_not_six.count:
        n = report.shares_not_six.count
        unmet.append(
            Unmet(
                "shares_not_six",
                f"{n} properties whose owners' shares do not sum to 6 dang",
                f"{to_persian_digits(str(n))} ملک که سهم مالکانش جمعاً ۶ دانگ نیست",
            )
        )
    if report.units_without_building.count:
        n = report.units_without_building.count
        unmet.append(
            Unmet(
                "units_without_building",
                f"{n} units whose building is missing or outside the district",
                f"{to_persian_digits(str(n))} واحد که ساختمانش ناموجود یا بیرون از منطقه است",
            )
        )
    if share < minimum:
        pct, need = f"{share * 100:.0f}", f"{minimum * 100:.0f}"
        unmet.append(
            Unmet(
                "owned_share",
                f"only {pct}% of parcels have an owner (at least {need}% needed)",
                f"فقط {to_persian_digits(pct)}٪ از قطعه‌ها مالک دارند (دست‌کم {to_persian_digits(need)}٪ لازم است)",
            )
        )
    return Readiness(
        district=district,
        applied_delivery=applied,
        parcels=report.parcels,
        owned_share=share,
        min_owned_share=minimum,
        unmet=tuple(unmet),
    )


@transaction.atomic
def district_go_live(*, actor: User, district: District, enabled: bool, reason: str) -> District:
    """Turn a district's e-services on (when :func:`district_readiness` allows it) or off (with a reason).

    Only a city administrator may (``Action.DISTRICT_GO_LIVE``). Setting the state it already has
    changes nothing and writes no audit entry.
    """
    require(actor, Action.DISTRICT_GO_LIVE, district)
    district = District.objects.select_for_update().get(pk=district.pk)
    reason = reason.strip()
    if district.eservices_enabled == enabled:
        return district
    payload: dict[str, object] = {"district": district.slug, "enabled": enabled, "reason": reason}
    if enabled:
        readiness = district_readiness(district=district)
        if not readiness.ready:
            raise GoLiveRefused(readiness.unmet)
        payload["owned_share"] = round(readiness.owned_share, 4)
    elif not reason:
        raise GoLiveRefused([Unmet("reason", "a reason is needed", "ذکر دلیل لازم است")], pausing=True)
    district.eservices_enabled = enabled
    district.eservices_enabled_at = timezone.now() if enabled else None
    district.save(update_fields=["eservices_enabled", "eservices_enabled_at"])
    audit_record(actor=actor, action="core.district_go_live", target=district, district=district, payload=payload)
    return district
