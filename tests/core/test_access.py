"""The one access check: may this actor do X in district Y."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import timezone

from shahrvand.audit.middleware import AccessDeniedAuditMiddleware
from shahrvand.audit.models import AuditEntry
from shahrvand.core.access import ROLE_ACTIONS, AccessDenied, Action, districts_for, may, require, roles_for
from shahrvand.core.models import Role, RoleGrant
from tests.factories import UserFactory, make_staff

pytestmark = pytest.mark.django_db


def test_clerk_may_enroll_only_in_own_district(district1, district2, staff):
    clerk = staff(Role.CLERK)
    assert may(clerk, Action.ENROLL, district1)
    assert not may(clerk, Action.ENROLL, district2)


def test_role_gives_only_its_actions(district1, staff):
    clerk = staff(Role.CLERK)
    assert not may(clerk, Action.REVENUE_MANAGE, district1)
    assert not may(clerk, Action.AUDIT_READ, district1)
    assert may(staff(Role.REVENUE), Action.REVENUE_MANAGE, district1)


@pytest.mark.parametrize("role", list(Role.values))
def test_every_role_has_exactly_its_table_row(role, district1, district2):
    user = make_staff(role, district1)
    for action in sorted(frozenset().union(*ROLE_ACTIONS.values())):
        assert may(user, action, district1) is (action in ROLE_ACTIONS[role]), action
        assert may(user, action, district2) is False, action


def test_city_wide_grant_covers_every_district_of_its_city(city, district1, district2):
    admin = make_staff(Role.CITY_ADMIN, None, city=city)
    assert may(admin, Action.DISTRICT_GO_LIVE, district1)
    assert may(admin, Action.DISTRICT_GO_LIVE, district2)
    assert set(districts_for(admin, Action.DISTRICT_GO_LIVE)) == {district1, district2}


def test_city_wide_grant_does_not_reach_another_city(city, district1):
    from tests.factories import CityFactory, DistrictFactory

    other = DistrictFactory(
        city=CityFactory(slug="shirvan", name="شیروان", name_en="Shirvan", company_code="218"), number=1
    )
    admin = make_staff(Role.CITY_ADMIN, None, city=city)
    assert not may(admin, Action.DISTRICT_GO_LIVE, other)
    assert other not in set(districts_for(admin, Action.DISTRICT_GO_LIVE))


def test_revoked_grant_gives_nothing(district1, staff):
    clerk = staff(Role.CLERK)
    RoleGrant.objects.filter(user=clerk).update(revoked_at=timezone.now())
    assert not may(clerk, Action.ENROLL, district1)
    assert list(districts_for(clerk, Action.ENROLL)) == []


def test_deactivated_user_may_do_nothing(district1, staff):
    clerk = staff(Role.CLERK)
    clerk.is_active = False
    clerk.save()
    assert not may(clerk, Action.ENROLL, district1)


def test_anonymous_and_roleless_users_may_do_nothing(district1):
    assert not may(AnonymousUser(), Action.REGISTRY_VIEW, district1)
    assert not may(None, Action.REGISTRY_VIEW, district1)
    assert not may(UserFactory(), Action.REGISTRY_VIEW, district1)


def test_unknown_action_is_a_programming_error(district1, staff):
    with pytest.raises(ValueError, match="Unknown action"):
        may(staff(Role.CLERK), "registry.destroy", district1)
    with pytest.raises(ValueError, match="Unknown action"):
        may(None, "registry.destroy", district1)


def test_roles_for_lists_who_may_act():
    assert roles_for(Action.DISTRICT_GO_LIVE) == {Role.CITY_ADMIN}
    assert Role.CLERK in roles_for(Action.ENROLL)


def test_require_raises_and_middleware_audits_the_refusal(district2, staff):
    clerk = staff(Role.CLERK)
    with pytest.raises(AccessDenied) as caught:
        require(clerk, Action.ENROLL, district2)

    request = RequestFactory().post("/staff/enroll/")
    middleware = AccessDeniedAuditMiddleware(lambda r: None)  # type: ignore[arg-type, return-value]
    assert middleware.process_exception(request, caught.value) is None

    entry = AuditEntry.objects.get(action="access.denied")
    assert entry.actor_id == clerk.pk
    assert entry.district_id == district2.pk
    assert entry.payload == {"action": Action.ENROLL, "path": "/staff/enroll/", "method": "POST"}


def test_require_passes_silently_when_allowed(district1, staff):
    assert require(staff(Role.CLERK), Action.ENROLL, district1) is None
    assert not AuditEntry.objects.filter(action="access.denied").exists()
