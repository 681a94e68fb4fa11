"""Regressions from the payments review (``/tmp/review``): each confirmed defect, as it was reproduced.

1. Settling judged the amount on the day we finished checking, not the day the card was charged.
2. A verified bank reference was never tied to the order it settles (a callback for order B carrying
   A's RefNum settled B with A's money, and A was stuck for ever on the unique reference).
3. The bank's settlement file paying the bill with the very same money made the gateway side reverse
   it (or mark a refund due).
4. A refused reverse ended in "refund due" even when the bank never kept the money; a "verified"
   inquiry without an amount settled with our own amount.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
from django.test import Client

from shahrvand.core import jalali
from shahrvand.payments import clock, sandbox
from shahrvand.payments.gateways.base import BankState, GatewayError, InquiryResult
from shahrvand.payments.gateways.sandbox import SandboxGateway
from shahrvand.payments.models import AttemptStatus, EventKind, PaymentAttempt, PaymentEvent, SandboxState
from shahrvand.payments.services import _paid_at, payment_callback, payments_reconcile
from shahrvand.revenue.amounts import payable
from shahrvand.revenue.models import Bill, Payment
from shahrvand.revenue.services import bill_settle
from shahrvand.settlement.services import settlement_import
from tests.payments.conftest import bill_for, noon_today
from tests.payments.helpers import bank_txn, fresh, pay_at_bank, start
from tests.revenue.factories import make_bill
from tests.settlement.helpers import csv_bytes

pytestmark = pytest.mark.django_db


def _events(attempt: PaymentAttempt, kind: str) -> list[dict[str, Any]]:
    return [e.payload for e in PaymentEvent.objects.filter(attempt=attempt, kind=kind).order_by("pk")]


# --------------------------------------------------------------------------------------------------
# 1. The day of payment is the day the card was charged
# --------------------------------------------------------------------------------------------------


def _deadline_bill(citizen, kind: str) -> Bill:
    today = noon_today().date()
    if kind == "discount":  # the last day of the discount: 10% off until midnight
        bill = make_bill(
            citizen.district, gross=5_000_000, discount_until=today, due_date=today + dt.timedelta(days=30)
        )
    else:  # the due date: a month's penalty from midnight
        bill = make_bill(citizen.district, gross=5_000_000, discount_until=today - dt.timedelta(days=1), due_date=today)
    Bill.objects.filter(pk=bill.pk).update(payer=citizen.person)
    bill.refresh_from_db()
    tomorrow = today + dt.timedelta(days=1)
    assert payable(bill, today).amount != payable(bill, tomorrow).amount  # midnight changes the amount
    return bill


@pytest.mark.parametrize("kind", ["discount", "penalty"])
@pytest.mark.parametrize("fate", ["verify-timeout-before", "verify-timeout-after", "callback-lost"])
def test_a_payment_at_2350_verified_after_midnight_is_judged_on_the_day_it_was_paid(citizen, kind, fate):
    bill = _deadline_bill(citizen, kind)
    clock.travel(dt.timedelta(hours=11, minutes=50))  # 23:50 Tehran, the last day at today's amount
    attempt = start(citizen, bill)
    assert attempt.amount == payable(bill, noon_today().date()).amount
    fields = pay_at_bank(attempt)  # charged at 23:50
    charged_at = clock.now()
    if fate != "callback-lost":
        timeout = "before" if fate == "verify-timeout-before" else "after"
        with sandbox.faults_set(verify_timeout=timeout):
            Client().post(f"/pay/callback/{attempt.order_id}/", fields)
        assert fresh(attempt).status == AttemptStatus.VERIFYING

    clock.travel(dt.timedelta(minutes=15))  # 00:05 the next day, within the bank's 30 minutes
    assert jalali.to_tehran(clock.now()).date() != jalali.to_tehran(charged_at).date()
    report = payments_reconcile()

    attempt = fresh(attempt)
    assert (report.errors, attempt.status, attempt.reason) == (0, AttemptStatus.SETTLED, "")
    bill.refresh_from_db()
    assert bill.status == Bill.Status.PAID
    payment = Payment.objects.get(bill=bill)
    assert (payment.amount, payment.paid_at) == (attempt.amount, charged_at)
    assert bank_txn(attempt).state == SandboxState.VERIFIED


def test_paid_at_prefers_the_bank_then_a_paid_callback_and_is_never_in_the_future(citizen, bill):
    attempt = start(citizen, bill)
    started = attempt.created_at
    clock.travel(dt.timedelta(minutes=10))
    now = clock.now()
    bank = started + dt.timedelta(minutes=3)
    callback = started + dt.timedelta(minutes=4)

    assert _paid_at(attempt, bank) == bank
    assert _paid_at(attempt, None) == now  # nothing known: now
    assert _paid_at(attempt, now + dt.timedelta(hours=1)) == now  # never later than now
    assert _paid_at(attempt, started - dt.timedelta(days=1)) == started  # never before the attempt
    paid_callback = replace_fields(attempt, callback_at=callback, reason="")
    assert _paid_at(paid_callback, None) == callback
    cancel_callback = replace_fields(attempt, callback_at=callback, reason="bank_state:CanceledByUser")
    assert _paid_at(cancel_callback, None) == now  # a cancel's time says nothing about a charge


def replace_fields(attempt: PaymentAttempt, **changes: Any) -> PaymentAttempt:
    copy = PaymentAttempt.objects.get(pk=attempt.pk)
    for name, value in changes.items():
        setattr(copy, name, value)
    return copy


# --------------------------------------------------------------------------------------------------
# 2. A bank reference settles only the order it belongs to
# --------------------------------------------------------------------------------------------------


def _two_orders(citizen) -> tuple[Bill, Bill, PaymentAttempt, PaymentAttempt]:
    x = bill_for(citizen, gross=5_000_000)
    y = bill_for(citizen, gross=5_000_000, instalment_no=3)  # asks for the same amount
    return x, y, start(citizen, x), start(citizen, y)


def test_a_callback_for_b_without_a_token_carrying_as_refnum_is_refused(citizen):
    x, y, a, b = _two_orders(citizen)
    fields_a = pay_at_bank(a)  # money charged for order A; the payer never posts A's callback
    forged = {k: v for k, v in fields_a.items() if k != "Token"}
    forged["ResNum"] = b.order_id

    outcome = payment_callback(order_id=b.order_id, data=forged)

    assert (outcome.accepted, outcome.reason) == (False, "no_token")
    assert fresh(b).status == AttemptStatus.TOKEN_ISSUED and fresh(b).reference == ""
    assert _events(b, EventKind.CALLBACK_REFUSED) == [{"reason": "no_token"}]
    y.refresh_from_db()
    assert y.status == Bill.Status.OPEN and not Payment.objects.filter(bill=y).exists()
    # A's own callback settles A with A's money.
    Client().post(f"/pay/callback/{a.order_id}/", fields_a)
    x.refresh_from_db()
    assert (fresh(a).status, x.status) == (AttemptStatus.SETTLED, Bill.Status.PAID)


@pytest.mark.parametrize("a_callback", ["posted", "lost"])
def test_a_callback_for_b_with_bs_token_and_as_refnum_settles_nothing_and_reverses_nothing(citizen, a_callback):
    """B's payer knows B's token (it is in the redirect): only the verify answer's order number stops this."""
    x, y, a, b = _two_orders(citizen)
    fields_a = pay_at_bank(a)
    forged = {**fields_a, "ResNum": b.order_id, "Token": b.token}

    outcome = payment_callback(order_id=b.order_id, data=forged)

    assert (outcome.accepted, outcome.reason) == (False, "reference_of_another_order")
    b_now = fresh(b)
    assert (b_now.status, b_now.reference, b_now.payment_record_id) == (AttemptStatus.VERIFYING, "", None)
    refused = [e for e in _events(b, EventKind.STATUS) if e.get("refused")]
    assert refused == [
        {
            "refused": "order_mismatch",
            "call": "verify",
            "answer_order_id": a.order_id,
            "reference": fields_a["RefNum"],
            "held_reference": fields_a["RefNum"],
        }
    ]
    assert not _events(b, EventKind.REVERSE_SENT)  # A's money is not B's to reverse
    assert bank_txn(a).state == SandboxState.VERIFIED
    y.refresh_from_db()
    assert y.status == Bill.Status.OPEN and not Payment.objects.filter(bill=y).exists()

    if a_callback == "posted":
        assert payment_callback(order_id=a.order_id, data=fields_a).accepted
    clock.travel(dt.timedelta(minutes=5))
    report = payments_reconcile()

    assert report.errors == 0
    x.refresh_from_db()
    assert (fresh(a).status, x.status) == (AttemptStatus.SETTLED, Bill.Status.PAID)
    assert Payment.objects.get(bill=x).reference == fields_a["RefNum"]
    assert fresh(b).status == AttemptStatus.VERIFYING  # B's own token: still on the bank's page
    clock.travel(dt.timedelta(minutes=30))  # B's token expired unpaid
    assert payments_reconcile().errors == 0
    assert fresh(b).status == AttemptStatus.FAILED
    assert Bill.objects.get(pk=y.pk).status == Bill.Status.OPEN


def test_b_may_still_pay_after_a_forged_callback(citizen):
    x, y, a, b = _two_orders(citizen)
    fields_a = pay_at_bank(a)
    payment_callback(order_id=b.order_id, data={**fields_a, "ResNum": b.order_id, "Token": b.token})
    fields_b = pay_at_bank(b)  # B's payer really pays
    assert payment_callback(order_id=b.order_id, data=fields_b).repeated  # B is already being checked

    clock.travel(dt.timedelta(minutes=2))
    payments_reconcile()

    assert (fresh(a).status, fresh(b).status) == (AttemptStatus.SETTLED, AttemptStatus.SETTLED)
    assert fresh(b).reference == fields_b["RefNum"]
    assert Bill.objects.filter(pk__in=[x.pk, y.pk], status=Bill.Status.PAID).count() == 2


def test_a_reference_held_by_an_unconfirmed_attempt_is_released_to_its_order(citizen):
    """Data left by the old code: B failed holding A's RefNum; reconciling A used to hit IntegrityError."""
    _x, _y, a, b = _two_orders(citizen)
    fields_a = pay_at_bank(a)
    PaymentAttempt.objects.filter(pk=b.pk).update(status=AttemptStatus.FAILED, reference=fields_a["RefNum"])

    clock.travel(dt.timedelta(minutes=5))
    report = payments_reconcile()

    assert report.errors == 0
    assert fresh(a).status == AttemptStatus.SETTLED and fresh(a).reference == fields_a["RefNum"]
    assert fresh(b).reference == ""
    assert _events(b, EventKind.STATUS)[-1] == {"reference_released": fields_a["RefNum"], "to_order_id": a.order_id}


def test_a_reference_already_settled_by_another_attempt_leaves_the_order_failed_not_stuck(citizen):
    """Data left by the old code: B settled with A's money. A resolves, with an event; nothing reversed."""
    x, y, a, b = _two_orders(citizen)
    fields_a = pay_at_bank(a)
    SandboxGateway().verify(order_id=b.order_id, reference=fields_a["RefNum"])  # what B's verify did
    paid = bill_settle(
        bill=y, amount=b.amount, paid_at=clock.now(), source="gateway", reference=fields_a["RefNum"]
    ).payment
    PaymentAttempt.objects.filter(pk=b.pk).update(
        status=AttemptStatus.SETTLED, reference=fields_a["RefNum"], payment_record=paid
    )

    clock.travel(dt.timedelta(minutes=5))
    report = payments_reconcile()

    assert report.errors == 0
    a_now = fresh(a)
    assert (a_now.status, a_now.reason, a_now.reference) == (
        AttemptStatus.FAILED,
        "reference_used_elsewhere",
        "",
    )
    assert {"reference_used_by": b.order_id, "reference": fields_a["RefNum"]} in _events(a, EventKind.STATUS)
    assert not _events(a, EventKind.REVERSE_SENT) and bank_txn(a).state == SandboxState.VERIFIED
    assert Bill.objects.get(pk=x.pk).status == Bill.Status.OPEN
    assert payments_reconcile().looked_at == 0


@pytest.mark.parametrize(("change", "reason"), [({}, "no_token"), ({"Token": "f" * 32}, "token_mismatch")])
def test_a_cancel_callback_needs_the_token_too(citizen, bill, change, reason):
    attempt = start(citizen, bill)
    fields = {**sandbox.callback_fields(bank_txn(attempt)), "State": "CanceledByUser", "Status": "1", **change}
    if not change:
        del fields["Token"]

    outcome = payment_callback(order_id=attempt.order_id, data=fields)

    assert (outcome.accepted, outcome.reason) == (False, reason)
    assert fresh(attempt).status == AttemptStatus.TOKEN_ISSUED


# --------------------------------------------------------------------------------------------------
# 3. The settlement file paid the bill with the very same money
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("verify_timeout", ["after", "before"], ids=["bank-verified", "bank-charged-only"])
def test_the_settlement_file_paying_with_the_same_money_settles_the_attempt(citizen, verify_timeout):
    bill = bill_for(citizen, gross=5_000_000)
    attempt = start(citizen, bill)
    fields = pay_at_bank(attempt)
    with sandbox.faults_set(verify_timeout=verify_timeout, inquiry_timeout=True):
        Client().post(f"/pay/callback/{attempt.order_id}/", fields)
    assert fresh(attempt).status == AttemptStatus.VERIFYING
    txn = bank_txn(attempt)
    line = [bill.bill_id, attempt.payment_id, str(attempt.amount), txn.trace_no, "IPG"]
    data = csv_bytes([[*line, jalali.to_tehran(txn.charged_at).isoformat()]])
    today = jalali.to_tehran(clock.now()).date()
    imported = settlement_import(
        actor=None, city=bill.city, path_or_bytes=data, name="saman.csv", bank="saman", settlement_date=today
    )
    assert imported.status == "imported"
    bank_payment = Payment.objects.get(bill=bill)
    assert (bank_payment.source, bank_payment.reference) == ("bank_file", f"saman:{txn.trace_no}")

    clock.travel(dt.timedelta(minutes=5))
    report = payments_reconcile()

    attempt = fresh(attempt)
    assert (report.errors, attempt.status, attempt.reason) == (0, AttemptStatus.SETTLED, "settled_by_bank_file")
    assert attempt.payment_record == bank_payment and Payment.objects.filter(bill=bill).count() == 1
    assert bank_txn(attempt).state == SandboxState.VERIFIED  # kept, not reversed
    assert not _events(attempt, EventKind.REVERSE_SENT)
    assert payments_reconcile().looked_at == 0


def test_a_settlement_payment_with_another_trace_number_is_other_money(citizen):
    bill = bill_for(citizen, gross=5_000_000)
    attempt = start(citizen, bill)
    fields = pay_at_bank(attempt)
    bill_settle(
        bill=bill,
        amount=attempt.amount,
        paid_at=clock.now(),
        source="bank_file",
        reference="saman:999999",
        trace_number="999999",
    )

    payment_callback(order_id=attempt.order_id, data=fields)

    attempt = fresh(attempt)
    assert (attempt.status, attempt.reason) == (AttemptStatus.REVERSED, "already_paid")
    assert attempt.payment_record is None


# --------------------------------------------------------------------------------------------------
# 4. "Refund due" only for money the bank kept; no settling without the bank's amount
# --------------------------------------------------------------------------------------------------


def _refuse_reverse(monkeypatch, inquiry_state: BankState | None) -> None:
    def refused(self, *, order_id: str, reference: str, token: str = "") -> Any:
        raise GatewayError("reverse refused: -2", code="-2", definitive=True)

    monkeypatch.setattr(SandboxGateway, "reverse", refused)
    if inquiry_state is not None:

        def inquiry(self, *, order_id: str, token: str = "", reference: str = "") -> InquiryResult:
            return InquiryResult(state=inquiry_state, order_id=order_id, raw={"fake": inquiry_state.value})

        monkeypatch.setattr(SandboxGateway, "inquiry", inquiry)


@pytest.mark.parametrize("state", [BankState.CHARGED, BankState.UNKNOWN, BankState.FAILED, BankState.PENDING])
def test_a_refused_reverse_of_unverified_money_waits_then_expires(citizen, bill, monkeypatch, state):
    attempt = start(citizen, bill)
    with sandbox.faults_set(charge_delta=1_000):
        pay_at_bank(attempt)  # the payer's callback is lost
    clock.travel(dt.timedelta(minutes=2))
    payments_reconcile()  # inquiry: charged, another amount → reverse without verifying
    attempt = fresh(attempt)
    assert attempt.status == AttemptStatus.REVERSED and bank_txn(attempt).verified_at is None

    # The same, with a bank that refuses the reverse and an inquiry that does not say "verified".
    other = start(citizen, bill)
    with sandbox.faults_set(charge_delta=1_000):
        pay_at_bank(other)
    _refuse_reverse(monkeypatch, None)
    clock.travel(dt.timedelta(minutes=2))
    payments_reconcile()
    assert fresh(other).status == AttemptStatus.REVERSING
    _refuse_reverse(monkeypatch, state)

    payments_reconcile()
    assert fresh(other).status == AttemptStatus.REVERSING  # not refund_due: ask again next time

    clock.travel(dt.timedelta(minutes=60))  # the bank's window passed: unverified money went back
    payments_reconcile()
    other = fresh(other)
    assert (other.status, other.reason) == (AttemptStatus.EXPIRED, "bank:returned_to_card")
    assert not PaymentAttempt.objects.filter(status=AttemptStatus.REFUND_DUE).exists()


def test_a_refused_reverse_of_verified_money_is_a_refund_due(citizen, bill, monkeypatch):
    attempt = start(citizen, bill)
    _refuse_reverse(monkeypatch, None)
    with sandbox.faults_set(charge_delta=1_000):
        payment_callback(order_id=attempt.order_id, data=pay_at_bank(attempt))  # verified, wrong amount

    attempt = fresh(attempt)
    assert (attempt.status, attempt.reason) == (AttemptStatus.REFUND_DUE, "amount_mismatch")
    assert bank_txn(attempt).state == SandboxState.VERIFIED


def test_a_verified_inquiry_without_an_amount_does_not_settle(citizen, bill, monkeypatch):
    attempt = start(citizen, bill)
    fields = pay_at_bank(attempt)
    SandboxGateway().verify(order_id=attempt.order_id, reference=fields["RefNum"])
    real_inquiry = SandboxGateway.inquiry

    def no_amount(self, **kwargs: Any) -> InquiryResult:
        return replace(real_inquiry(self, **kwargs), amount=None)

    monkeypatch.setattr(SandboxGateway, "inquiry", no_amount)
    clock.travel(dt.timedelta(minutes=5))
    payments_reconcile()

    assert fresh(attempt).status == AttemptStatus.TOKEN_ISSUED
    assert not Payment.objects.filter(bill=bill).exists()
    assert {"refused": "no_amount", "call": "inquiry", "reference": fields["RefNum"]} in _events(
        attempt, EventKind.STATUS
    )

    monkeypatch.setattr(SandboxGateway, "inquiry", real_inquiry)  # the bank answers fully next time
    clock.travel(dt.timedelta(minutes=1))
    payments_reconcile()
    assert fresh(attempt).status == AttemptStatus.SETTLED
