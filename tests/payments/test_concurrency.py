"""Concurrent callbacks settle once — real concurrent requests on PostgreSQL, each thread its own connection."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from shahrvand.payments.models import AttemptStatus, PaymentAttempt, SandboxState
from shahrvand.payments.services import CallbackOutcome, payment_callback
from shahrvand.revenue.models import Bill, Payment
from tests.payments.helpers import bank_txn, fresh, pay_at_bank, start

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises every writer, so nothing would run concurrently "
        "(run with DATABASE_URL=postgres://…)",
    ),
]


def _together(calls: list[Callable[[], CallbackOutcome]]) -> list[CallbackOutcome | BaseException]:
    """Run the calls at the same moment, one thread and one database connection each."""
    barrier = threading.Barrier(len(calls))
    results: list[CallbackOutcome | BaseException] = [RuntimeError("not run")] * len(calls)

    def run(index: int, call: Callable[[], CallbackOutcome]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except BaseException as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_the_same_callback_arriving_eight_times_at_once_settles_once(citizen, bill):
    attempt = start(citizen, bill)
    fields = pay_at_bank(attempt)

    results = _together([lambda: payment_callback(order_id=attempt.order_id, data=fields)] * 8)

    assert all(isinstance(r, CallbackOutcome) and r.accepted for r in results), results
    assert sum(1 for r in results if isinstance(r, CallbackOutcome) and not r.repeated) == 1
    assert fresh(attempt).status == AttemptStatus.SETTLED
    assert Payment.objects.filter(bill=bill).count() == 1
    assert Bill.objects.get(pk=bill.pk).status == Bill.Status.PAID


def test_two_attempts_for_one_bill_paid_at_once_settle_once_and_the_other_is_reversed(citizen, bill):
    attempts = [start(citizen, bill) for _ in range(4)]
    callbacks = [(a.order_id, pay_at_bank(a)) for a in attempts]

    results = _together(
        [lambda o=order_id, f=fields: payment_callback(order_id=o, data=f) for order_id, fields in callbacks * 2]
    )

    assert all(isinstance(r, CallbackOutcome) for r in results), results
    statuses = sorted(PaymentAttempt.objects.filter(bill=bill).values_list("status", flat=True))
    assert statuses == [AttemptStatus.REVERSED] * 3 + [AttemptStatus.SETTLED]
    assert Payment.objects.filter(bill=bill).count() == 1
    kept = [bank_txn(a).state for a in attempts]
    assert sorted(kept) == [SandboxState.REVERSED] * 3 + [SandboxState.VERIFIED]
