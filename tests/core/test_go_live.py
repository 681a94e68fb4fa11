"""District go-live: the readiness rule, the city administrator's switch, and the citizen's "coming soon" gate."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from shahrvand.audit.models import AuditEntry
from shahrvand.core.access import AccessDenied
from shahrvand.core.models import District
from shahrvand.core.services import GoLiveRefused, district_go_live, district_readiness
from shahrvand.payments.models import PaymentAttempt
from shahrvand.registry.models import Ownership
from shahrvand.registry.services import audit_import
from tests.factories import make_staff
from tests.payments.conftest import PAYER, bill_for, make_citizen
from tests.registry.conftest import SAMPLE

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(district1):
    """District 1, not live, with the sample audit delivery applied."""
    audit_import(actor=None, district=district1, path=SAMPLE)
    return _live(district1, False)


@pytest.fixture
def empty(district2):
    """District 2, not live, with no delivery."""
    return _live(district2, False)


@pytest.fixture
def admin(city):
    """A city administrator (a city-wide grant)."""
    return make_staff("city_admin", None, city=city)


def _live(district: District, live: bool) -> District:
    District.objects.filter(pk=district.pk).update(eservices_enabled=live)
    district.refresh_from_db()
    return district


def _signed_in(citizen) -> Client:
    client = Client()
    client.force_login(citizen.user)
    return client


# --------------------------------------------------------------------------------------------------
# The readiness rule
# --------------------------------------------------------------------------------------------------


def test_a_district_without_an_applied_delivery_is_not_ready(empty):
    readiness = district_readiness(district=empty)

    assert not readiness.ready
    assert [u.key for u in readiness.unmet] == ["no_applied_delivery", "owned_share"]
    assert readiness.parcels == 0


def test_the_sample_delivery_is_ready_when_enough_parcels_have_owners(loaded, settings):
    settings.SHAHRVAND_GO_LIVE_MIN_OWNED_SHARE = 0.5

    readiness = district_readiness(district=loaded)

    assert readiness.applied_delivery
    assert readiness.ready, readiness.unmet


def test_too_few_owned_parcels_is_not_ready_and_says_why(loaded, settings):
    settings.SHAHRVAND_GO_LIVE_MIN_OWNED_SHARE = 1.01

    readiness = district_readiness(district=loaded)

    assert [u.key for u in readiness.unmet] == ["owned_share"]
    assert "101%" in readiness.unmet[0].message_en
    assert "۱۰۱٪" in readiness.unmet[0].message_fa


def test_shares_not_summing_to_six_block_going_live(loaded, settings):
    settings.SHAHRVAND_GO_LIVE_MIN_OWNED_SHARE = 0.5
    ownership = Ownership.objects.filter(district=loaded, missing_since__isnull=True).first()
    Ownership.objects.filter(pk=ownership.pk).update(share_dang=ownership.share_dang / 2)

    readiness = district_readiness(district=loaded)

    assert [u.key for u in readiness.unmet] == ["shares_not_six"]


# --------------------------------------------------------------------------------------------------
# The service
# --------------------------------------------------------------------------------------------------


def test_going_live_and_pausing_are_audited(loaded, admin, settings):
    settings.SHAHRVAND_GO_LIVE_MIN_OWNED_SHARE = 0.5

    district_go_live(actor=admin, district=loaded, enabled=True, reason="")
    loaded.refresh_from_db()
    assert loaded.eservices_enabled and loaded.eservices_enabled_at is not None

    district_go_live(actor=admin, district=loaded, enabled=False, reason="Records under review")
    loaded.refresh_from_db()
    assert not loaded.eservices_enabled and loaded.eservices_enabled_at is None

    entries = list(AuditEntry.objects.filter(action="core.district_go_live").order_by("pk"))
    assert [(e.payload["enabled"], e.payload["reason"]) for e in entries] == [
        (True, ""),
        (False, "Records under review"),
    ]
    assert all(e.actor == admin and e.district == loaded for e in entries)


def test_going_live_when_not_ready_is_refused_with_the_reasons(empty, admin):
    district2 = empty
    with pytest.raises(GoLiveRefused) as refused:
        district_go_live(actor=admin, district=district2, enabled=True, reason="")

    assert "no audit delivery has been applied" in refused.value.message_en
    assert "هیچ تحویل ممیزی اعمال نشده است" in refused.value.message_fa
    district2.refresh_from_db()
    assert not district2.eservices_enabled
    assert not AuditEntry.objects.filter(action="core.district_go_live").exists()


def test_pausing_needs_a_reason(district1, admin):
    _live(district1, True)

    with pytest.raises(GoLiveRefused) as refused:
        district_go_live(actor=admin, district=district1, enabled=False, reason="  ")

    assert refused.value.unmet[0].key == "reason"
    district1.refresh_from_db()
    assert district1.eservices_enabled


@pytest.mark.parametrize("role", ["clerk", "manager"])
def test_only_the_city_administrator_may_switch(district1, staff, role):
    with pytest.raises(AccessDenied):
        district_go_live(actor=staff(role), district=district1, enabled=False, reason="x")


# --------------------------------------------------------------------------------------------------
# The staff page
# --------------------------------------------------------------------------------------------------


def test_the_city_administrator_sees_every_district_and_goes_live(client, loaded, empty, admin, settings):
    district2 = empty
    settings.SHAHRVAND_GO_LIVE_MIN_OWNED_SHARE = 0.5
    client.force_login(admin)

    page = client.get("/staff/districts/")
    assert page.status_code == 200
    assert page.content.decode().count('action="/staff/districts/') == 2
    assert "قطعه مالک دارند" in page.content.decode()

    response = client.post(f"/staff/districts/{loaded.slug}/", {"enabled": "1", "reason": ""})
    assert response.status_code == 302
    loaded.refresh_from_db()
    assert loaded.eservices_enabled

    refused = client.post(f"/staff/districts/{district2.slug}/", {"enabled": "1", "reason": ""}, follow=True)
    assert "هیچ تحویل ممیزی اعمال نشده است" in refused.content.decode()
    district2.refresh_from_db()
    assert not district2.eservices_enabled


@pytest.mark.parametrize("role", ["clerk", "manager"])
def test_the_page_and_the_switch_are_refused_to_other_staff(client, district1, staff, role):
    _live(district1, False)
    user = staff(role)
    client.force_login(user)

    assert client.get("/staff/districts/").status_code == 403
    assert client.post(f"/staff/districts/{district1.slug}/", {"enabled": "1"}).status_code == 403

    assert AuditEntry.objects.filter(action="access.denied", actor=user).count() == 2
    district1.refresh_from_db()
    assert not district1.eservices_enabled


# --------------------------------------------------------------------------------------------------
# The citizen's gate
# --------------------------------------------------------------------------------------------------


def test_a_citizen_of_a_district_not_live_sees_coming_soon_and_cannot_pay(loaded):
    district = _live(loaded, False)
    citizen = make_citizen(PAYER, district)
    bill = bill_for(citizen)
    client = _signed_in(citizen)

    for name in ["dashboard", "properties", "bills", "documents", "requests", "clearance"]:
        page = client.get(reverse(f"citizens:{name}"))
        assert page.status_code == 200, name
        assert "citizens/coming_soon.html" in [t.name for t in page.templates], name
    assert "پیشخوان" in page.content.decode()

    payment = client.post(reverse("payments:pay", args=[bill.bill_id]))
    assert payment.status_code == 200
    assert "citizens/coming_soon.html" in [t.name for t in payment.templates]
    assert not PaymentAttempt.objects.exists()

    # The account stays open: profile and settings.
    profile = client.get(reverse("citizens:profile"))
    assert "citizens/profile.html" in [t.name for t in profile.templates]
    assert client.get(reverse("citizens:settings")).status_code == 200


def test_a_citizen_of_a_live_district_is_unaffected(loaded):
    district = _live(loaded, True)
    citizen = make_citizen(PAYER, district)
    client = _signed_in(citizen)

    page = client.get(reverse("citizens:dashboard"))

    assert page.status_code == 200
    names = [t.name for t in page.templates]
    assert "citizens/dashboard.html" in names and "citizens/coming_soon.html" not in names
