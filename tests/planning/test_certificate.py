"""The planning information certificate: requested online by an owner, decided at once, one signed page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shahrvand.audit.models import AuditEntry
from shahrvand.cases.errors import CaseError
from shahrvand.cases.models import CaseEvent
from shahrvand.cases.workflows import ISSUED, WORKFLOWS
from shahrvand.documents.keys import keys_for_check
from shahrvand.documents.models import Document
from shahrvand.documents.verify import verify_pdf
from shahrvand.planning.services import planning_info_request, zoning_edit
from shahrvand.planning.workflow import NO_ZONING, PLANNING_INFO
from shahrvand.registry.models import Parcel, Person, Zoning
from tests.documents.test_types import page_count, page_text
from tests.factories import UserFactory
from tests.planning.conftest import APARTMENT, PARCEL, TWO_APARTMENTS

pytestmark = pytest.mark.django_db


def _ask(registry, code=APARTMENT, national_code=TWO_APARTMENTS):
    person = Person.objects.get(national_code=national_code)
    return person, planning_info_request(
        user=UserFactory(password=None), person=person, district=registry, property_code=code
    )


def test_the_request_type_is_registered_by_the_planning_app():
    assert PLANNING_INFO in WORKFLOWS


def test_an_owner_gets_the_certificate_at_once_one_signed_page(registry):
    person, case = _ask(registry)

    case.refresh_from_db()
    assert case.case_type == PLANNING_INFO and case.status == ISSUED and case.closed_at is not None
    assert case.needed_visit is False and case.subject_ref == APARTMENT
    document = Document.objects.get(number=case.data["document"])
    assert document.doc_type == "planning_info" and document.subject_national_code == person.national_code
    assert document.signer_role == "planning"
    assert document.fields == {
        "renovation_code": PARCEL,
        "address": "بجنورد، بلوار شهید چمران، کوچه 17، پلاک 37",
        "land_area": "232",
        "plan": "طرح تفصیلی مصوب شهر بجنورد",
        "plan_use": "مسکونی، مختلط",
        "zone": "M211",
        "density": "120 درصد",
        "occupancy": "60 درصد",
        "max_floors": "2 طبقه",
        "street_width": "16 متر (موجود 20 متر)",
        "setback": "2 متر در اجرای عرض معبر طرح",
    }
    pdf = bytes(document.pdf)
    assert page_count(pdf) == 1
    assert verify_pdf(pdf, keys_for_check()).outcome == "valid"
    assert "شهرسازی ملک" in page_text(pdf)
    events = list(CaseEvent.objects.filter(case=case).values_list("action", "role", "actor"))
    assert events == [("submit", "citizen", case.filed_by_id), ("issue_planning_info", "planning", None)]
    assert AuditEntry.objects.filter(action="documents.issue").exists()


def test_the_certificate_shows_an_officers_latest_values(registry, staff):
    parcel = Parcel.objects.get(district=registry, code=PARCEL)
    zoning_edit(
        actor=staff("planning"),
        parcel=parcel,
        data={
            "zone": "M212",
            "permitted_uses": ["commercial", "residential"],
            "max_floors": "5",
            "max_density_pct": "300",
            "max_occupancy_pct": "50",
            "setback_m": "",
            "planned_passage_width_m": "20",
        },
    )
    _person, case = _ask(registry)
    fields = Document.objects.get(number=case.data["document"]).fields
    assert (fields["zone"], fields["max_floors"], fields["density"]) == ("M212", "5 طبقه", "300 درصد")
    assert fields["plan_use"] == "مسکونی، تجاری" and fields["setback"] == "بدون عقب‌نشینی"
    assert fields["street_width"] == "20 متر"


def test_without_zoning_the_request_is_refused_with_the_reason(registry):
    Zoning.objects.filter(parcel__code=PARCEL).delete()
    _person, case = _ask(registry)
    case.refresh_from_db()
    assert case.status == NO_ZONING and case.closed_at is not None and "document" not in case.data
    event = CaseEvent.objects.get(case=case, action="refuse_planning_info")
    assert "ضوابط طرح تفصیلی" in event.comment and event.role == "planning"
    assert not Document.objects.filter(doc_type="planning_info").exists()


def test_zoning_the_audit_no_longer_lists_is_not_certified(registry):
    from shahrvand.registry.models import Delivery

    Zoning.objects.filter(parcel__code=PARCEL).update(missing_since=Delivery.objects.first())
    _person, case = _ask(registry)
    assert case.status == NO_ZONING


def test_someone_elses_property_is_refused_and_nothing_is_filed(registry):
    with pytest.raises(CaseError) as caught:
        _ask(registry, code="1-1-100-6-1-3-0")
    assert caught.value.code == "planning_info.not_owner"
    assert not Document.objects.exists()


# --------------------------------------------------------------------------------------------------
# The portal
# --------------------------------------------------------------------------------------------------


def test_the_property_page_shows_the_planning_rules_in_persian(owner):
    _citizen, client = owner
    html = client.get(reverse("citizens:property", args=[APARTMENT])).content.decode()
    assert "data-planning-rules" in html and html.count('id="zoning-title"') == 1
    for text in ("M211", "مسکونی، مختلط", "۱۲۰٪", "۶۰٪", "۲ m" if False else "۲ متر", "۱۶ متر"):
        assert text in html, text
    assert f"{reverse('planning_portal:request')}?property={APARTMENT}" in html


def test_the_owner_asks_and_downloads_the_certificate_in_the_portal(owner):
    citizen, client = owner
    url = reverse("planning_portal:request")
    page = client.get(url, {"property": APARTMENT})
    assert page.status_code == 200 and f'value="{APARTMENT}" selected' in page.content.decode()

    response = client.post(url, {"property_code": APARTMENT})

    assert response.status_code == 302
    outcome = client.get(response["Location"])
    html = outcome.content.decode()
    assert 'data-outcome="issued"' in html
    document = Document.objects.get(doc_type="planning_info", subject_national_code=citizen.person.national_code)
    download = reverse("citizens:document_pdf", args=[document.number])
    assert download in html
    pdf = client.get(download)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert page_count(pdf.content) == 1 and verify_pdf(pdf.content, keys_for_check()).outcome == "valid"


def test_the_portal_says_why_when_no_rules_are_recorded(owner):
    _citizen, client = owner
    Zoning.objects.filter(parcel__code=PARCEL).delete()
    response = client.post(reverse("planning_portal:request"), {"property_code": APARTMENT})
    html = client.get(response["Location"]).content.decode()
    assert 'data-outcome="no_zoning"' in html and "هنوز" in html
    page = client.get(reverse("citizens:property", args=[APARTMENT])).content.decode()
    assert "No planning rules" in page or "ضوابط" in page


def test_the_portal_refuses_a_property_that_is_not_the_citizens(owner):
    _citizen, client = owner
    response = client.post(reverse("planning_portal:request"), {"property_code": "1-1-100-6-1-3-0"})
    assert response.status_code == 400 and not Document.objects.filter(doc_type="planning_info").exists()
    assert client.get(reverse("planning_portal:request"), {"request": "217-00000000-0"}).status_code == 404


def test_the_portal_page_needs_a_signed_in_citizen(client):
    response = client.get(reverse("planning_portal:request"))
    assert response.status_code == 302 and "/portal/login/" in response["Location"]
