"""Notary inquiries, bank bill inquiries, public verification, and the keys behind them."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from shahrvand.api.models import InstitutionKey, NotaryInquiry
from shahrvand.audit.models import AuditEntry
from shahrvand.core.identifiers import make_bill_id
from shahrvand.core.models import Role
from shahrvand.documents.keys import keys_for_check
from shahrvand.documents.models import Document
from shahrvand.documents.numbering import format_number
from shahrvand.documents.services import document_issue
from shahrvand.documents.verify import verify_pdf
from shahrvand.payments import clock
from shahrvand.revenue.amounts import payable, payment_id_for
from shahrvand.revenue.models import Bill
from tests.api.conftest import A_FLAT, assert_problem

pytestmark = pytest.mark.django_db

PARCEL = "1-1-100-3-0-0-0"
BUILDING = "1-1-100-3-1-0-0"


def _key(secret: str, header: str = "bearer") -> dict[str, str]:
    if header == "bearer":
        return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    return {"HTTP_X_API_KEY": secret}


def _inquire(api, secret: str, code: str = A_FLAT, header: str = "bearer"):
    return api.post(
        "/api/v1/notary/inquiries",
        {"renovation_code": code, "inquiry_ref": "1405/123"},
        content_type="application/json",
        **_key(secret, header),
    )


def _issue_certificate(district, doc_type: str, code: str) -> Document:
    """A certificate as the permits package issues it: through the documents service, naming the property."""
    common = {"renovation_code": code, "address": "بجنورد", "registry_plate": "پلاک ۱۲", "owners": ["مالک — ۶ دانگ"]}
    if doc_type == "completion":
        fields = {
            **common,
            "permit_number": "P-1",
            "permit_date": "1403/01/01",
            "total_area": "300",
            "use": "مسکونی",
            "storeys": "3",
            "units": "3",
            "parking": "3",
            "completed_on": "1404/01/01",
            "floors": ["همکف", "مسکونی", "100", "1"],
            "supervisor": "مهندس ناظر",
            "commission": "—",
        }
        role = str(Role.PLANNING)
    else:
        fields = {
            **common,
            "permit_number": "P-1",
            "permit_date": "1403/01/01",
            "stage": "سفت‌کاری",
            "built_area": "300",
            "storeys": "3",
            "inspected_on": "1404/01/01",
            "findings": "خلافی مشاهده نشد",
        }
        role = str(Role.INSPECTOR)
    return document_issue(actor=None, doc_type=doc_type, district=district, fields=fields, signer_role=role)


def test_a_clear_property_without_certificates(api, registry, notary_key):
    response = _inquire(api, notary_key)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["clear"] is True and body["debt_count"] == 0 and body["debts"] == []
    assert body["completion"] is None and body["no_violation"] is None
    document = Document.objects.get(number=body["number"])
    assert document.doc_type == "inquiry_answer" and document.fields["renovation_code"] == A_FLAT
    assert "بدهی" in document.fields["answer"] and "ندارد" in document.fields["answer"]
    assert body["verification_url"].endswith(f"/verify/{document.number}")
    # The PDF, downloaded with the same key, is the signed document and verifies offline.
    pdf = api.get(body["pdf_url"].split("127.0.0.1:8000")[-1], **_key(notary_key, "header"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert verify_pdf(pdf.content, keys_for_check()).outcome == "valid"
    entry = AuditEntry.objects.get(action="api.notary_inquiry")
    assert entry.actor is None and entry.actor_label.startswith("api-key:notary:12:shvk_")


def test_debts_and_certificates_of_the_building_count(api, registry, notary_key, citizen_a, bill_a):
    completion = _issue_certificate(registry, "completion", BUILDING)  # the building's covers its flats
    _issue_certificate(registry, "no_violation", "1-1-100-6-0-0-0")  # another parcel's does not
    body = _inquire(api, notary_key, header="header").json()
    due = payable(bill_a, clock.now().date()).amount
    assert body["clear"] is False and body["debt_total"] == due
    assert body["debts"] == [{"bill_id": bill_a.bill_id, "amount": due, "payment_id": payment_id_for(bill_a, due)}]
    assert body["completion"]["number"] == completion.number
    assert body["no_violation"] is None
    answer = Document.objects.get(number=body["number"]).fields["answer"]
    assert completion.number in answer and "قبض پرداخت‌نشده" in answer
    inquiry = NotaryInquiry.objects.get()
    assert inquiry.clear is False and inquiry.completion_number == completion.number


def test_a_revoked_certificate_does_not_count(api, registry, notary_key):
    certificate = _issue_certificate(registry, "no_violation", PARCEL)
    assert _inquire(api, notary_key).json()["no_violation"]["number"] == certificate.number
    Document.objects.filter(pk=certificate.pk).update(status=Document.Status.REVOKED, revoked_at=certificate.issued_at)
    assert _inquire(api, notary_key).json()["no_violation"] is None


def test_unknown_or_malformed_property(api, registry, notary_key):
    assert_problem(_inquire(api, notary_key, "1-1-100-999-0-0-0"), 404, "not-found")
    assert_problem(_inquire(api, notary_key, "9-1-100-3-0-0-0"), 404, "not-found")  # no district 9
    body = assert_problem(_inquire(api, notary_key, "1-2-3"), 422, "validation")
    assert body["errors"][0]["field"] == "renovation_code"
    assert not NotaryInquiry.objects.exists()


def test_a_notary_cannot_download_other_documents(api, registry, notary_key):
    other = _issue_certificate(registry, "completion", PARCEL)
    assert_problem(api.get(f"/api/v1/notary/documents/{other.number}/pdf", **_key(notary_key)), 404, "not-found")


def test_a_bank_key_is_refused_by_the_notary_service_and_vice_versa(api, registry, bank_key, notary_key):
    assert_problem(_inquire(api, bank_key), 403, "forbidden")
    assert_problem(api.get("/api/v1/bank/bills/1234567890126", **_key(notary_key)), 403, "forbidden")


def test_a_revoked_key_stops_at_once(api, registry, notary_key):
    key = InstitutionKey.objects.get(kind="notary")
    call_command("api_key_revoke", id=key.pk, reason="office closed")
    assert_problem(_inquire(api, notary_key), 401, "unauthorized")


def test_bank_inquiry_gives_todays_amount(api, registry, bank_key, citizen_a, bill_a):
    response = api.get(f"/api/v1/bank/bills/{bill_a.bill_id}", **_key(bank_key, "header"))
    assert response.status_code == 200, response.content
    due = payable(bill_a, clock.now().date()).amount
    assert response.json() == {
        "bill_id": bill_a.bill_id,
        "status": "open",
        "amount_due": due,
        "payment_id": payment_id_for(bill_a, due),
        "due_date": bill_a.due_date.isoformat(),
        "year": bill_a.year,
        "superseded_by": None,
    }
    Bill.objects.filter(pk=bill_a.pk).update(status=Bill.Status.CANCELLED)
    body = api.get(f"/api/v1/bank/bills/{bill_a.bill_id}", **_key(bank_key)).json()
    assert body["status"] == "cancelled" and body["amount_due"] == 0 and body["payment_id"] is None
    calls = AuditEntry.objects.filter(action="api.bank_bill_inquiry", actor_label__startswith="api-key:bank:")
    assert calls.count() == 2


def test_bank_inquiry_bad_check_digit_is_422_and_unknown_is_404(api, registry, bank_key, city):
    good = make_bill_id(99_999, city.company_code)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    body = assert_problem(api.get(f"/api/v1/bank/bills/{bad}", **_key(bank_key)), 422, "validation")
    assert body["errors"] == [
        {"location": "path", "field": "bill_id", "code": "bill_id.checksum", "message": body["detail"]}
    ]
    assert_problem(api.get(f"/api/v1/bank/bills/{good}", **_key(bank_key)), 404, "not-found")


def test_public_verification(api, registry, notary_key):
    number = _inquire(api, notary_key).json()["number"]
    body = api.get(f"/api/v1/documents/{number}/verification").json()
    assert body["state"] == "valid" and body["type"] == "inquiry_answer"
    owners = next(f for f in body["facts"] if f["key"] == "owners")
    assert owners["withheld"] == "personal" and owners["items"] == []
    Document.objects.filter(number=number).update(status=Document.Status.REVOKED, revoked_at=clock.now())
    assert api.get(f"/api/v1/documents/{number}/verification").json()["state"] == "revoked"
    never = format_number(registry.city.company_code, 1405, 999_999)  # well-formed, never issued
    unknown = api.get(f"/api/v1/documents/{never}/verification").json()
    assert unknown["state"] == "unknown" and unknown["type"] is None and unknown["facts"] == []
    assert_problem(api.get("/api/v1/documents/not-a-number/verification"), 422, "validation")


def test_key_commands_print_the_key_once_and_keep_one_per_office(city, capsys):
    call_command("api_key_issue", kind="notary", name="دفتر ۵", office="5", city=city.slug)
    printed = capsys.readouterr().out.strip()
    key = InstitutionKey.objects.get(office_number="5")
    assert printed.startswith("shvk_") and key.key_hash != printed and key.prefix == printed[:9]
    with pytest.raises(SystemExit):
        call_command("api_key_issue", kind="notary", name="دفتر ۵", office="5", city=city.slug)
    call_command("api_key_revoke", prefix=key.prefix, reason="lost")
    key.refresh_from_db()
    assert key.revoked_at is not None and key.revoke_reason == "lost"
    call_command("api_key_issue", kind="notary", name="دفتر ۵", office="5", city=city.slug)  # a new one is fine now
