"""The one access check: "may this actor do X in district Y".

Every feature asks here, never looks at role grants itself. Roles map to actions in one table
(``ROLE_ACTIONS``); a grant gives its role's actions in one district or in all of a city's.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from shahrvand.core.models import District, Role, RoleGrant, User


class Action:
    """Names of what staff may do. Strings, so later packages add their own without a migration."""

    REGISTRY_VIEW = "registry.view"
    REGISTRY_IMPORT = "registry.import"
    PERSON_VIEW = "person.view"
    ENROLL = "citizens.enroll"
    CASE_HANDLE = "cases.handle"
    REVENUE_MANAGE = "revenue.manage"
    TARIFF_EDIT = "revenue.tariff_edit"
    PLANNING_EDIT = "planning.edit"
    PERMIT_REVIEW = "permits.review"
    SITE_VISIT = "permits.site_visit"
    DOCUMENT_REVOKE = "documents.revoke"
    QUEUE_MANAGE = "backoffice.queue_manage"
    DASHBOARD_VIEW = "backoffice.dashboard"
    AUDIT_READ = "audit.read"
    DISTRICT_GO_LIVE = "core.district_go_live"
    STAFF_MANAGE = "core.staff_manage"


A = Action
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.CLERK: frozenset({A.REGISTRY_VIEW, A.PERSON_VIEW, A.ENROLL, A.CASE_HANDLE}),
    Role.REVENUE: frozenset({A.REGISTRY_VIEW, A.PERSON_VIEW, A.REVENUE_MANAGE, A.TARIFF_EDIT, A.CASE_HANDLE}),
    Role.PLANNING: frozenset(
        {A.REGISTRY_VIEW, A.PERSON_VIEW, A.PLANNING_EDIT, A.PERMIT_REVIEW, A.CASE_HANDLE, A.DOCUMENT_REVOKE}
    ),
    Role.INSPECTOR: frozenset({A.REGISTRY_VIEW, A.SITE_VISIT, A.CASE_HANDLE}),
    Role.MANAGER: frozenset(
        {
            A.REGISTRY_VIEW,
            A.PERSON_VIEW,
            A.REGISTRY_IMPORT,
            A.CASE_HANDLE,
            A.QUEUE_MANAGE,
            A.DASHBOARD_VIEW,
            A.DOCUMENT_REVOKE,
        }
    ),
    Role.AUDITOR: frozenset({A.AUDIT_READ, A.REGISTRY_VIEW, A.DASHBOARD_VIEW}),
    Role.CITY_ADMIN: frozenset(
        {
            A.REGISTRY_VIEW,
            A.PERSON_VIEW,
            A.REGISTRY_IMPORT,
            A.QUEUE_MANAGE,
            A.DASHBOARD_VIEW,
            A.DISTRICT_GO_LIVE,
            A.STAFF_MANAGE,
            A.DOCUMENT_REVOKE,
        }
    ),
}
ALL_ACTIONS: frozenset[str] = frozenset().union(*ROLE_ACTIONS.values())


class AccessDenied(PermissionDenied):
    """Raised by :func:`require`; the middleware records it in the audit trail."""

    def __init__(self, *, actor: User | AnonymousUser | None, action: str, district: District | None) -> None:
        self.actor = actor
        self.action = action
        self.district = district
        where = district.slug if district is not None else "-"
        super().__init__(f"{action} refused in {where}")


def roles_for(action: str) -> frozenset[str]:
    if action not in ALL_ACTIONS:
        raise ValueError(f"Unknown action {action!r}")
    return frozenset(role for role, actions in ROLE_ACTIONS.items() if action in actions)


def _active_grants(actor: User, action: str) -> QuerySet[RoleGrant]:
    return RoleGrant.objects.filter(user=actor, revoked_at__isnull=True, role__in=roles_for(action))


def _is_active_staff(actor: User | AnonymousUser | None) -> bool:
    return isinstance(actor, User) and actor.is_authenticated and actor.is_active


def may(actor: User | AnonymousUser | None, action: str, district: District) -> bool:
    """True when ``actor`` holds, in ``district`` or city-wide, a role allowed ``action``."""
    if not _is_active_staff(actor):
        roles_for(action)  # an unknown action is a programming error, even for anonymous actors
        return False
    assert isinstance(actor, User)
    return (
        _active_grants(actor, action)
        .filter(Q(district=district) | Q(district__isnull=True, city_id=district.city_id))
        .exists()
    )


def require(actor: User | AnonymousUser | None, action: str, district: District) -> None:
    """Raise :class:`AccessDenied` unless :func:`may` allows it."""
    if not may(actor, action, district):
        raise AccessDenied(actor=actor, action=action, district=district)


def districts_for(actor: User | AnonymousUser | None, action: str) -> QuerySet[District]:
    """The districts where ``actor`` may do ``action`` (for scoping lists and searches)."""
    if not _is_active_staff(actor):
        roles_for(action)
        return District.objects.none()
    assert isinstance(actor, User)
    grants = _active_grants(actor, action)
    return District.objects.filter(
        Q(pk__in=grants.filter(district__isnull=False).values("district"))
        | Q(city__in=grants.filter(district__isnull=True).values("city"))
    ).select_related("city")


def is_staff_member(actor: User | AnonymousUser | None) -> bool:
    if not _is_active_staff(actor):
        return False
    assert isinstance(actor, User)
    return RoleGrant.objects.filter(user=actor, revoked_at__isnull=True).exists()


def roles_of(actor: User, district: District | None = None) -> Iterable[str]:
    grants = RoleGrant.objects.filter(user=actor, revoked_at__isnull=True)
    if district is not None:
        grants = grants.filter(Q(district=district) | Q(district__isnull=True, city_id=district.city_id))
    return sorted(set(grants.values_list("role", flat=True)))
