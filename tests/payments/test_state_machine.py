"""A Hypothesis state machine over payment attempts: whatever the payers, the bank and the clock do,
a bill is paid at most once, and after reconciliation money kept by the bank ⇔ the bill is paid.

Steps: start an attempt, pay or cancel at the bank (sometimes the bank charges another amount),
deliver a callback (again and again: duplicates; later: delayed; never: lost), verify timeouts (the
bank did or did not verify), the bill paid at a bank branch meanwhile, the bank's settlement file
paying the bill with the very money of an online attempt (the same trace number), time passing, the
bank returning unverified money, reconciliation. Each example runs in a savepoint rolled back at the end.
"""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from shahrvand.citizens.models import Citizen
from shahrvand.payments import clock, sandbox
from shahrvand.payments.models import OPEN_STATUSES, AttemptStatus, PaymentAttempt, SandboxState, SandboxTransaction
from shahrvand.payments.services import PaymentError, payment_callback, payments_reconcile
from shahrvand.revenue.errors import AlreadyPaid, AmountMismatch, BillNotPayable
from shahrvand.revenue.models import Bill, Payment
from shahrvand.revenue.services import bill_settle
from tests.payments.conftest import bill_for, noon_today
from tests.payments.helpers import CARD, start

pytestmark = pytest.mark.django_db

MAX_TRAVEL = dt.timedelta(hours=6)
# What happens to a callback: delivered now, delivered with a verify that times out before or after the
# bank verified, kept for later (a delay; maybe delivered twice), or never delivered (the payer is lost).
FATES = [
    "now",
    "now",
    "now",
    "verify-timeout",
    "verify-lost-answer",
    "later",
    "lost",
]  # stay within one Tehran day: the amount a bill asks for is per day


class PaymentMachine(RuleBasedStateMachine):
    citizen: Citizen

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self._clock = clock.frozen(noon_today())
        self._clock.__enter__()
        self.travelled = dt.timedelta(0)
        self.bill = bill_for(self.citizen)  # each example rolls back: the same bill number again
        self.attempts: list[PaymentAttempt] = []
        self.callbacks: list[tuple[str, dict[str, str]]] = []

    # --- what happens ---------------------------------------------------------------------------------

    @initialize()
    def first_attempt(self) -> None:
        self.attempts.append(start(self.citizen, self.bill))

    @precondition(lambda self: len(self.attempts) < 3)
    @rule()
    def start_attempt(self) -> None:
        try:
            self.attempts.append(start(self.citizen, self.bill))
        except PaymentError:
            self.bill.refresh_from_db()
            assert self.bill.status == Bill.Status.PAID

    @precondition(lambda self: self.attempts)
    @rule(
        pick=st.integers(0, 2),
        action=st.sampled_from(["pay", "pay", "pay", "overcharge", "cancel"]),
        fate=st.sampled_from(FATES),
    )
    def at_the_bank(self, pick: int, action: str, fate: str) -> None:
        """The payer pays (the bank may charge another amount) or cancels; the bank posts the payer back."""
        attempt = self.attempts[pick % len(self.attempts)]
        if sandbox.pending(attempt.token, clock.now()) is None:
            return
        if action == "cancel":
            txn = sandbox.bank_cancel(token=attempt.token, now=clock.now())
        else:
            with sandbox.faults_set(charge_delta=1_000 if action == "overcharge" else 0):
                txn = sandbox.bank_pay(token=attempt.token, pan=CARD, now=clock.now())
        self.callbacks.append((attempt.order_id, sandbox.callback_fields(txn)))
        self._deliver(len(self.callbacks) - 1, fate)

    @precondition(lambda self: self.callbacks)
    @rule(pick=st.integers(0, 5), fate=st.sampled_from(FATES))
    def callback_again(self, pick: int, fate: str) -> None:
        """Any callback the bank sent, again (duplicates), later (delays, after reconciliation), or never."""
        self._deliver(pick % len(self.callbacks), fate)

    def _deliver(self, index: int, fate: str) -> None:
        if fate == "later":
            return
        if fate == "lost":
            self.callbacks.pop(index)
            return
        order_id, fields = self.callbacks[index]
        timeout = {"verify-timeout": "before", "verify-lost-answer": "after"}.get(fate, "")
        with sandbox.faults_set(verify_timeout=timeout):
            payment_callback(order_id=order_id, data=fields)

    @rule(really=st.integers(0, 4))
    def paid_at_a_branch(self, really: int) -> None:
        self.bill.refresh_from_db()
        if really == 0 and self.bill.status == Bill.Status.OPEN:
            amount = self.attempts[0].amount
            bill_settle(
                bill=self.bill, amount=amount, paid_at=clock.now(), source="bank_file", reference=f"B{self.bill.pk}"
            )

    @precondition(lambda self: self.attempts)
    @rule(pick=st.integers(0, 2))
    def settlement_file_pays_with_an_attempts_money(self, pick: int) -> None:
        """The bank's settlement file lists money it kept for an attempt, before the gateway side settled it."""
        attempt = self.attempts[pick % len(self.attempts)]
        txn = SandboxTransaction.objects.filter(order_id=attempt.order_id, state=SandboxState.VERIFIED).first()
        self.bill.refresh_from_db()
        if txn is None or txn.charged_amount is None or txn.charged_at is None or self.bill.status != Bill.Status.OPEN:
            return
        # The wrong amount: the settlement file reports it (and the gateway side reverses the money).
        with contextlib.suppress(AlreadyPaid, AmountMismatch, BillNotPayable):
            bill_settle(
                bill=self.bill,
                amount=txn.charged_amount,
                paid_at=txn.charged_at,
                source="bank_file",
                reference=f"saman:{txn.trace_no}",
                trace_number=txn.trace_no,
            )

    @precondition(lambda self: self.travelled < MAX_TRAVEL)
    @rule(minutes=st.sampled_from([1, 1, 2, 5, 31]), bank_sweeps=st.booleans())
    def time_passes(self, minutes: int, bank_sweeps: bool) -> None:
        clock.travel(dt.timedelta(minutes=minutes))
        self.travelled += dt.timedelta(minutes=minutes)
        if bank_sweeps:  # otherwise the bank applies its clock when it is next asked
            sandbox.sandbox_expire(clock.now())

    @rule(inquiry_timeout=st.sampled_from([False, False, True]))
    def reconcile(self, inquiry_timeout: bool) -> None:
        with sandbox.faults_set(inquiry_timeout=inquiry_timeout):
            payments_reconcile()

    # --- what must always hold ------------------------------------------------------------------------

    @invariant()
    def a_bill_is_paid_at_most_once(self) -> None:
        payments = Payment.objects.filter(bill=self.bill).count()
        settled = PaymentAttempt.objects.filter(bill=self.bill, status=AttemptStatus.SETTLED).count()
        assert payments <= 1 and settled <= 1
        gateway = Payment.objects.filter(bill=self.bill, source="gateway").first()
        if gateway is not None:
            assert settled == 1
            attempt = PaymentAttempt.objects.get(bill=self.bill, status=AttemptStatus.SETTLED)
            assert attempt.payment_record_id == gateway.pk and gateway.reference == attempt.reference
        if settled == 1:  # with its own payment, or the settlement file's payment of the same money
            attempt = PaymentAttempt.objects.get(bill=self.bill, status=AttemptStatus.SETTLED)
            payment = Payment.objects.get(bill=self.bill)
            assert attempt.payment_record_id == payment.pk and payment.amount == attempt.charged_amount
            if payment.source == "bank_file":
                assert payment.trace_number == attempt.trace_number
            assert SandboxTransaction.objects.get(ref_num=attempt.reference).state == SandboxState.VERIFIED

    def teardown(self) -> None:
        try:
            # Long after everything: the bank has returned unverified money; reconciliation has run.
            clock.travel(dt.timedelta(minutes=61))
            sandbox.sandbox_expire(clock.now())
            payments_reconcile()
            payments_reconcile()
            self.a_bill_is_paid_at_most_once()
            orders = [a.order_id for a in self.attempts]
            assert not PaymentAttempt.objects.filter(order_id__in=orders, status__in=OPEN_STATUSES).exists()
            at_bank = SandboxTransaction.objects.filter(order_id__in=orders)
            assert not at_bank.filter(state__in=[SandboxState.PENDING, SandboxState.CHARGED]).exists()
            kept = at_bank.filter(state=SandboxState.VERIFIED).count()
            paid_online = PaymentAttempt.objects.filter(order_id__in=orders, status=AttemptStatus.SETTLED).count()
            refunds = PaymentAttempt.objects.filter(order_id__in=orders, status=AttemptStatus.REFUND_DUE).count()
            # Money the bank kept ⇔ the bill is paid with it (or a refund is due, named on the attempt).
            assert kept == paid_online + refunds
        finally:
            self._clock.__exit__(None, None, None)
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)


def test_payments_settle_exactly_once_whatever_happens(citizen):
    PaymentMachine.citizen = citizen
    run_state_machine_as_test(
        PaymentMachine,
        settings=settings(
            max_examples=60,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            derandomize=False,
        ),
    )
