"""Steps of a payment as the payer and the bank take them, for the payments tests."""

from __future__ import annotations

from shahrvand.citizens.models import Citizen
from shahrvand.payments import clock, sandbox
from shahrvand.payments.models import PaymentAttempt, SandboxTransaction
from shahrvand.payments.services import Started, payment_start
from shahrvand.revenue.models import Bill

CALLBACK = "http://testserver/pay/callback/{order_id}/"
CARD = sandbox.TEST_CARDS[0]


def start(citizen: Citizen, bill: Bill) -> PaymentAttempt:
    started: Started = payment_start(actor=citizen.user, citizen=citizen, bill=bill, callback_url=CALLBACK)
    assert started.redirect is not None, started.attempt.reason
    return started.attempt


def pay_at_bank(attempt: PaymentAttempt) -> dict[str, str]:
    """The payer pays on the bank's page; returns what the bank posts back."""
    txn = sandbox.bank_pay(token=attempt.token, pan=CARD, now=clock.now())
    return sandbox.callback_fields(txn)


def cancel_at_bank(attempt: PaymentAttempt) -> dict[str, str]:
    txn = sandbox.bank_cancel(token=attempt.token, now=clock.now())
    return sandbox.callback_fields(txn)


def bank_txn(attempt: PaymentAttempt) -> SandboxTransaction:
    return SandboxTransaction.objects.get(order_id=attempt.order_id)


def fresh(attempt: PaymentAttempt) -> PaymentAttempt:
    return PaymentAttempt.objects.get(pk=attempt.pk)
