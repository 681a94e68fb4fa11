"""The bill and the receipt as single-page documents: read back from the PDF, QR verified offline."""

from __future__ import annotations

import datetime as dt
import re

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.utils import timezone

from shahrvand.core import jalali
from shahrvand.core.text import to_latin_digits
from shahrvand.documents.keys import keys_for_check
from shahrvand.documents.models import Document
from shahrvand.documents.verify import verify_pdf, verify_qr
from shahrvand.revenue.amounts import payable, payment_id_for
from shahrvand.revenue.documents import NothingPayable, bill_document, receipt_document
from shahrvand.revenue.models import Bill
from shahrvand.revenue.services import bill_settle
from tests.revenue.factories import make_bill

pytestmark = pytest.mark.django_db
_INVISIBLE = re.compile("[\u200c\u200d\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def page_count(pdf: bytes) -> int:
    document = pdfium.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


def page_digits(pdf: bytes) -> str:
    """The page's text as Latin digits and nothing else between them dropped but spaces and bidi marks."""
    document = pdfium.PdfDocument(pdf)
    try:
        text = str(document[0].get_textpage().get_text_range())
    finally:
        document.close()
    return re.sub(r"\s+", "", to_latin_digits(_INVISIBLE.sub("", text)))


def qr_texts(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    try:
        image = document[0].render(scale=2).to_pil()
    finally:
        document.close()
    return [b.text for b in zxingcpp.read_barcodes(image) if b.format.name == "QRCode"]


def test_the_bill_is_one_page_with_its_bill_id_payment_id_and_a_valid_qr(registry, staff):
    bill = make_bill(registry, gross=12_345_678)
    due = payable(bill, jalali.today())

    document = bill_document(actor=staff("revenue"), bill=bill)

    pdf = bytes(document.pdf)
    assert page_count(pdf) == 1
    text = page_digits(pdf)
    payment_id = payment_id_for(bill, due.amount)
    assert bill.bill_id in text and payment_id in text
    assert document.fields["bill_id"] == bill.bill_id and document.fields["payment_id"] == payment_id
    assert document.fields["total"] == str(due.amount) and due.amount % 1000 == 0
    assert document.subject_national_code == bill.payer.national_code
    (qr,) = qr_texts(pdf)
    assert verify_qr(qr, keys_for_check()).valid
    assert verify_pdf(pdf, keys_for_check()).outcome == "valid"
    bill.refresh_from_db()
    assert bill.document == document


def test_the_bill_document_is_issued_again_only_when_todays_amount_changes(registry):
    today = jalali.today()
    bill = make_bill(registry, gross=20_000_000, discount_until=today + dt.timedelta(days=5))
    first = bill_document(actor=None, bill=bill)
    assert bill_document(actor=None, bill=bill) == first  # same day, same amount: the same document

    later = today + dt.timedelta(days=6)  # the discount deadline has passed: the amount grows
    second = bill_document(actor=None, bill=bill, on=later)
    assert second != first
    assert int(second.fields["total"]) == payable(bill, later).amount > int(first.fields["total"])
    assert Bill.objects.get(pk=bill.pk).document == second
    assert Document.objects.filter(doc_type="bill").count() == 2


def test_a_closed_bill_has_no_bill_document(registry):
    bill = make_bill(registry)
    Bill.objects.filter(pk=bill.pk).update(status=Bill.Status.SUPERSEDED)
    with pytest.raises(NothingPayable):
        bill_document(actor=None, bill=bill)
    assert not Document.objects.exists()


def test_the_receipt_is_issued_once_and_its_qr_verifies(registry):
    bill = make_bill(registry, gross=8_765_432)
    bill_document(actor=None, bill=bill)
    amount = payable(bill, jalali.today()).amount
    settled = bill_settle(
        bill=bill, amount=amount, paid_at=timezone.now(), source="gateway", reference="612345678901", channel="IPG"
    )

    receipt = receipt_document(actor=None, payment=settled.payment)
    again = receipt_document(actor=None, payment=settled.payment)

    assert again == receipt
    assert Document.objects.filter(doc_type="receipt").count() == 1
    settled.payment.refresh_from_db()
    assert settled.payment.receipt == receipt
    pdf = bytes(receipt.pdf)
    assert page_count(pdf) == 1
    text = page_digits(pdf)
    assert bill.bill_id in text and "612345678901" in text
    assert receipt.fields["amount"] == str(amount)
    assert receipt.fields["bill_number"] == Bill.objects.get(pk=bill.pk).document.number
    (qr,) = qr_texts(pdf)
    assert verify_qr(qr, keys_for_check()).valid
    assert verify_pdf(pdf, keys_for_check()).outcome == "valid"


@pytest.mark.parametrize("reference", ["SBX1ACED05A3C3CE78C9AE2", "SBX0A1B2C3D4E5F60718293", "SBX9999AAAA0000BBBB1111"])
def test_a_receipt_with_a_bank_reference_of_letters_and_digits_verifies(registry, reference):
    bill = make_bill(registry, gross=4_321_000)
    amount = payable(bill, jalali.today()).amount
    settled = bill_settle(bill=bill, amount=amount, paid_at=timezone.now(), source="gateway", reference=reference)
    pdf = bytes(receipt_document(actor=None, payment=settled.payment).pdf)
    report = verify_pdf(pdf, keys_for_check())
    assert report.outcome == "valid", report.message
