"""The permit bill: one national bill per request, paid by every channel, its handler run on payment."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shahrvand.audit.models import AuditEntry
from shahrvand.cases.models import Case
from shahrvand.core import jalali
from shahrvand.core.access import AccessDenied
from shahrvand.core.identifiers import validate_bill_id
from shahrvand.registry.models import Ownership, Person
from shahrvand.revenue.amounts import payable
from shahrvand.revenue.assessment import assess
from shahrvand.revenue.hooks import BILL_PAID_HANDLERS
from shahrvand.revenue.models import Bill, BillKind, BillPurpose, Payment, TariffBook
from shahrvand.revenue.permit_fees import FloorSpec, PermitFeeError, PermitFeeInput, permit_bill_create, permit_fees
from shahrvand.revenue.services import InvalidInstalments, bill_adjust, bill_cancel, bill_settle, instalments_create
from shahrvand.settlement.services import settlement_import
from tests.citizens.conftest import TWO_APARTMENTS, activate, enroll, signed_in
from tests.identity.helpers import force_login_verified
from tests.revenue.test_assessment import install
from tests.settlement.helpers import at, csv_bytes, file_name, line

pytestmark = pytest.mark.django_db
D = __import__("decimal").Decimal
PARCEL = "1-1-100-3-0-0-0"  # the land of 1-1-100-3-1-2-0, an apartment of TWO_APARTMENTS
CALLS: list[tuple[str, int]] = []


def record_paid(*, bill, payment) -> None:
    """A BILL_PAID_HANDLERS handler for the tests: what it saw, and whether the bill was already paid."""
    assert Bill.objects.get(pk=bill.pk).status == Bill.Status.PAID
    CALLS.append((bill.bill_id, payment.amount))


def refuse_paid(*, bill, payment) -> None:
    raise RuntimeError("the permit cannot move on")


@pytest.fixture(autouse=True)
def _calls():
    CALLS.clear()
    yield
    CALLS.clear()


@pytest.fixture
def officer(staff):
    return staff("planning")


@pytest.fixture
def book(registry, staff):
    return install(registry.city, staff("revenue"))


@pytest.fixture
def requester():
    return Person.objects.get(national_code=TWO_APARTMENTS)


def make_case(district, person, code=PARCEL, number=1) -> Case:
    now = timezone.now()
    return Case.objects.create(
        city=district.city,
        district=district,
        tracking_code=f"217-{number:08d}-0",
        case_type="building_permit",
        status="fees_due",
        requester=person,
        subject_ref=code,
        data={"property_code": code},
        created_at=now,
        step_started_at=now,
    )


def fees(district):
    data = PermitFeeInput(
        district=district,
        parcel_area_m2=D(200),
        kind="new",
        floors=(FloorSpec(0, "commercial", D(80)), FloorSpec(1, "residential", D(140))),
        parking_required=2,
        parking_provided=1,
    )
    return permit_fees(data=data)


def settle(bill, reference="C-1"):
    paid_at = timezone.now()
    amount = payable(bill, jalali.to_tehran(paid_at).date()).amount
    return bill_settle(bill=bill, amount=amount, paid_at=paid_at, source="counter", reference=reference)


def test_the_fees_become_one_national_bill_for_the_request(registry, book, officer, requester):
    case = make_case(registry, requester)
    lines = fees(registry)
    # 4×80 + 1.5×140 = 530 × 2,000,000; density: 220 m² < 240 free; admission 12×80; parking 1×25×2
    assert [(x.kind, x.amount) for x in lines] == [
        ("floor_area", 1_060_000_000),
        ("commercial_admission", 1_920_000_000),
        ("parking_deficit", 100_000_000),
    ]

    bill = permit_bill_create(actor=officer, case=case, lines=lines)

    bill.refresh_from_db()
    assert bill.kind == BillKind.PERMIT and bill.purpose == BillPurpose.PERMIT and bill.case_id == case.pk
    assert bill.payer == requester and bill.parcel.code == PARCEL and bill.subject_code == case.tracking_code
    assert bill.gross == 3_080_000_000 and bill.status == Bill.Status.OPEN
    assert validate_bill_id(bill.bill_id) == bill.bill_id  # a valid national bill ID (check digit, company code)
    assert bill.due_date == jalali.today() + dt.timedelta(days=30)
    due = payable(bill, jalali.today())
    assert due.amount == 3_080_000_000 and due.discount == 0 and due.penalty == 0
    assert payable(bill, bill.due_date + dt.timedelta(days=90)).amount == 3_080_000_000  # no late penalty
    stored = list(bill.lines.order_by("position").values_list("position", "kind", "label_fa", "amount"))
    assert stored == [
        (1, "floor_area", "عوارض زیربنا", 1_060_000_000),
        (2, "commercial_admission", "عوارض پذیره تجاری", 1_920_000_000),
        (3, "parking_deficit", "کسری پارکینگ", 100_000_000),
    ]
    assert bill.lines.get(position=3).inputs["missing_spaces"] == 1
    assert bill.tariff == book
    assert TariffBook.objects.get(pk=book.pk).used_at is not None
    entry = AuditEntry.objects.get(action="revenue.permit_bill_create")
    assert entry.actor == officer and entry.payload["case"] == case.tracking_code
    assert entry.payload["gross"] == 3_080_000_000


def test_a_second_live_permit_bill_for_the_request_is_refused(registry, book, officer, requester):
    case = make_case(registry, requester)
    first = permit_bill_create(actor=officer, case=case, lines=fees(registry))
    with pytest.raises(PermitFeeError) as caught:
        permit_bill_create(actor=None, case=case, lines=fees(registry))
    assert caught.value.code == "permit_bill.exists" and first.bill_id in caught.value.message_en
    settle(first)
    with pytest.raises(PermitFeeError):  # paid is live too
        permit_bill_create(actor=None, case=case, lines=fees(registry))
    assert Bill.objects.filter(case=case).count() == 1


def test_after_a_cancelled_permit_bill_a_new_one_may_be_issued(registry, book, officer, requester, staff):
    case = make_case(registry, requester)
    first = permit_bill_create(actor=officer, case=case, lines=fees(registry))
    bill_cancel(actor=staff("revenue"), bill=first, reason="محاسبه با نقشه اصلاحی تکرار می‌شود")
    second = permit_bill_create(actor=None, case=case, lines=fees(registry)[:1])
    assert second.gross == 1_060_000_000 and Bill.objects.filter(case=case, status="open").get() == second


def test_the_database_refuses_a_second_live_permit_bill_too(registry, book, officer, requester):
    case = make_case(registry, requester)
    bill = permit_bill_create(actor=officer, case=case, lines=fees(registry))
    twin = Bill.objects.get(pk=bill.pk)
    twin.pk, twin.bill_id, twin.file_number, twin.subject_code = None, "1" + bill.bill_id[1:], 99_999, "other"
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda ls: [], "permit_bill.no_lines"),
        (lambda ls: [ls[0].__class__(**{**ls[0].__dict__, "amount": 1_500})], "permit_bill.rounding"),
        (lambda ls: [ls[0].__class__(**{**ls[0].__dict__, "amount": 0})], "permit_bill.amount"),
        (lambda ls: [ls[0].__class__(**{**ls[0].__dict__, "kind": "bribe"})], "permit_bill.line_kind"),
        (lambda ls: [ls[0].__class__(**{**ls[0].__dict__, "inputs": {}})], "permit_bill.no_tariff"),
        (lambda ls: [ls[0].__class__(**{**ls[0].__dict__, "amount": 49_000_000_000}), ls[1]], "permit_bill.too_large"),
    ],
)
def test_invalid_lines_are_refused_and_nothing_is_written(registry, book, officer, requester, mutate, code):
    case = make_case(registry, requester)
    with pytest.raises(PermitFeeError) as caught:
        permit_bill_create(actor=officer, case=case, lines=mutate(fees(registry)))
    assert caught.value.code == code and not Bill.objects.exists()


def test_a_request_without_a_known_property_or_closed_is_refused(registry, book, officer, requester):
    lines = fees(registry)
    with pytest.raises(PermitFeeError) as caught:
        permit_bill_create(actor=officer, case=make_case(registry, requester, code="9-9-9-9-0-0-0"), lines=lines)
    assert caught.value.code == "permit_bill.no_parcel"
    closed = make_case(registry, requester, number=2)
    Case.objects.filter(pk=closed.pk).update(closed_at=timezone.now())
    with pytest.raises(PermitFeeError) as caught:
        permit_bill_create(actor=officer, case=closed, lines=lines)
    assert caught.value.code == "permit_bill.case_closed"


def test_a_clerk_may_not_bill_a_permit(registry, book, staff, requester):
    with pytest.raises(AccessDenied):
        permit_bill_create(actor=staff("clerk"), case=make_case(registry, requester), lines=fees(registry))


# --------------------------------------------------------------------------------------------------
# Paying it: the handler of the purpose runs inside bill_settle's transaction
# --------------------------------------------------------------------------------------------------


def test_paying_a_permit_bill_runs_its_handler_once(registry, book, officer, requester, monkeypatch):
    monkeypatch.setitem(BILL_PAID_HANDLERS, "permit", "tests.revenue.test_permit_fees_bill.record_paid")
    bill = permit_bill_create(actor=officer, case=make_case(registry, requester), lines=fees(registry))
    settle(bill)
    assert [(bill.bill_id, 3_080_000_000)] == CALLS
    settle(bill)  # the same payment again: recorded already, the handler does not run twice
    assert [(bill.bill_id, 3_080_000_000)] == CALLS


def test_duties_bills_run_no_handler(registry, book, monkeypatch):
    monkeypatch.setitem(BILL_PAID_HANDLERS, "permit", "tests.revenue.test_permit_fees_bill.record_paid")
    from tests.revenue.factories import make_bill

    settle(make_bill(registry))
    assert CALLS == []


def test_a_failing_handler_rolls_the_payment_back(registry, book, officer, requester, monkeypatch):
    monkeypatch.setitem(BILL_PAID_HANDLERS, "permit", "tests.revenue.test_permit_fees_bill.refuse_paid")
    bill = permit_bill_create(actor=officer, case=make_case(registry, requester), lines=fees(registry))
    with pytest.raises(RuntimeError):
        settle(bill)
    bill.refresh_from_db()
    assert bill.status == Bill.Status.OPEN and not Payment.objects.filter(bill=bill).exists()
    assert not AuditEntry.objects.filter(action="revenue.bill_paid").exists()


def test_a_permit_bill_paid_at_a_bank_runs_its_handler_from_the_settlement_file(
    registry, book, officer, requester, monkeypatch
):
    monkeypatch.setitem(BILL_PAID_HANDLERS, "permit", "tests.revenue.test_permit_fees_bill.record_paid")
    bill = permit_bill_create(actor=officer, case=make_case(registry, requester), lines=fees(registry))
    data = csv_bytes([line(bill, trace="700001", paid_at=at(11))])

    result = settlement_import(actor=None, city=registry.city, path_or_bytes=data, name=file_name())

    assert result.status == "imported", result.problems
    bill.refresh_from_db()
    assert bill.status == Bill.Status.PAID and [(bill.bill_id, 3_080_000_000)] == CALLS


def test_an_adjusted_permit_bill_stays_a_permit_bill_and_cannot_be_split(registry, book, officer, requester, staff):
    case = make_case(registry, requester)
    bill = permit_bill_create(actor=officer, case=case, lines=fees(registry))
    revenue = staff("revenue")
    adjustment = bill_adjust(
        actor=revenue, bill=bill, reason="کسری پارکینگ با نقشه اصلاحی برطرف شد", new_gross=2_980_000_000
    )
    new = adjustment.new_bill
    assert new.purpose == BillPurpose.PERMIT and new.case_id == case.pk and new.kind == BillKind.PERMIT
    with pytest.raises(InvalidInstalments) as caught:
        instalments_create(actor=revenue, bills=[new], count=3, reason="درخواست مؤدی", first_due=jalali.today())
    assert caught.value.code == "instalments_of_permit"


def test_the_annual_assessment_ignores_permit_bills(registry, book, officer, requester):
    bill = permit_bill_create(actor=officer, case=make_case(registry, requester), lines=fees(registry))
    first = assess(actor=None, district=registry, year=1405)
    second = assess(actor=None, district=registry, year=1405)
    bill.refresh_from_db()
    assert bill.status == Bill.Status.OPEN and bill.supersedes_id is None
    assert not Bill.objects.filter(supersedes=bill).exists()
    assert second.counts["superseded"] == 0 and first.counts["new"] == second.counts["unchanged"]
    assert Bill.objects.filter(purpose="permit").count() == 1
    assert Bill.objects.exclude(purpose="permit").filter(kind="permit").count() == 0


# --------------------------------------------------------------------------------------------------
# Pages: the requester's portal and the revenue officer's bill page show the lines with their labels
# --------------------------------------------------------------------------------------------------


def test_the_requester_sees_the_permit_bill_in_the_portal(registry, book, officer, requester, staff):
    citizen = activate(enroll(staff("clerk"), registry, TWO_APARTMENTS))
    case = make_case(registry, requester)
    bill = permit_bill_create(actor=officer, case=case, lines=fees(registry))
    client = signed_in(citizen)

    page = client.get(reverse("citizens:bill", args=[bill.bill_id]))

    assert page.status_code == 200
    html = page.content.decode()
    for label in ("عوارض زیربنا", "عوارض پذیره تجاری", "کسری پارکینگ"):
        assert label in html
    assert "۳٬۰۸۰٬۰۰۰٬۰۰۰" in html
    assert bill.bill_id in client.get(reverse("citizens:bills")).content.decode()
    pdf = client.get(reverse("citizens:bill_pdf", args=[bill.bill_id]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    bill.refresh_from_db()
    assert "عوارض صدور پروانه ساختمانی" in bill.document.fields["subject"]


def test_the_revenue_officer_sees_the_permit_bill_with_its_lines_and_no_split(
    registry, book, officer, requester, staff
):
    bill = permit_bill_create(actor=officer, case=make_case(registry, requester), lines=fees(registry))
    client = Client()
    force_login_verified(client, staff("revenue"))

    page = client.get(reverse("revenue:bill", args=[bill.bill_id]))

    assert page.status_code == 200
    html = page.content.decode()
    assert "عوارض پذیره تجاری" in html and "کسری پارکینگ" in html
    assert 'value="instalments"' not in html
    assert f'href="/staff/cases/{bill.subject_code}/" data-bill-case' in html
    assert Ownership.objects.filter(person=requester).exists()
