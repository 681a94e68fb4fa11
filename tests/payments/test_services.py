"""The guarantees of online payment, through the services and the sandbox bank."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from shahrvand.audit.models import AuditEntry
from shahrvand.payments import clock, sandbox
from shahrvand.payments.gateways.sandbox import SandboxGateway
from shahrvand.payments.models import AttemptStatus, EventKind, PaymentAttempt, PaymentEvent, SandboxState
from shahrvand.payments.services import PaymentError, payment_callback, payments_reconcile
from shahrvand.revenue.models import Bill, Payment
from shahrvand.revenue.services import bill_settle
from tests.payments.conftest import bill_for
from tests.payments.helpers import bank_txn, cancel_at_bank, fresh, pay_at_bank, start

pytestmark = pytest.mark.django_db


def _kinds(attempt: PaymentAttempt) -> list[str]:
    return list(PaymentEvent.objects.filter(attempt=attempt).order_by("pk").values_list("kind", flat=True))


def test_a_paid_callback_is_verified_and_settles_the_bill_once(citizen, bill):
    attempt = start(citizen, bill)
    assert attempt.status == AttemptStatus.TOKEN_ISSUED and len(attempt.order_id) == 16
    fields = pay_at_bank(attempt)

    outcome = payment_callback(order_id=attempt.order_id, data=fields)

    assert outcome.accepted and not outcome.repeated
    attempt = fresh(attempt)
    bill.refresh_from_db()
    assert attempt.status == AttemptStatus.SETTLED
    assert bill.status == Bill.Status.PAID
    payment = Payment.objects.get(bill=bill)
    assert (payment.source, payment.reference, payment.amount) == ("gateway", fields["RefNum"], attempt.amount)
    assert attempt.payment_record == payment and attempt.charged_amount == attempt.amount
    assert bank_txn(attempt).state == SandboxState.VERIFIED
    assert AuditEntry.objects.filter(action="revenue.bill_paid", target_id=str(bill.pk)).count() == 1
    assert AuditEntry.objects.filter(action="payments.settled", target_id=str(attempt.pk)).count() == 1


def test_every_bank_message_and_every_change_is_an_event(citizen, bill):
    attempt = start(citizen, bill)
    payment_callback(order_id=attempt.order_id, data=pay_at_bank(attempt))

    assert _kinds(attempt) == [
        EventKind.STARTED,
        EventKind.TOKEN_REQUEST,
        EventKind.TOKEN_RESPONSE,
        EventKind.STATUS,  # → token_issued
        EventKind.REDIRECT,
        EventKind.CALLBACK,
        EventKind.STATUS,  # → verifying (committed before verify is sent)
        EventKind.VERIFY_SENT,
        EventKind.VERIFY_RESPONSE,
        EventKind.STATUS,  # → settled
    ]
    callback = PaymentEvent.objects.get(attempt=attempt, kind=EventKind.CALLBACK)
    assert callback.payload["ResNum"] == attempt.order_id and callback.payload["State"] == "OK"
    verify = PaymentEvent.objects.get(attempt=attempt, kind=EventKind.VERIFY_RESPONSE)
    assert verify.payload["raw"]["ResultCode"] == 0


def test_payment_events_cannot_be_changed_or_deleted(citizen, bill):
    attempt = start(citizen, bill)
    event = PaymentEvent.objects.filter(attempt=attempt).first()
    assert event is not None
    event.payload = {"forged": True}
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        PaymentEvent.objects.filter(attempt=attempt).update(kind="x")
    with pytest.raises(PermissionError):
        PaymentEvent.objects.filter(attempt=attempt).delete()
    if connection.vendor == "postgresql":  # the database itself refuses, whatever the code does
        for sql in (
            "UPDATE payments_paymentevent SET kind = 'x' WHERE id = %s",
            "DELETE FROM payments_paymentevent WHERE id = %s",
        ):
            with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])
    assert PaymentEvent.objects.get(pk=event.pk).kind == EventKind.STARTED


def test_a_duplicate_callback_changes_nothing(citizen, bill):
    attempt = start(citizen, bill)
    fields = pay_at_bank(attempt)
    payment_callback(order_id=attempt.order_id, data=fields)
    audit_before = AuditEntry.objects.count()

    again = payment_callback(order_id=attempt.order_id, data=fields)

    assert again.accepted and again.repeated
    assert Payment.objects.filter(bill=bill).count() == 1
    assert AuditEntry.objects.count() == audit_before
    assert _kinds(attempt)[-2:] == [EventKind.CALLBACK, EventKind.CALLBACK_REPEATED]


def test_a_replayed_callback_cannot_pay_another_bill(citizen, bill):
    first = start(citizen, bill)
    fields = pay_at_bank(first)
    payment_callback(order_id=first.order_id, data=fields)
    second_bill = bill_for(citizen, instalment_no=1)  # asks for the same amount
    second = start(citizen, second_bill)

    as_is = payment_callback(order_id=second.order_id, data=fields)  # ResNum is the first order's
    doctored = payment_callback(
        order_id=second.order_id, data={**fields, "ResNum": second.order_id, "Token": second.token}
    )

    assert (as_is.accepted, as_is.reason) == (False, "order_mismatch")
    assert (doctored.accepted, doctored.reason) == (False, "reference_reused")
    second_bill.refresh_from_db()
    assert second_bill.status == Bill.Status.OPEN
    assert fresh(second).status == AttemptStatus.TOKEN_ISSUED
    assert PaymentEvent.objects.filter(attempt=second, kind=EventKind.CALLBACK_REFUSED).count() == 2


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"Token": "f" * 32}, "token_mismatch"),
        ({"Amount": "1000"}, "amount_mismatch"),
        ({"TerminalId": "99999999"}, "terminal_mismatch"),
        ({"RefNum": ""}, "no_reference"),
    ],
)
def test_a_forged_callback_is_refused_and_recorded(citizen, bill, change, reason):
    attempt = start(citizen, bill)
    fields = pay_at_bank(attempt)

    outcome = payment_callback(order_id=attempt.order_id, data={**fields, **change})

    assert (outcome.accepted, outcome.reason) == (False, reason)
    assert fresh(attempt).status == AttemptStatus.TOKEN_ISSUED
    bill.refresh_from_db()
    assert bill.status == Bill.Status.OPEN
    refused = PaymentEvent.objects.get(attempt=attempt, kind=EventKind.CALLBACK_REFUSED)
    assert refused.payload == {"reason": reason}
    assert AuditEntry.objects.filter(action="payments.callback_refused", target_id=str(attempt.pk)).exists()
    # The genuine callback still works afterwards.
    assert payment_callback(order_id=attempt.order_id, data=fields).attempt.status == AttemptStatus.SETTLED


def test_a_callback_for_an_unknown_order_is_refused_and_kept(db):
    outcome = payment_callback(order_id="1234567890123456", data={"State": "OK", "RefNum": "X"})

    assert (outcome.accepted, outcome.attempt, outcome.reason) == (False, None, "unknown_order")
    kept = PaymentEvent.objects.filter(order_id="1234567890123456").order_by("pk")
    assert [e.kind for e in kept] == [EventKind.CALLBACK, EventKind.CALLBACK_REFUSED]
    assert kept[0].payload == {"State": "OK", "RefNum": "X"} and kept[0].attempt is None


def test_the_bank_charging_another_amount_is_reversed(citizen, bill):
    attempt = start(citizen, bill)
    with sandbox.faults_set(charge_delta=1_000):
        fields = pay_at_bank(attempt)
        payment_callback(order_id=attempt.order_id, data=fields)

    attempt = fresh(attempt)
    assert (attempt.status, attempt.reason, attempt.charged_amount) == (
        AttemptStatus.REVERSED,
        "amount_mismatch",
        attempt.amount + 1_000,
    )
    assert bank_txn(attempt).state == SandboxState.REVERSED
    assert not Payment.objects.filter(bill=bill).exists()


def test_a_bill_paid_by_another_channel_meanwhile_gets_the_money_reversed(citizen, bill):
    attempt = start(citizen, bill)
    fields = pay_at_bank(attempt)
    bill_settle(bill=bill, amount=attempt.amount, paid_at=clock.now(), source="bank_file", reference="ATM-1")

    payment_callback(order_id=attempt.order_id, data=fields)

    attempt = fresh(attempt)
    assert (attempt.status, attempt.reason) == (AttemptStatus.REVERSED, "already_paid")
    assert bank_txn(attempt).state == SandboxState.REVERSED
    assert Payment.objects.get(bill=bill).source == "bank_file"


def test_two_attempts_paid_at_the_bank_settle_the_bill_once(citizen, bill):
    one, two = start(citizen, bill), start(citizen, bill)
    fields_one, fields_two = pay_at_bank(one), pay_at_bank(two)

    payment_callback(order_id=two.order_id, data=fields_two)
    payment_callback(order_id=one.order_id, data=fields_one)

    assert (fresh(two).status, fresh(one).status) == (AttemptStatus.SETTLED, AttemptStatus.REVERSED)
    assert Payment.objects.filter(bill=bill).count() == 1
    assert bank_txn(one).state == SandboxState.REVERSED and bank_txn(two).state == SandboxState.VERIFIED


def test_a_cancelled_payment_fails_after_asking_the_bank(citizen, bill):
    attempt = start(citizen, bill)
    payment_callback(order_id=attempt.order_id, data=cancel_at_bank(attempt))

    attempt = fresh(attempt)
    assert (attempt.status, attempt.reason) == (AttemptStatus.FAILED, "bank_state:CanceledByUser")
    assert EventKind.INQUIRY_RESPONSE in _kinds(attempt)


def test_a_forged_cancel_does_not_lose_a_real_payment(citizen, bill):
    attempt = start(citizen, bill)
    forged = {**sandbox.callback_fields(bank_txn(attempt)), "State": "CanceledByUser", "Status": "1"}
    payment_callback(order_id=attempt.order_id, data=forged)  # the bank: still pending
    assert fresh(attempt).status == AttemptStatus.CALLBACK_RECEIVED
    fields = pay_at_bank(attempt)
    assert payment_callback(order_id=attempt.order_id, data=fields).repeated

    clock.travel(dt.timedelta(minutes=2))
    payments_reconcile()

    assert fresh(attempt).status == AttemptStatus.SETTLED


@pytest.mark.parametrize("bank_verified", [False, True], ids=["bank-did-not-verify", "bank-verified"])
def test_a_verify_timeout_leaves_the_attempt_for_reconciliation(citizen, bill, bank_verified):
    attempt = start(citizen, bill)
    fields = pay_at_bank(attempt)
    with sandbox.faults_set(verify_timeout="after" if bank_verified else "before"):
        payment_callback(order_id=attempt.order_id, data=fields)
    assert fresh(attempt).status == AttemptStatus.VERIFYING
    assert bank_txn(attempt).state == (SandboxState.VERIFIED if bank_verified else SandboxState.CHARGED)
    bill.refresh_from_db()
    assert bill.status == Bill.Status.OPEN

    assert payments_reconcile().looked_at == 0  # not stuck yet: the callback may still be working on it
    clock.travel(dt.timedelta(minutes=2))
    report = payments_reconcile()

    assert (report.looked_at, dict(report.outcomes)) == (1, {"settled": 1})
    bill.refresh_from_db()
    assert bill.status == Bill.Status.PAID and Payment.objects.filter(bill=bill).count() == 1
    assert payments_reconcile().looked_at == 0  # nothing left to do


def test_a_crash_between_verify_and_marking_paid_is_repaired(citizen, bill):
    attempt = start(citizen, bill)
    fields = pay_at_bank(attempt)
    # The callback got as far as verifying with the bank, then the process died.
    SandboxGateway().verify(order_id=attempt.order_id, reference=fields["RefNum"])
    PaymentAttempt.objects.filter(pk=attempt.pk).update(status=AttemptStatus.VERIFYING, reference=fields["RefNum"])

    clock.travel(dt.timedelta(minutes=2))
    payments_reconcile()

    assert fresh(attempt).status == AttemptStatus.SETTLED
    assert Payment.objects.get(bill=bill).reference == fields["RefNum"]


def test_a_lost_callback_is_found_by_inquiry_within_the_window(citizen, bill):
    attempt = start(citizen, bill)
    pay_at_bank(attempt)  # the payer never comes back

    clock.travel(dt.timedelta(minutes=5))
    payments_reconcile()

    assert fresh(attempt).status == AttemptStatus.SETTLED
    bill.refresh_from_db()
    assert bill.status == Bill.Status.PAID
    # The late callback changes nothing.
    late = payment_callback(order_id=attempt.order_id, data=sandbox.callback_fields(bank_txn(attempt)))
    assert late.repeated and Payment.objects.filter(bill=bill).count() == 1


def test_after_the_window_unverified_money_goes_back_and_the_attempt_expires(citizen, bill):
    attempt = start(citizen, bill)
    pay_at_bank(attempt)

    clock.travel(dt.timedelta(minutes=31))
    assert sandbox.sandbox_expire(clock.now()) == 1
    payments_reconcile()

    attempt = fresh(attempt)
    assert (attempt.status, attempt.reason) == (AttemptStatus.EXPIRED, "bank:returned_to_card")
    assert bank_txn(attempt).state == SandboxState.RETURNED
    bill.refresh_from_db()
    assert bill.status == Bill.Status.OPEN and not Payment.objects.exists()


def test_an_abandoned_attempt_fails_when_the_token_expires(citizen, bill):
    attempt = start(citizen, bill)
    clock.travel(dt.timedelta(minutes=5))
    payments_reconcile()
    assert fresh(attempt).status == AttemptStatus.TOKEN_ISSUED  # the payer may still be on the bank's page

    clock.travel(dt.timedelta(minutes=20))
    payments_reconcile()

    assert fresh(attempt).status == AttemptStatus.FAILED
    assert bank_txn(attempt).state == SandboxState.EXPIRED


def test_a_reverse_timeout_is_retried_by_reconciliation(citizen, bill):
    attempt = start(citizen, bill)
    with sandbox.faults_set(charge_delta=-1_000, reverse_timeout=True):
        payment_callback(order_id=attempt.order_id, data=pay_at_bank(attempt))
    assert fresh(attempt).status == AttemptStatus.REVERSING

    payments_reconcile()

    assert fresh(attempt).status == AttemptStatus.REVERSED
    assert bank_txn(attempt).state == SandboxState.REVERSED


def test_a_lost_callback_for_a_bill_paid_elsewhere_is_reversed_without_verifying(citizen, bill):
    attempt = start(citizen, bill)
    pay_at_bank(attempt)
    bill_settle(bill=bill, amount=attempt.amount, paid_at=clock.now(), source="counter", reference="C-1")

    clock.travel(dt.timedelta(minutes=3))
    payments_reconcile()

    attempt = fresh(attempt)
    assert (attempt.status, attempt.reason) == (AttemptStatus.REVERSED, "bill_not_open")
    assert bank_txn(attempt).verified_at is None


def test_start_refuses_someone_elses_bill_and_a_closed_bill(citizen, other_citizen, bill):
    with pytest.raises(PaymentError) as not_yours:
        start(other_citizen, bill)
    Bill.objects.filter(pk=bill.pk).update(status=Bill.Status.SUPERSEDED)
    with pytest.raises(PaymentError) as closed:
        start(citizen, bill)
    assert (not_yours.value.code, closed.value.code) == ("not_yours", "not_open")
    assert not PaymentAttempt.objects.exists()


def test_a_bank_without_a_token_leaves_a_failed_attempt(citizen, bill):
    with sandbox.faults_set(token_timeout=True):
        from shahrvand.payments.services import payment_start

        started = payment_start(actor=citizen.user, citizen=citizen, bill=bill, callback_url="http://x/{order_id}/")
    assert started.redirect is None
    assert (started.attempt.status, started.attempt.reason) == (AttemptStatus.FAILED, "token:timeout")


def test_the_amount_is_what_the_bill_asks_today(citizen, bill):
    attempt = start(citizen, bill)
    # 12,345,678 with a 10% discount (1,234,567) is 11,111,111, rounded down to 1,000 Rials.
    assert attempt.amount == 11_111_000
    assert timezone.is_aware(attempt.created_at)
