"""The citizen's bills in the portal over HTTP: their own bills only, today's amount, PDFs, clearance."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from shahrvand.audit.models import AuditEntry
from shahrvand.cases.models import Case
from shahrvand.core import jalali
from shahrvand.core.text import to_persian_digits
from shahrvand.documents.models import Document
from shahrvand.registry.models import Unit
from shahrvand.revenue.amounts import payable, payment_id_for
from shahrvand.revenue.models import Bill
from shahrvand.revenue.services import bill_adjust, bill_settle
from tests.citizens.conftest import OTHER_OWNER, TWO_APARTMENTS, activate, enroll, signed_in
from tests.revenue.factories import make_bill

pytestmark = pytest.mark.django_db
APARTMENT = "1-1-100-3-1-2-0"  # one of TWO_APARTMENTS' apartments


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def citizen(registry, staff):
    result = enroll(staff("clerk"), registry, TWO_APARTMENTS)
    person_citizen = activate(result)
    return person_citizen, signed_in(person_citizen)


@pytest.fixture
def other(registry, staff):
    result = enroll(staff("clerk"), registry, OTHER_OWNER)
    person_citizen = activate(result)
    return person_citizen, signed_in(person_citizen)


def bill_for(registry, citizen, **kwargs) -> Bill:
    bill = make_bill(registry, unit=Unit.objects.get(district=registry, code=APARTMENT), **kwargs)
    Bill.objects.filter(pk=bill.pk).update(payer=citizen.person)
    bill.refresh_from_db()
    return bill


def test_my_bills_lists_only_my_bills_with_todays_amount(registry, citizen, other):
    me, client = citizen
    mine = bill_for(registry, me, gross=12_345_678)
    theirs = bill_for(registry, other[0], gross=5_000_000, instalment_no=4)

    response = client.get(reverse("citizens:bills"))

    assert response.status_code == 200
    html = response.content.decode()
    assert to_persian_digits(mine.bill_id) in html
    assert to_persian_digits(theirs.bill_id) not in html
    amount = payable(mine, jalali.today()).amount
    assert to_persian_digits(f"{amount:,}".replace(",", "٬")) in html
    dashboard = client.get(reverse("citizens:dashboard")).content.decode()
    assert to_persian_digits(mine.bill_id) in dashboard and to_persian_digits(theirs.bill_id) not in dashboard


def test_the_bill_page_explains_the_amount_and_pays_online(registry, citizen):
    me, client = citizen
    bill = bill_for(registry, me, gross=12_345_678)
    due = payable(bill, jalali.today())

    response = client.get(reverse("citizens:bill", args=[bill.bill_id]))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'action="/pay/{bill.bill_id}/"' in html and 'method="post"' in html
    assert to_persian_digits(payment_id_for(bill, due.amount)) in html
    assert "عوارض نوسازی" in html and "test" in html  # the line and its formula
    assert to_persian_digits(f"{due.discount:,}".replace(",", "٬")) in html
    assert reverse("citizens:bill_pdf", args=[bill.bill_id]) in html
    # Any digit set reaches the same page.
    persian = client.get(reverse("citizens:bill", args=[to_persian_digits(bill.bill_id)]))
    assert persian.status_code == 302 and persian["Location"].endswith(f"/portal/bills/{bill.bill_id}/")


def test_another_citizens_bill_is_not_found(registry, citizen, other):
    _me, client = citizen
    theirs = bill_for(registry, other[0])
    Bill.objects.filter(pk=theirs.pk).update(status=Bill.Status.PAID)
    for name in ("citizens:bill", "citizens:bill_pdf", "citizens:receipt_pdf"):
        assert client.get(reverse(name, args=[theirs.bill_id])).status_code == 404
    assert client.get(reverse("citizens:bill", args=["not-a-bill"])).status_code == 404
    assert not Document.objects.filter(doc_type__in=["bill", "receipt"]).exists()


def test_the_bill_pdf_and_after_payment_the_receipt_pdf(registry, citizen):
    me, client = citizen
    bill = bill_for(registry, me)
    response = client.get(reverse("citizens:bill_pdf", args=[bill.bill_id]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    document = Document.objects.get(doc_type="bill")
    assert AuditEntry.objects.filter(action="documents.download", target_id=str(document.pk)).exists()
    assert client.get(reverse("citizens:receipt_pdf", args=[bill.bill_id])).status_code == 404  # not paid yet

    bill_settle(
        bill=bill, amount=payable(bill, jalali.today()).amount, paid_at=timezone.now(), source="gateway", reference="X1"
    )
    first = client.get(reverse("citizens:receipt_pdf", args=[bill.bill_id]))
    second = client.get(reverse("citizens:receipt_pdf", args=[bill.bill_id]))
    assert first.status_code == second.status_code == 200 and first.content == second.content
    assert Document.objects.filter(doc_type="receipt").count() == 1
    page = client.get(reverse("citizens:bill", args=[bill.bill_id])).content.decode()
    assert reverse("citizens:receipt_pdf", args=[bill.bill_id]) in page and "/pay/" not in page
    # A paid bill has no bill PDF to pay with: back to the page with the reason.
    assert client.get(reverse("citizens:bill_pdf", args=[bill.bill_id])).status_code == 302


def test_a_superseded_bill_shows_the_difference_and_its_successor(registry, citizen, staff):
    me, client = citizen
    bill = bill_for(registry, me, gross=10_000_000)
    adjustment = bill_adjust(actor=staff("revenue"), bill=bill, new_gross=8_000_000, reason="مساحت اصلاح شد")
    html = client.get(reverse("citizens:bill", args=[bill.bill_id])).content.decode()
    assert to_persian_digits(adjustment.new_bill.bill_id) in html
    assert to_persian_digits("-2٬000٬000") in html
    new_page = client.get(reverse("citizens:bill", args=[adjustment.new_bill.bill_id])).content.decode()
    assert "مساحت اصلاح شد" in new_page


def test_clearance_is_asked_online_and_answered_at_once(registry, citizen):
    _me, client = citizen
    page = client.get(reverse("citizens:clearance"))
    assert page.status_code == 200 and to_persian_digits(APARTMENT) in page.content.decode()

    response = client.post(reverse("citizens:clearance"), {"property_code": APARTMENT, "purpose": "فروش ملک"})

    assert response.status_code == 302
    case = Case.objects.get(case_type="clearance")
    assert response["Location"].endswith(f"?request={case.tracking_code}")
    result = client.get(response["Location"]).content.decode()
    assert 'data-outcome="issued"' in result
    document = Document.objects.get(doc_type="clearance")
    assert reverse("citizens:document_pdf", args=[document.number]) in result
    assert to_persian_digits(document.number) in client.get(reverse("citizens:documents")).content.decode()
    assert client.get(reverse("citizens:request", args=[case.tracking_code])).status_code == 200


def test_clearance_is_refused_with_the_debts_and_a_foreign_property_is_refused(registry, citizen):
    me, client = citizen
    bill = bill_for(registry, me)
    response = client.post(reverse("citizens:clearance"), {"property_code": APARTMENT, "purpose": "فروش ملک"})
    result = client.get(response["Location"]).content.decode()
    assert 'data-outcome="refused"' in result and to_persian_digits(bill.bill_id) in result

    foreign = client.post(reverse("citizens:clearance"), {"property_code": "1-1-100-6-1-3-0", "purpose": "فروش"})
    assert foreign.status_code == 400
    empty = client.post(reverse("citizens:clearance"), {"property_code": APARTMENT, "purpose": ""})
    assert empty.status_code == 400 and "error-summary" in empty.content.decode()
    assert Case.objects.count() == 1
