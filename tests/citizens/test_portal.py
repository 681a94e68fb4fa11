"""The portal's behaviour: the dashboard's cost, corrections, withdrawals, settings, the mobile number, documents."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shahrvand.audit.models import AuditEntry
from shahrvand.cases.models import Case
from shahrvand.citizens.models import Citizen
from shahrvand.registry.models import Business, Ownership, Unit
from tests.citizens.conftest import last_code_to

pytestmark = pytest.mark.django_db

DASHBOARD_MAX_QUERIES = 10  # session, user, citizen, requests, flags, properties, businesses, documents, staff check


def give_more_properties(citizen: Citizen, total: int) -> None:
    """Link the citizen to more apartments of the sample (one dang each), up to ``total`` properties."""
    person = citizen.person
    held = set(Ownership.objects.filter(person=person).values_list("property_code", flat=True))
    for unit in (
        Unit.objects.filter(kind="apartment").exclude(code__in=held).select_related("building")[: total - len(held)]
    ):
        Ownership.objects.create(
            person=person,
            parcel_id=unit.parcel_id,
            building=unit.building,
            unit=unit,
            property_code=unit.code,
            share_dang=Decimal(1),
            deed_type="official",
            district=unit.district,
        )
    assert Ownership.objects.filter(person=person).count() == total


def dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("citizens:dashboard"))
    assert response.status_code == 200
    return len(queries)


def test_dashboard_costs_the_same_queries_for_one_or_five_properties(citizen_a, django_assert_max_num_queries):
    Ownership.objects.filter(person=citizen_a.citizen.person).exclude(property_code="1-1-100-3-1-2-0").delete()
    one = dashboard_queries(citizen_a.client)
    give_more_properties(citizen_a.citizen, 5)
    for code in Ownership.objects.filter(person=citizen_a.citizen.person).values_list("property_code", flat=True)[:3]:
        from shahrvand.citizens import services

        services.citizen_correction_file(
            citizen=citizen_a.citizen, kind="property", code=code, field="units.household_size", value="7"
        )
    five = dashboard_queries(citizen_a.client)
    assert five == one
    with django_assert_max_num_queries(DASHBOARD_MAX_QUERIES):
        response = citizen_a.client.get(reverse("citizens:dashboard"))
    assert response.content.decode().count('class="portal-item"') >= 5 + 3


def test_dashboard_costs_the_same_queries_with_one_or_twenty_bills(citizen_a, django_assert_max_num_queries):
    from shahrvand.revenue.models import Bill
    from tests.revenue.factories import make_bill

    give_more_properties(citizen_a.citizen, 5)
    units = list(Unit.objects.filter(ownerships__person=citizen_a.citizen.person).order_by("code"))

    def bill(i: int) -> None:  # four bills (annual and instalments) on each of the five properties
        made = make_bill(
            citizen_a.citizen.district, unit=units[i % 5], gross=1_000_000 + i * 7_000, instalment_no=i // 5
        )
        Bill.objects.filter(pk=made.pk).update(payer=citizen_a.citizen.person)

    bill(0)
    one = dashboard_queries(citizen_a.client)
    for i in range(1, 20):
        bill(i)
    assert dashboard_queries(citizen_a.client) == one
    with django_assert_max_num_queries(DASHBOARD_MAX_QUERIES + 1):  # + one for the open bills
        response = citizen_a.client.get(reverse("citizens:dashboard"))
    assert response.content.decode().count('href="/portal/bills/') >= 20


def test_filing_a_correction_from_a_property(citizen_a):
    url = reverse("citizens:property_correction", args=["1-1-100-3-1-2-0"])
    response = citizen_a.client.post(url, {"field": "units.area_m2", "value": "۱۴۰٫۵", "description": "طبق سند"})
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("citizens:request", args=[case.tracking_code])
    assert case.requester == citizen_a.citizen.person
    assert case.filed_by == citizen_a.citizen.user
    assert case.channel == "online"
    assert case.data["changes"] == {"area_m2": "140٫5"} or case.data["changes"] == {"area_m2": "140.5"}
    page = citizen_a.client.get(response["Location"])
    assert case.tracking_code in page.content.decode() or "۲۱۷" in page.content.decode()


def test_a_correction_with_a_bad_value_says_why_and_files_nothing(citizen_a):
    url = reverse("citizens:property_correction", args=["1-1-100-3-1-2-0"])
    response = citizen_a.client.post(url, {"field": "units.area_m2", "value": "very big"})
    assert response.status_code == 400
    assert not Case.objects.exists()
    response = citizen_a.client.post(url, {"field": "people.first_name", "value": "x"})
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_withdrawing_an_own_request(citizen_a):
    citizen_a.client.post(
        reverse("citizens:property_correction", args=["1-1-100-3-1-2-0"]), {"field": "units.floor", "value": "2"}
    )
    case = Case.objects.get()
    response = citizen_a.client.post(reverse("citizens:request", args=[case.tracking_code]), {"action": "withdraw"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "withdrawn" and case.closed_at is not None


def test_settings_are_saved_and_audited(citizen_a):
    response = citizen_a.client.post(reverse("citizens:settings"), {"sms_second_step": "on"})
    assert response.status_code == 302
    citizen = Citizen.objects.get(pk=citizen_a.citizen.pk)
    assert citizen.sms_second_step is True and citizen.notify_sms is False
    entry = AuditEntry.objects.get(action="citizens.settings_update")
    assert entry.payload == {"notify_sms": [True, False], "sms_second_step": [False, True]}


def test_changing_the_mobile_needs_the_codes_of_both_numbers(citizen_a):
    from shahrvand.identity.models import OneTimeCode

    OneTimeCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
    client = citizen_a.client
    old = citizen_a.citizen.mobile
    response = client.post(reverse("citizens:mobile_change"), {"mobile": "09177654321"})
    assert response.status_code == 302 and response["Location"] == reverse("citizens:mobile_confirm")
    old_code, new_code = last_code_to(old), last_code_to("+989177654321")
    wrong = "000000" if new_code != "000000" else "111111"
    # The old number's code in the new number's box is refused, and nothing changes.
    response = client.post(reverse("citizens:mobile_confirm"), {"old_code": old_code, "new_code": wrong})
    assert response.status_code == 400
    assert Citizen.objects.get(pk=citizen_a.citizen.pk).mobile == old
    # Start again: new codes for both numbers.
    OneTimeCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
    client.post(reverse("citizens:mobile_change"), {"mobile": "09177654321"})
    response = client.post(
        reverse("citizens:mobile_confirm"),
        {"old_code": last_code_to(old), "new_code": last_code_to("+989177654321")},
    )
    assert response.status_code == 302
    assert Citizen.objects.get(pk=citizen_a.citizen.pk).mobile == "+989177654321"
    assert AuditEntry.objects.filter(action="citizens.mobile_change").count() == 1


def test_changing_to_a_mobile_bound_to_another_citizen_is_refused(citizen_a, citizen_b):
    response = citizen_a.client.post(reverse("citizens:mobile_change"), {"mobile": citizen_b.citizen.mobile})
    assert response.status_code == 400
    assert "شخص دیگری" in response.content.decode()


def test_downloading_an_own_document_is_audited(citizen_a):
    number = citizen_a.result.slip.number
    response = citizen_a.client.get(reverse("citizens:document_pdf", args=[number]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    entry = AuditEntry.objects.filter(action="documents.download").latest("seq")
    assert entry.actor == citizen_a.citizen.user and entry.payload["by"] == "citizen"


def test_a_licence_about_to_expire_is_announced(registry, clerk):
    from tests.citizens.conftest import SHOPKEEPER, activate, enroll, signed_in

    citizen = activate(enroll(clerk, registry, SHOPKEEPER))
    Business.objects.filter(business_code="B1000001").update(
        license_expiry=timezone.localdate() + dt.timedelta(days=10)
    )
    client = signed_in(citizen)
    assert "portal-business--expiring" in client.get(reverse("citizens:businesses")).content.decode()
    assert "notice--warning" in client.get(reverse("citizens:dashboard")).content.decode()


def test_sms_recipient_follows_the_account_and_its_setting(citizen_a):
    from shahrvand.citizens import selectors, services

    person = citizen_a.citizen.person
    assert selectors.sms_recipient(person) == citizen_a.citizen.mobile != person.mobile
    services.citizen_settings_update(citizen=citizen_a.citizen, notify_sms=False, sms_second_step=False)
    assert selectors.sms_recipient(person) is None
