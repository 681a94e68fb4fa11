"""The citizen's own records through the API, and nobody else's (another citizen's record is 404)."""

from __future__ import annotations

import pytest

from shahrvand.documents.models import Document
from shahrvand.payments import clock
from shahrvand.payments.models import PaymentAttempt
from shahrvand.revenue.amounts import payable, payment_id_for
from shahrvand.revenue.models import Bill
from shahrvand.revenue.services import clearance_request
from tests.api.conftest import A_FLAT, A_OTHER_FLAT, B_FLAT, assert_problem

pytestmark = pytest.mark.django_db


def test_properties_list_only_the_citizens_own(api, citizen_a, citizen_b):
    body = api.get("/api/v1/properties", **citizen_a.auth).json()
    assert body["count"] == 2
    assert [p["code"] for p in body["results"]] == [A_FLAT, A_OTHER_FLAT]
    assert body["next"] is None and body["previous"] is None


def test_pagination_has_count_and_next(api, citizen_a):
    first = api.get("/api/v1/properties?limit=1", **citizen_a.auth).json()
    assert first["count"] == 2 and len(first["results"]) == 1
    assert first["next"].endswith("/api/v1/properties?limit=1&offset=1")
    second = api.get(first["next"], **citizen_a.auth).json()
    assert [p["code"] for p in second["results"]] == [A_OTHER_FLAT]
    assert second["next"] is None and second["previous"].endswith("offset=0")


def test_a_limit_over_100_is_a_422_problem(api, citizen_a):
    body = assert_problem(api.get("/api/v1/bills?limit=101", **citizen_a.auth), 422, "validation")
    assert body["errors"][0]["location"] == "query" and body["errors"][0]["field"] == "limit"


def test_property_detail_has_co_owners_and_debts(api, citizen_a, bill_a):
    body = api.get(f"/api/v1/properties/{A_FLAT}", **citizen_a.auth).json()
    assert body["code"] == A_FLAT and body["district"] == citizen_a.citizen.district.slug
    assert [d["bill_id"] for d in body["debts"]] == [bill_a.bill_id]


def test_bills_show_todays_amount_and_payment_id(api, citizen_a, bill_a):
    due = payable(bill_a, clock.now().date())
    body = api.get("/api/v1/bills", **citizen_a.auth).json()
    assert body["count"] == 1
    line = body["results"][0]
    assert line["bill_id"] == bill_a.bill_id and line["status"] == "open"
    assert line["amount_due"] == due.amount
    assert line["payment_id"] == payment_id_for(bill_a, due.amount)
    assert api.get("/api/v1/bills?status=paid", **citizen_a.auth).json()["count"] == 0
    assert_problem(api.get("/api/v1/bills?status=nonsense", **citizen_a.auth), 422, "validation")
    detail = api.get(f"/api/v1/bills/{bill_a.bill_id}", **citizen_a.auth).json()
    assert detail["lines"][0]["amount"] == bill_a.gross


def test_paying_returns_the_sandbox_banks_address(api, citizen_a, bill_a):
    response = api.post(f"/api/v1/bills/{bill_a.bill_id}/payments", **citizen_a.auth)
    assert response.status_code == 201, response.content
    body = response.json()
    attempt = PaymentAttempt.objects.get(order_id=body["order_id"])
    assert attempt.bill_id == bill_a.pk and attempt.started_by == citizen_a.citizen.user
    assert "/sandbox-bank/pay/" in body["redirect_url"] and body["redirect_method"] == "GET"
    assert body["amount"] == attempt.amount


def test_paying_a_bill_that_is_no_longer_open_is_a_409(api, citizen_a, bill_a):
    Bill.objects.filter(pk=bill_a.pk).update(status=Bill.Status.CANCELLED)
    assert_problem(api.post(f"/api/v1/bills/{bill_a.bill_id}/payments", **citizen_a.auth), 409, "conflict")


def test_requests_and_documents_with_timeline(api, citizen_a):
    citizen = citizen_a.citizen
    case = clearance_request(
        user=citizen.user, person=citizen.person, district=citizen.district, property_code=A_FLAT, purpose="فروش"
    )
    lines = api.get("/api/v1/requests", **citizen_a.auth).json()
    assert [r["tracking_code"] for r in lines["results"]] == [case.tracking_code]
    detail = api.get(f"/api/v1/requests/{case.tracking_code}", **citizen_a.auth).json()
    assert detail["status"] == case.status and len(detail["timeline"]) >= 2
    documents = api.get("/api/v1/documents", **citizen_a.auth).json()
    number = case.data["document"]
    assert [d["number"] for d in documents["results"]] == [number]
    one = api.get(f"/api/v1/documents/{number}", **citizen_a.auth).json()
    assert one["type"] == "clearance" and one["pdf_url"].endswith(f"/portal/documents/{number}.pdf")


def test_another_citizens_records_are_404(api, citizen_a, citizen_b, bill_b):
    citizen = citizen_b.citizen
    case = clearance_request(
        user=citizen.user,
        person=citizen.person,
        district=citizen.district,
        property_code="1-1-100-8-1-3-0",
        purpose="فروش",
    )
    number = Document.objects.get(subject_national_code=citizen.person.national_code, doc_type="clearance").number
    for path in (
        f"/api/v1/bills/{bill_b.bill_id}",
        f"/api/v1/properties/{B_FLAT}",
        f"/api/v1/requests/{case.tracking_code}",
        f"/api/v1/documents/{number}",
    ):
        assert_problem(api.get(path, **citizen_a.auth), 404, "not-found")
    assert_problem(api.post(f"/api/v1/bills/{bill_b.bill_id}/payments", **citizen_a.auth), 404, "not-found")
    assert not PaymentAttempt.objects.exists()
    # …and B sees them.
    assert api.get(f"/api/v1/bills/{bill_b.bill_id}", **citizen_b.auth).status_code == 200


def test_a_district_not_live_keeps_only_me(api, citizen_a):
    district = citizen_a.citizen.district
    district.eservices_enabled = False
    district.save(update_fields=["eservices_enabled"])
    assert api.get("/api/v1/me", **citizen_a.auth).json()["eservices_live"] is False
    assert_problem(api.get("/api/v1/bills", **citizen_a.auth), 403, "forbidden")
