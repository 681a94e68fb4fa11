"""A citizen reaches only what they are linked to: every portal and download address, tried with another
citizen's identifiers, answers 404 — the same as for something that does not exist."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shahrvand.citizens import services
from shahrvand.core.text import to_persian_digits
from shahrvand.documents.models import Document
from tests.citizens.conftest import SHOPKEEPER, activate, enroll, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def shopkeeper(registry, clerk):
    citizen = activate(enroll(clerk, registry, SHOPKEEPER))
    return citizen


@pytest.fixture
def b_records(citizen_b, shopkeeper):
    """Identifiers that belong to citizen B (and to the shopkeeper): a property, a request, a document, a business."""
    case = services.citizen_correction_file(
        citizen=citizen_b.citizen,
        kind="property",
        code="1-1-100-6-1-3-0",
        field="units.floor",
        value="3",
        description="",
    )
    return {
        "property": "1-1-100-6-1-3-0",
        "tracking": case.tracking_code,
        "document": Document.objects.get(subject_national_code=citizen_b.citizen.person.national_code).number,
        "business": "B1000001",
    }


def other_citizens_urls(records) -> list[tuple[str, str]]:
    return [
        ("get", reverse("citizens:property", args=[records["property"]])),
        ("get", reverse("citizens:property", args=[to_persian_digits(records["property"])])),
        ("get", reverse("citizens:property_correction", args=[records["property"]])),
        ("post", reverse("citizens:property_correction", args=[records["property"]])),
        ("get", reverse("citizens:business_correction", args=[records["business"]])),
        ("post", reverse("citizens:business_correction", args=[records["business"]])),
        ("get", reverse("citizens:request", args=[records["tracking"]])),
        ("get", reverse("citizens:request", args=[to_persian_digits(records["tracking"])])),
        ("post", reverse("citizens:request", args=[records["tracking"]])),
        ("get", reverse("citizens:document_pdf", args=[records["document"]])),
        ("get", reverse("citizens:document_pdf", args=[to_persian_digits(records["document"])])),
    ]


def test_every_portal_address_with_another_citizens_identifiers_is_404(citizen_a, b_records):
    for method, url in other_citizens_urls(b_records):
        data = {"field": "units.floor", "value": "9", "action": "withdraw"} if method == "post" else None
        response = getattr(citizen_a.client, method)(url, data)
        assert response.status_code == 404, (method, url, response.status_code)
        assert b"%PDF" not in response.content


def test_nothing_of_b_changed_when_a_tried(citizen_a, citizen_b, b_records):
    from shahrvand.cases.models import Case

    for method, url in other_citizens_urls(b_records):
        getattr(citizen_a.client, method)(url, {"field": "units.floor", "value": "9", "action": "withdraw"})
    case = Case.objects.get(tracking_code=b_records["tracking"])
    assert case.status == "submitted"
    assert Case.objects.count() == 1


def test_the_same_addresses_work_for_their_owner(citizen_b, b_records):
    client = citizen_b.client
    assert client.get(reverse("citizens:property", args=[b_records["property"]])).status_code == 200
    assert client.get(reverse("citizens:request", args=[b_records["tracking"]])).status_code == 200
    response = client.get(reverse("citizens:document_pdf", args=[b_records["document"]]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_a_business_is_reachable_only_by_its_operator(shopkeeper, citizen_a):
    url = reverse("citizens:business_correction", args=["B1000001"])
    assert signed_in(shopkeeper).get(url).status_code == 200
    assert citizen_a.client.get(url).status_code == 404


def test_unknown_and_malformed_identifiers_are_404(citizen_a):
    for url in [
        reverse("citizens:property", args=["1-1-999-1-1-1-0"]),
        reverse("citizens:property", args=["not-a-code"]),
        reverse("citizens:request", args=["217-12345678-0"]),
        reverse("citizens:document_pdf", args=["217-1405-999999-0"]),
        reverse("citizens:document_pdf", args=["x"]),
        reverse("citizens:business_correction", args=["B9999999"]),
    ]:
        assert citizen_a.client.get(url).status_code == 404, url


def test_the_staff_download_address_does_not_serve_a_citizen(citizen_a):
    number = Document.objects.get(subject_national_code=citizen_a.citizen.person.national_code).number
    response = citizen_a.client.get(reverse("documents:pdf", args=[number]))
    assert response.status_code in (403, 404)
    assert b"%PDF" not in response.content


def test_signed_out_visitors_are_sent_to_sign_in(registry, client):
    for url in [reverse("citizens:dashboard"), reverse("citizens:property", args=["1-1-100-3-1-2-0"])]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("citizens:login"))
