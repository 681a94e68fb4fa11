from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from shahrvand.audit.models import AuditEntry
from shahrvand.core import jalali
from shahrvand.core.identifiers import amount_from_payment_id, validate_bill_id, validate_payment_id
from shahrvand.revenue.amounts import payable, payment_id_for
from shahrvand.revenue.errors import AlreadyPaid, AmountMismatch, BillNotPayable
from shahrvand.revenue.models import Bill, Payment
from shahrvand.revenue.services import bill_settle
from tests.revenue.factories import make_bill

pytestmark = pytest.mark.django_db


def _now_amount(bill: Bill) -> int:
    return payable(bill, jalali.today()).amount


def test_bill_ids_are_valid_and_the_payment_id_carries_the_amount(registry):
    bill = make_bill(registry, gross=12_345_678)
    assert validate_bill_id(bill.bill_id) == bill.bill_id
    assert bill.bill_id.endswith("6" + str(int(bill.bill_id[-1])))  # service type 6, then the check digit
    amount = _now_amount(bill)
    pid = payment_id_for(bill, amount)
    assert validate_payment_id(pid, bill.bill_id) == pid
    assert amount_from_payment_id(pid) == amount


def test_settle_marks_paid_once_and_is_idempotent_per_reference(registry):
    bill = make_bill(registry)
    amount = _now_amount(bill)
    first = bill_settle(bill=bill, amount=amount, paid_at=timezone.now(), source="gateway", reference="R1")
    again = bill_settle(bill=bill, amount=amount, paid_at=timezone.now(), source="gateway", reference="R1")
    assert first.created and not again.created and again.payment.pk == first.payment.pk
    bill.refresh_from_db()
    assert bill.status == Bill.Status.PAID
    assert AuditEntry.objects.filter(action="revenue.bill_paid", target_id=str(bill.pk)).count() == 1
    with pytest.raises(AlreadyPaid):
        bill_settle(bill=bill, amount=amount, paid_at=timezone.now(), source="bank_file", reference="T9")
    assert Payment.objects.filter(bill=bill).count() == 1


def test_the_database_refuses_a_second_payment_row(registry):
    bill = make_bill(registry)
    Payment.objects.create(bill=bill, amount=1000, paid_at=timezone.now(), source="gateway", reference="A")
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(bill=bill, amount=1000, paid_at=timezone.now(), source="bank_file", reference="B")


def test_a_reference_cannot_pay_two_bills(registry):
    one, two = make_bill(registry), make_bill(registry, instalment_no=1)
    bill_settle(bill=one, amount=_now_amount(one), paid_at=timezone.now(), source="gateway", reference="SAME")
    with pytest.raises(AlreadyPaid):
        bill_settle(bill=two, amount=_now_amount(two), paid_at=timezone.now(), source="gateway", reference="SAME")
    two.refresh_from_db()
    assert two.status == Bill.Status.OPEN


def test_wrong_amount_and_superseded_bills_are_refused_and_nothing_changes(registry):
    bill = make_bill(registry)
    with pytest.raises(AmountMismatch):
        bill_settle(bill=bill, amount=_now_amount(bill) + 1000, paid_at=timezone.now(), source="gateway", reference="X")
    Bill.objects.filter(pk=bill.pk).update(status=Bill.Status.SUPERSEDED)
    with pytest.raises(BillNotPayable):
        bill_settle(bill=bill, amount=_now_amount(bill), paid_at=timezone.now(), source="gateway", reference="Y")
    assert not Payment.objects.exists()


def test_discount_penalty_and_rounding():
    class Terms:
        bill_id = "1234567890126"
        year = 1405
        instalment_no = 0
        gross = 10_000_999
        due_date = dt.date(2027, 3, 20)
        discount_percent = 10
        discount_until = dt.date(2027, 3, 20)
        discount_base = 8_000_000
        penalty_monthly_percent = 2
        penalty_cap_percent = 5

    on_time = payable(Terms, dt.date(2027, 3, 1))  # type: ignore[arg-type]
    assert (on_time.discount, on_time.penalty, on_time.amount, on_time.rounding) == (800_000, 0, 9_200_000, 999)
    a_day_late = payable(Terms, dt.date(2027, 3, 21))  # type: ignore[arg-type]
    assert (a_day_late.months_late, a_day_late.penalty, a_day_late.amount) == (1, 200_019, 10_201_000)
    a_year_late = payable(Terms, dt.date(2028, 3, 21))  # type: ignore[arg-type]
    assert a_year_late.penalty == 500_049  # capped at 5%
