"""Cities, districts and role grants are written through services that audit in the same transaction."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from shahrvand.audit.models import AuditEntry
from shahrvand.core.access import AccessDenied
from shahrvand.core.identifiers import IdentifierError
from shahrvand.core.models import City, District, Role, RoleGrant
from shahrvand.core.services import city_create, district_create, role_grant, role_revoke
from tests.factories import UserFactory, make_staff

pytestmark = pytest.mark.django_db

CITY = {
    "name": "شیروان",
    "name_en": "Shirvan",
    "slug": "shirvan",
    "province": "خراسان شمالی",
    "legal_id": "10380284790",
    "company_code": "318",
}


def test_city_and_district_are_created_with_audit_entries():
    city = city_create(actor=None, **CITY)
    district = district_create(actor=None, city=city, number=1, name="منطقه ۱")

    assert district.slug == "shirvan-1"
    assert list(AuditEntry.objects.values_list("action", "target_id")) == [
        ("core.city_create", str(city.pk)),
        ("core.district_create", str(district.pk)),
    ]


def test_invalid_legal_id_is_refused_and_nothing_written():
    with pytest.raises(IdentifierError):
        city_create(actor=None, **{**CITY, "legal_id": "14000000009"})
    assert not City.objects.exists()
    assert not AuditEntry.objects.exists()


def test_bad_company_code_is_refused():
    with pytest.raises(ValidationError) as caught:
        city_create(actor=None, **{**CITY, "company_code": "31"})
    assert "company_code" in caught.value.message_dict
    assert not City.objects.exists()


def test_duplicate_district_number_is_refused(city, district1):
    with pytest.raises(ValidationError):
        district_create(actor=None, city=city, number=1, name="دوباره")
    assert District.objects.filter(city=city).count() == 1


def test_city_admin_grants_and_revokes_roles(city, district1):
    admin = make_staff(Role.CITY_ADMIN, None, city=city)
    user = UserFactory()

    grant = role_grant(actor=admin, user=user, role=Role.INSPECTOR, city=city, district=district1)
    again = role_grant(actor=admin, user=user, role=Role.INSPECTOR, city=city, district=district1)
    assert again.pk == grant.pk
    role_revoke(actor=admin, grant=grant)

    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert list(AuditEntry.objects.filter(actor=admin).values_list("action", flat=True)) == [
        "core.role_grant",
        "core.role_revoke",
    ]


def test_clerk_cannot_grant_roles(city, district1, staff):
    clerk = staff(Role.CLERK)
    with pytest.raises(AccessDenied):
        role_grant(actor=clerk, user=UserFactory(), role=Role.MANAGER, city=city, district=district1)
    assert RoleGrant.objects.filter(role=Role.MANAGER).count() == 0


def test_grant_in_a_district_of_another_city_is_refused(city, district1):
    other = city_create(actor=None, **CITY)
    with pytest.raises(ValueError, match="not in that city"):
        role_grant(actor=None, user=UserFactory(), role=Role.CLERK, city=other, district=district1)
