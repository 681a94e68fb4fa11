"""What must hold after any fault: the money, the bills and the audit chain (shared by the fault tests,
``scripts/faults.py`` and the load test's after-check).

* every attempt is resolved (none left open) once reconciliation has run past the quiet period;
* no bill is paid twice (one ``Payment`` per bill is also a constraint; one settled attempt per bill);
* money kept ⇔ bill paid: every transaction the (sandbox) bank kept — verified — belongs to a settled
  attempt whose bill is paid with that reference; every online payment has its verified transaction;
* the audit chain verifies.
"""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

from django.core.management import call_command
from django.db.models import Count

from shahrvand.payments import clock
from shahrvand.payments.models import OPEN_STATUSES, AttemptStatus, PaymentAttempt, SandboxState, SandboxTransaction
from shahrvand.payments.services import QUIET, TOKEN_MINUTES, payments_reconcile
from shahrvand.revenue.models import Bill, Payment


def reconcile_until_quiet(rounds: int = 3, *, later: dt.timedelta = QUIET) -> list[dict[str, Any]]:
    """Run ``payments_reconcile`` as the every-minute timer would, ``later`` from now (past the quiet period).

    With ``later`` past the bank's token lifetime (:data:`TOKEN_MINUTES`), attempts whose payer never
    came back from the card page are resolved too (until then the payer may still pay: they wait).
    """
    reports = []
    at = clock.now() + later + dt.timedelta(seconds=5)
    for _ in range(rounds):
        with clock.frozen(at):
            report = payments_reconcile(now=at)
        reports.append({"looked_at": report.looked_at, "outcomes": dict(report.outcomes), "errors": report.errors})
        if not PaymentAttempt.objects.filter(status__in=OPEN_STATUSES).exists():
            break
    return reports


def audit_chain_ok() -> tuple[bool, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit_log", stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code in (0, None), (out.getvalue() + err.getvalue()).strip()
    return True, out.getvalue().strip()


def money_problems() -> list[str]:
    """Every broken invariant about attempts, bills and the bank's money (empty: all hold)."""
    problems = []
    open_attempts = list(PaymentAttempt.objects.filter(status__in=OPEN_STATUSES).values_list("order_id", "status"))
    if open_attempts:
        problems.append(f"attempts still open: {open_attempts[:5]}")
    doubled = list(
        PaymentAttempt.objects.filter(status=AttemptStatus.SETTLED)
        .values("bill_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("bill_id", flat=True)
    )
    if doubled:
        problems.append(f"bills settled by more than one attempt: {doubled[:5]}")
    if Payment.objects.values("bill_id").annotate(n=Count("pk")).filter(n__gt=1).exists():
        problems.append("a bill has two payments")
    settled = {
        a.order_id: a for a in PaymentAttempt.objects.filter(status=AttemptStatus.SETTLED).select_related("bill")
    }
    kept = {t.order_id: t for t in SandboxTransaction.objects.filter(state=SandboxState.VERIFIED)}
    for order_id in kept.keys() - settled.keys():
        attempt = PaymentAttempt.objects.filter(order_id=order_id).first()
        if attempt is None or attempt.status != AttemptStatus.REFUND_DUE:
            problems.append(f"the bank kept the money of {order_id} but no bill was paid with it")
    for order_id, attempt in settled.items():
        if order_id not in kept:
            problems.append(f"{order_id} settled but the bank did not keep the money")
        if attempt.bill.status != Bill.Status.PAID:
            problems.append(f"{order_id} settled but bill {attempt.bill.bill_id} is not paid")
    charged = SandboxTransaction.objects.filter(state=SandboxState.CHARGED).values_list("order_id", flat=True)
    if charged:
        problems.append(f"money charged and neither verified nor returned: {list(charged)[:5]}")
    return problems


def money_checks() -> dict[str, Any]:
    """Reconcile as the timer would have by the time every token expired, then report the invariants.

    (The load generator stops users mid-payment at the end of each step: their payers never come
    back from the card page, which only the token's expiry settles.)
    """
    reports = reconcile_until_quiet(later=dt.timedelta(minutes=TOKEN_MINUTES + 1))
    chain_ok, chain = audit_chain_ok()
    return {
        "reconcile": reports,
        "attempts": dict(
            PaymentAttempt.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
        ),
        "bills_paid_online": Payment.objects.filter(source=Payment.Source.GATEWAY).count(),
        "problems": money_problems(),
        "audit_chain_ok": chain_ok,
        "audit_chain": chain[-200:],
    }
