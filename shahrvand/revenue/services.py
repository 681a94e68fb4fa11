"""Writes on bills: file numbers, and settling a bill with a payment (exactly once).

Every payment channel — the online gateway (``shahrvand.payments``), the bank's settlement file
(``shahrvand.settlement``), the counter — ends in :func:`bill_settle`, the only function that marks
a bill paid. It locks the bill row, and the one-to-one ``Payment.bill`` and the unique
``(source, reference)`` make a double payment impossible even if two callers race past the lock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from shahrvand.audit.services import audit_record
from shahrvand.core import jalali
from shahrvand.core.identifiers import make_bill_id
from shahrvand.core.models import City, User
from shahrvand.revenue.amounts import payable, payment_id_for
from shahrvand.revenue.errors import AlreadyPaid, AmountMismatch, BillNotPayable
from shahrvand.revenue.models import Bill, FileNumberCounter, Payment


def allocate_file_numbers(city: City, count: int) -> range:
    """Reserve ``count`` consecutive bill file numbers for ``city`` (row lock; call inside a transaction)."""
    if count <= 0:
        return range(0)
    FileNumberCounter.objects.get_or_create(city=city)
    counter = FileNumberCounter.objects.select_for_update().get(city=city)
    first = counter.last + 1
    counter.last += count
    counter.save(update_fields=["last"])
    return range(first, first + count)


def bill_id_for(city: City, file_number: int) -> str:
    return make_bill_id(file_number, city.company_code)


@dataclass(frozen=True)
class Settled:
    payment: Payment
    created: bool  # False: this very payment (same source and reference) was already recorded


def _same(payment: Payment, source: str, reference: str) -> bool:
    return payment.source == source and payment.reference == reference


def bill_settle(
    *,
    bill: Bill,
    amount: int,
    paid_at: dt.datetime,
    source: str,
    reference: str,
    trace_number: str = "",
    channel: str = "",
    payment_id: str = "",
    actor: User | None = None,
    actor_label: str = "",
) -> Settled:
    """Record that ``bill`` was paid ``amount`` Rials at ``paid_at``; idempotent per (source, reference).

    * The same payment again (same source and reference) → the recorded one, ``created=False``.
    * The bill already paid by another payment → :class:`AlreadyPaid` (the caller returns the money).
    * The bill superseded, split or cancelled → :class:`BillNotPayable`.
    * ``amount`` not what the bill asks for on the day of ``paid_at`` → :class:`AmountMismatch`.
    """
    if not reference:
        raise ValueError("a payment needs the bank's reference")
    with transaction.atomic():
        locked = Bill.objects.select_for_update().get(pk=bill.pk)
        existing = Payment.objects.filter(bill=locked).first()
        if existing is not None:
            if _same(existing, source, reference):
                return Settled(existing, False)
            raise AlreadyPaid(
                "already_paid",
                f"bill {locked.bill_id} is already paid (reference {existing.reference})",
                f"قبض {locked.bill_id} پیش‌تر پرداخت شده است (شماره مرجع {existing.reference})",
            )
        replay = Payment.objects.filter(source=source, reference=reference).select_related("bill").first()
        if replay is not None:
            raise AlreadyPaid(
                "reference_used",
                f"bank reference {reference} already paid bill {replay.bill.bill_id}",
                f"شماره مرجع بانکی {reference} پیش‌تر برای قبض {replay.bill.bill_id} به کار رفته است",
            )
        if locked.status != Bill.Status.OPEN:
            raise BillNotPayable(
                "not_payable",
                f"bill {locked.bill_id} is {locked.status} and can no longer be paid",
                f"قبض {locked.bill_id} دیگر قابل پرداخت نیست ({locked.get_status_display()})",
            )
        due = payable(locked, jalali.to_tehran(paid_at).date())
        if amount != due.amount:
            raise AmountMismatch(
                "amount_mismatch",
                f"bill {locked.bill_id} asks for {due.amount} Rials on that day; {amount} was paid",
                f"مبلغ قبض {locked.bill_id} در آن روز {due.amount} ریال است؛ {amount} ریال پرداخت شده است",
            )
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    bill=locked,
                    amount=amount,
                    paid_at=paid_at,
                    source=source,
                    reference=reference,
                    trace_number=trace_number,
                    channel=channel,
                    payment_id=payment_id or payment_id_for(locked, amount),
                    recorded_by=actor,
                )
        except IntegrityError as exc:  # a racer got past the lock (e.g. SQLite without row locks)
            raise AlreadyPaid(
                "already_paid",
                f"bill {locked.bill_id} was paid concurrently",
                f"قبض {locked.bill_id} هم‌زمان پرداخت شد",
            ) from exc
        locked.status = Bill.Status.PAID
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at"])
        audit_record(
            actor=actor,
            actor_label=actor_label or source,
            action="revenue.bill_paid",
            target=locked,
            district=locked.district,
            payload={
                "bill_id": locked.bill_id,
                "amount": amount,
                "source": source,
                "reference": reference,
                "trace_number": trace_number,
                "channel": channel,
                "paid_at": paid_at.isoformat(),
            },
        )
        bill.status = locked.status
        return Settled(payment, True)
