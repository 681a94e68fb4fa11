"""Writes on bills: file numbers, settling a bill with a payment (exactly once), the revenue
officer's adjustments and instalment plans, and the clearance certificate (مفاصاحساب).

Every payment channel — the online gateway (``shahrvand.payments``), the bank's settlement file
(``shahrvand.settlement``), the counter — ends in :func:`bill_settle`, the only function that marks
a bill paid. It locks the bill row, and the one-to-one ``Payment.bill`` and the unique
``(source, reference)`` make a double payment impossible even if two callers race past the lock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

import jdatetime
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from shahrvand.audit.services import audit_record
from shahrvand.cases.data import CleanRequest, owned_property
from shahrvand.cases.errors import CaseError
from shahrvand.cases.models import Case
from shahrvand.cases.services import case_act, case_file
from shahrvand.cases.workflows import CLEARANCE
from shahrvand.core import jalali
from shahrvand.core.access import Action, require
from shahrvand.core.identifiers import RenovationCode, make_bill_id
from shahrvand.core.models import City, District, Role, User
from shahrvand.core.text import normalize_letters, to_persian_digits
from shahrvand.registry import corrections
from shahrvand.registry.corrections import CorrectionError
from shahrvand.registry.models import Building, Parcel, Person, Unit
from shahrvand.revenue import documents as revenue_documents
from shahrvand.revenue import hooks as revenue_hooks
from shahrvand.revenue import selectors as revenue_selectors
from shahrvand.revenue.amounts import MAX_GROSS, ROUNDING_UNIT, payable, payment_id_for
from shahrvand.revenue.errors import AlreadyPaid, AmountMismatch, BillNotPayable, RevenueError
from shahrvand.revenue.models import (
    Adjustment,
    Bill,
    BillKind,
    BillLine,
    BillPurpose,
    FileNumberCounter,
    InstalmentPlan,
    Payment,
)
from shahrvand.revenue.selectors import Debt


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
        # What paying this bill leads to (e.g. a permit request moving on), in this transaction.
        revenue_hooks.bill_paid_run(bill=locked, payment=payment)
        bill.status = locked.status
        return Settled(payment, True)


# --------------------------------------------------------------------------------------------------
# Refusals of the revenue officer's services
# --------------------------------------------------------------------------------------------------

MAX_REASON: Final = 1000
MAX_INSTALMENTS: Final = 36
INSTALMENT_UNIT: Final = ROUNDING_UNIT  # each instalment is a multiple of 1,000 Rials (the payment ID needs it)


class ReasonRequired(RevenueError):
    """An adjustment or an instalment plan needs the officer's reason (it is shown on the bill's history)."""


class BillNotOpen(RevenueError):
    """Only an open bill can be adjusted or split: a paid one is refunded, a closed one has a successor."""


class InvalidAdjustment(RevenueError):
    """The new amount or lines are not possible (negative, unknown line, nothing changed)."""


class InvalidInstalments(RevenueError):
    """The bills cannot be split as asked (other payers or districts, too few Rials, a due date passed)."""


def _reason(reason: str) -> str:
    text = normalize_letters((reason or "").strip())
    if not text:
        raise ReasonRequired(
            "reason_required",
            "Write the reason: it is kept with the bill and shown to the payer.",
            "دلیل را بنویسید: همراه قبض نگه داشته و به مؤدی نشان داده می‌شود.",
        )
    if len(text) > MAX_REASON:
        raise ReasonRequired(
            "reason_too_long",
            f"The reason is longer than {MAX_REASON} characters.",
            f"دلیل بیش از {to_persian_digits(str(MAX_REASON))} نویسه است.",
        )
    return text


def _require_open(bill: Bill) -> None:
    if bill.status == Bill.Status.OPEN:
        return
    fa_id = to_persian_digits(bill.bill_id)
    if bill.status == Bill.Status.PAID:
        raise BillNotOpen(
            "bill_paid",
            f"Bill {bill.bill_id} is paid: it cannot be changed. Money paid too much is refunded.",
            f"قبض {fa_id} پرداخت شده است و تغییر نمی‌کند؛ اضافه پرداخت بازگردانده می‌شود.",
        )
    with translation.override("en"):
        status_en = str(bill.get_status_display())
    with translation.override("fa"):
        status_fa = str(bill.get_status_display())
    raise BillNotOpen(
        "bill_closed",
        f"Bill {bill.bill_id} is no longer open ({status_en}): act on the bill that replaced it.",
        f"قبض {fa_id} دیگر باز نیست ({status_fa})؛ روی قبض جایگزین آن اقدام کنید.",
    )


def _digest(lines: Sequence[BillLine], tariff_id: int | None) -> str:
    canonical = json.dumps(
        {"tariff": tariff_id, "lines": [[line.kind, line.amount, line.inputs, line.formula] for line in lines]},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


# --------------------------------------------------------------------------------------------------
# Adjusting a bill
# --------------------------------------------------------------------------------------------------


def bill_adjust(
    *,
    actor: User,
    bill: Bill,
    reason: str,
    new_gross: int | None = None,
    line_amounts: Mapping[int, int] | None = None,
) -> Adjustment:
    """Supersede the open ``bill`` with a new bill whose lines show the change, with the officer's reason.

    Give either ``new_gross`` (the bill's new amount before discount and penalty: one adjustment
    line carries the difference) or ``line_amounts`` (``{position: new amount}``: one adjustment line
    per changed line). The new bill keeps every line of the old one, the due date and the rules of
    discount and penalty; it gets its own bill ID. The discount never grows through an adjustment
    (``discount_base`` is the old one, at most the new amount). ``inputs_sha256`` stays the
    assessment's, so a re-run of the assessment with unchanged inputs leaves the adjusted bill alone.

    Raises :class:`ReasonRequired`, :class:`BillNotOpen` (a paid bill is refunded, not adjusted) or
    :class:`InvalidAdjustment`; nothing changes then.
    """
    require(actor, Action.REVENUE_MANAGE, bill.district)
    text = _reason(reason)
    if (new_gross is None) == (line_amounts is None):
        raise InvalidAdjustment(
            "adjustment_shape",
            "Give either the new amount of the bill or the new amounts of its lines.",
            "یا مبلغ تازه قبض را بدهید یا مبلغ تازه ردیف‌های آن را.",
        )
    with transaction.atomic():
        locked = Bill.objects.select_for_update().select_related("city", "district").get(pk=bill.pk)
        _require_open(locked)
        old_lines = list(locked.lines.order_by("position"))
        changes = _adjustment_lines(locked, old_lines, text, new_gross=new_gross, line_amounts=line_amounts)
        delta = sum(amount for *_, amount, _inputs in changes)
        gross = locked.gross + delta
        if not changes or (delta == 0 and new_gross is not None):
            raise InvalidAdjustment(
                "adjustment_unchanged",
                "The bill already has this amount: nothing to adjust.",
                "قبض همین حالا همین مبلغ را دارد؛ چیزی برای اصلاح نیست.",
            )
        if gross < 0:
            raise InvalidAdjustment(
                "adjustment_negative",
                "A bill cannot be less than zero.",
                "مبلغ قبض نمی‌تواند کمتر از صفر باشد.",
            )
        if 0 < gross < ROUNDING_UNIT:
            raise InvalidAdjustment(
                "adjustment_too_small",
                "A bill is at least 1,000 Rials (the bill standard pays thousands of Rials); write 0 to forgive it.",
                "مبلغ قبض دست‌کم ۱٬۰۰۰ ریال است (شناسهٔ پرداخت مبلغ را به هزار ریال دارد)؛ برای بخشودن، صفر بنویسید.",
            )
        if gross > MAX_GROSS:
            raise InvalidAdjustment(
                "adjustment_too_large",
                f"A bill is at most {MAX_GROSS:,} Rials (the bill standard's limit, with room for the penalty).",
                "مبلغ قبض حداکثر ۴۹٬۹۹۹٬۹۹۹٬۰۰۰ ریال است (سقف شناسهٔ پرداخت، با جا برای جریمهٔ دیرکرد).",
            )
        now = timezone.now()
        locked.status = Bill.Status.SUPERSEDED
        locked.closed_at = now
        locked.save(update_fields=["status", "closed_at"])
        (file_number,) = allocate_file_numbers(locked.city, 1)
        new = Bill.objects.create(
            city=locked.city,
            district=locked.district,
            year=locked.year,
            kind=locked.kind,
            purpose=locked.purpose,
            case_id=locked.case_id,
            subject_code=locked.subject_code,
            instalment_no=locked.instalment_no,
            parcel_id=locked.parcel_id,
            unit_id=locked.unit_id,
            business_id=locked.business_id,
            payer_id=locked.payer_id,
            file_number=file_number,
            bill_id=bill_id_for(locked.city, file_number),
            gross=gross,
            due_date=locked.due_date,
            discount_percent=locked.discount_percent,
            discount_until=locked.discount_until,
            discount_base=min(locked.discount_base, gross),
            penalty_monthly_percent=locked.penalty_monthly_percent,
            penalty_cap_percent=locked.penalty_cap_percent,
            tariff_id=locked.tariff_id,
            assessment_run_id=locked.assessment_run_id,
            inputs_sha256=locked.inputs_sha256,
            supersedes=locked,
            plan_id=locked.plan_id,
        )
        lines = [
            BillLine(
                bill=new,
                position=line.position,
                kind=line.kind,
                label_fa=line.label_fa,
                label_en=line.label_en,
                amount=line.amount,
                inputs=line.inputs,
                formula=line.formula,
            )
            for line in old_lines
        ]
        position = max((line.position for line in old_lines), default=0)
        for label_fa, label_en, amount, inputs in changes:
            position += 1
            lines.append(
                BillLine(
                    bill=new,
                    position=position,
                    kind=BillLine.Kind.ADJUSTMENT,
                    label_fa=label_fa[:200],
                    label_en=label_en[:200],
                    amount=amount,
                    inputs=inputs,
                    formula=f"{inputs['from']} → {inputs['to']}",
                )
            )
        BillLine.objects.bulk_create(lines)
        adjustment = Adjustment.objects.create(bill=locked, new_bill=new, amount_delta=delta, reason=text, actor=actor)
        audit_record(
            actor=actor,
            action="revenue.bill_adjust",
            target=locked,
            district=locked.district,
            payload={
                "bill_id": locked.bill_id,
                "new_bill_id": new.bill_id,
                "gross_before": locked.gross,
                "gross_after": gross,
                "delta": delta,
                "lines": [inputs for *_, inputs in changes],
                "reason": text,
            },
        )
    bill.status = locked.status
    return adjustment


AdjustmentLine = tuple[str, str, int, dict[str, Any]]


def _adjustment_lines(
    bill: Bill,
    old_lines: list[BillLine],
    reason: str,
    *,
    new_gross: int | None,
    line_amounts: Mapping[int, int] | None,
) -> list[AdjustmentLine]:
    """(label fa, label en, amount, inputs) of each adjustment line the change needs."""
    if new_gross is not None:
        if new_gross < 0:
            raise InvalidAdjustment(
                "adjustment_negative", "A bill cannot be less than zero.", "مبلغ قبض نمی‌تواند کمتر از صفر باشد."
            )
        delta = new_gross - bill.gross
        inputs = {"from": bill.gross, "to": new_gross, "reason": reason}
        return [("اصلاح مبلغ قبض: " + reason, "Adjustment of the bill: " + reason, delta, inputs)]
    assert line_amounts is not None
    by_position = {line.position: line for line in old_lines}
    changes: list[AdjustmentLine] = []
    for position, amount in sorted(line_amounts.items()):
        line = by_position.get(position)
        if line is None or line.kind == BillLine.Kind.ADJUSTMENT:
            raise InvalidAdjustment(
                "adjustment_line",
                f"The bill has no line {position} that can be changed.",
                f"قبض ردیف {to_persian_digits(str(position))} قابل اصلاح ندارد.",
            )
        if amount < 0:
            raise InvalidAdjustment(
                "adjustment_negative", "A line cannot be less than zero.", "مبلغ ردیف نمی‌تواند کمتر از صفر باشد."
            )
        if amount == line.amount:
            continue
        inputs = {"position": position, "from": line.amount, "to": amount, "reason": reason}
        changes.append(
            (
                f"اصلاح ردیف {to_persian_digits(str(position))} ({line.label_fa}): {reason}",
                f"Adjustment of line {position} ({line.label_en}): {reason}",
                amount - line.amount,
                inputs,
            )
        )
    return changes


# --------------------------------------------------------------------------------------------------
# Instalments
# --------------------------------------------------------------------------------------------------


def add_jalali_months(day: dt.date, months: int) -> dt.date:
    """The same day of the Jalali month ``months`` later (the month's last day when it is shorter)."""
    j = jdatetime.date.fromgregorian(date=day)
    year, month0 = divmod(j.year * 12 + (j.month - 1) + months, 12)
    month = month0 + 1
    if month <= 6:
        last = 31
    elif month <= 11:
        last = 30
    else:
        last = 30 if jdatetime.date(year, 1, 1).isleap() else 29
    return jdatetime.date(year, month, min(j.day, last)).togregorian()


def instalment_amounts(total: int, count: int) -> list[int]:
    """``count`` multiples of 1,000 Rials summing to ``total`` (a multiple of 1,000): equal shares,
    rounded down, and what rounding left over on the first."""
    if count < 1 or total % INSTALMENT_UNIT:
        raise ValueError("total must be a multiple of 1,000 Rials and count at least 1")
    share = total // count // INSTALMENT_UNIT * INSTALMENT_UNIT
    return [total - share * (count - 1), *([share] * (count - 1))]


def _instalments_refused(code: str, en: str, fa: str) -> InvalidInstalments:
    return InvalidInstalments(code, en, fa)


def instalments_create(
    *,
    actor: User,
    bills: Sequence[Bill],
    count: int,
    reason: str,
    first_due: dt.date,
) -> InstalmentPlan:
    """Split one payer's open debt (one or more open bills of one district) into ``count`` instalment bills.

    The debt is what the bills ask for today (discount, penalty and rounding of :func:`payable`);
    the instalments are multiples of 1,000 Rials that sum to it exactly, the rounding remainder on
    the first; due on ``first_due`` and the same day of each following Jalali month. The original
    bills become ``in_instalments`` (``replaced_by_plan``). Each instalment bill carries one line
    naming the bills it pays and how its amount was computed.
    """
    text = _reason(reason)
    if not bills:
        raise _instalments_refused(
            "instalments_no_bills", "Choose at least one open bill.", "دست‌کم یک قبض باز انتخاب کنید."
        )
    if not 2 <= count <= MAX_INSTALMENTS:
        raise _instalments_refused(
            "instalments_count",
            f"The number of instalments is between 2 and {MAX_INSTALMENTS}.",
            f"تعداد اقساط باید بین ۲ و {to_persian_digits(str(MAX_INSTALMENTS))} باشد.",
        )
    for district in {b.district for b in bills}:
        require(actor, Action.REVENUE_MANAGE, district)
    today = jalali.today()
    if first_due < today:
        raise _instalments_refused(
            "instalments_due_passed",
            "The first instalment cannot be due in the past.",
            "سررسید قسط نخست نمی‌تواند گذشته باشد.",
        )
    with transaction.atomic():
        locked = list(
            Bill.objects.select_for_update()
            .select_related("city", "district")
            .filter(pk__in=sorted({b.pk for b in bills}))
            .order_by("pk")
        )
        for bill in locked:
            _require_open(bill)
            if bill.purpose != BillPurpose.DUTIES:
                raise _instalments_refused(
                    "instalments_of_permit",
                    f"Bill {bill.bill_id} pays for a request (a permit's fees): it is paid at once, not split.",
                    f"قبض {to_persian_digits(bill.bill_id)} بابت درخواست (عوارض پروانه) است و تقسیط نمی‌شود.",
                )
            if bill.kind == BillKind.INSTALMENT:
                raise _instalments_refused(
                    "instalments_of_instalment",
                    f"Bill {bill.bill_id} is already an instalment.",
                    f"قبض {to_persian_digits(bill.bill_id)} خود یک قسط است.",
                )
        if len({b.payer_id for b in locked}) != 1 or len({b.district_id for b in locked}) != 1:
            raise _instalments_refused(
                "instalments_mixed",
                "An instalment plan covers the bills of one payer in one district.",
                "طرح تقسیط فقط قبوض یک مؤدی در یک منطقه را در بر می‌گیرد.",
            )
        owed = [(bill, payable(bill, today).amount) for bill in locked]
        total = sum(amount for _, amount in owed)
        if total < count * INSTALMENT_UNIT:
            raise _instalments_refused(
                "instalments_too_small",
                "The debt is too small for that many instalments (each is at least 1,000 Rials).",
                "بدهی برای این تعداد قسط کم است (هر قسط دست‌کم ۱٬۰۰۰ ریال است).",
            )
        if total > count * MAX_GROSS:
            raise _instalments_refused(
                "instalments_too_large",
                f"Each instalment would be above the bill limit ({MAX_GROSS:,} Rials): choose more instalments.",
                "هر قسط از سقف مبلغ قبض بیشتر می‌شود؛ تعداد اقساط را بیشتر کنید.",
            )
        first = locked[0]
        now = timezone.now()
        plan = InstalmentPlan.objects.create(
            city=first.city,
            district=first.district,
            payer_id=first.payer_id,
            count=count,
            total=total,
            reason=text,
            created_by=actor,
        )
        for bill in locked:
            bill.status = Bill.Status.IN_INSTALMENTS
            bill.replaced_by_plan = plan
            bill.closed_at = now
            bill.save(update_fields=["status", "replaced_by_plan", "closed_at"])
        amounts = instalment_amounts(total, count)
        numbers = allocate_file_numbers(first.city, count)
        year = jalali.jalali_year(today)
        subjects = {b.subject_code for b in locked}
        units = {b.unit_id for b in locked}
        businesses = {b.business_id for b in locked}
        covered = [{"bill_id": b.bill_id, "subject": b.subject_code, "year": b.year, "payable": a} for b, a in owed]
        created: list[Bill] = []
        for number, (file_number, amount) in enumerate(zip(numbers, amounts, strict=True), start=1):
            due = add_jalali_months(first_due, number - 1)
            line = BillLine(
                position=1,
                kind=BillLine.Kind.INSTALMENT,
                label_fa=f"قسط {to_persian_digits(str(number))} از {to_persian_digits(str(count))} بدهی "
                f"{to_persian_digits(str(len(locked)))} قبض",
                label_en=f"Instalment {number} of {count} of the debt of {len(locked)} bill(s)",
                amount=amount,
                inputs={
                    "plan": plan.pk,
                    "bills": covered,
                    "debt": total,
                    "count": count,
                    "instalment": number,
                    "remainder": amounts[0] - amounts[-1] if number == 1 else 0,
                    "reason": text,
                },
                formula=(
                    "⌊debt ÷ count⌋ to 1,000 Rials + the remainder" if number == 1 else "⌊debt ÷ count⌋ to 1,000 Rials"
                ),
            )
            instalment = Bill.objects.create(
                city=first.city,
                district=first.district,
                year=year,
                kind=BillKind.INSTALMENT,
                subject_code=next(iter(subjects)) if len(subjects) == 1 else first.parcel.code,
                instalment_no=number,
                parcel_id=first.parcel_id,
                unit_id=next(iter(units)) if len(units) == 1 else None,
                business_id=next(iter(businesses)) if len(businesses) == 1 else None,
                payer_id=first.payer_id,
                file_number=file_number,
                bill_id=bill_id_for(first.city, file_number),
                gross=amount,
                due_date=due,
                discount_percent=Decimal(0),
                discount_until=None,
                discount_base=0,
                penalty_monthly_percent=first.penalty_monthly_percent,
                penalty_cap_percent=first.penalty_cap_percent,
                inputs_sha256=_digest([line], None),
                plan=plan,
            )
            line.bill = instalment
            line.save()
            created.append(instalment)
        audit_record(
            actor=actor,
            action="revenue.instalments_create",
            target=plan,
            district=first.district,
            payload={
                "payer": first.payer_id,
                "bills": covered,
                "total": total,
                "count": count,
                "instalments": [
                    {"bill_id": b.bill_id, "amount": b.gross, "due": b.due_date.isoformat()} for b in created
                ],
                "reason": text,
            },
        )
    return plan


def bill_cancel(*, actor: User, bill: Bill, reason: str) -> Bill:
    """Cancel an open bill issued in error (the subject does not owe it); the reason is kept in the audit trail."""
    require(actor, Action.REVENUE_MANAGE, bill.district)
    text = _reason(reason)
    with transaction.atomic():
        locked = Bill.objects.select_for_update().select_related("district").get(pk=bill.pk)
        _require_open(locked)
        locked.status = Bill.Status.CANCELLED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at"])
        audit_record(
            actor=actor,
            action="revenue.bill_cancel",
            target=locked,
            district=locked.district,
            payload={"bill_id": locked.bill_id, "gross": locked.gross, "reason": text},
        )
    bill.status = locked.status
    return locked


# --------------------------------------------------------------------------------------------------
# The clearance certificate (مفاصاحساب)
# --------------------------------------------------------------------------------------------------

MAX_PURPOSE: Final = 200
MAX_DEBTS_LISTED: Final = 20


def _clearance_error(code: str, en: str, fa: str) -> CaseError:
    return CaseError(code, en, fa)


def clearance_clean(*, requester: Person, district: District, data: dict[str, Any]) -> CleanRequest:
    """The data of a clearance request: a property the requester owns (or whose land they own) and a purpose.

    The cleaner of the ``clearance`` request type (named in ``shahrvand.cases.workflows.EXTERNAL_CLEANERS``).
    """
    canonical = owned_property(
        requester=requester,
        district=district,
        data=data,
        not_owner=(
            "clearance.not_owner",
            "You can ask for the clearance of a property you own a share of.",
            "مفاصاحساب را فقط برای ملکی می‌توانید بخواهید که در آن سهم دارید.",
        ),
    )
    purpose = normalize_letters(str(data.get("purpose") or "").strip())
    if not purpose:
        raise _clearance_error(
            "clearance.purpose",
            "Say what the clearance is for (e.g. a sale at a notary's office).",
            "بنویسید مفاصاحساب برای چه کاری است (مثلاً نقل و انتقال در دفترخانه).",
        )
    if len(purpose) > MAX_PURPOSE:
        raise _clearance_error(
            "clearance.purpose_too_long",
            f"The purpose is longer than {MAX_PURPOSE} characters.",
            f"منظور بیش از {to_persian_digits(str(MAX_PURPOSE))} نویسه است.",
        )
    return CleanRequest(
        data={"property_code": canonical, "purpose": purpose}, subject_ref=canonical, needs_attachment=False
    )


def _debt_rows(found: list[Debt]) -> list[dict[str, Any]]:
    return [
        {"bill_id": d.bill.bill_id, "amount": d.amount, "year": d.bill.year, "subject": d.bill.subject_code}
        for d in found
    ]


def _debts_comment(found: list[Debt]) -> str:
    lines = [
        f"قبض {to_persian_digits(d.bill.bill_id)}: {to_persian_digits(f'{d.amount:,}'.replace(',', '٬'))} ریال"
        for d in found[:MAX_DEBTS_LISTED]
    ]
    if len(found) > MAX_DEBTS_LISTED:
        lines.append(f"و {to_persian_digits(str(len(found) - MAX_DEBTS_LISTED))} قبض دیگر")
    total = sum(d.amount for d in found)
    head = f"ملک بدهی پرداخت‌نشده دارد (جمع امروز {to_persian_digits(f'{total:,}'.replace(',', '٬'))} ریال):"
    return "\n".join([head, *lines])


def _property_of(case: Case) -> tuple[RenovationCode, Parcel, Building | None, Unit | None]:
    code = RenovationCode.parse(case.data["property_code"])
    try:
        parcel, building, unit = corrections.property_find(str(code), case.district)
    except CorrectionError as exc:
        raise CaseError(exc.code, exc.message_en, exc.message_fa) from None
    return code, parcel, building, unit


def clearance_effect_issue(*, actor: User | None, case: Case) -> None:
    """The ``issue`` move of a clearance request: the certificate, if the property owes nothing today."""
    code, parcel, building, unit = _property_of(case)
    found = revenue_selectors.property_debts(parcel, code)
    if found:
        raise _clearance_error(
            "clearance.debts",
            f"the property has {len(found)} open bill(s): the clearance cannot be issued",
            f"ملک {to_persian_digits(str(len(found)))} قبض پرداخت‌نشده دارد و مفاصاحساب صادر نمی‌شود",
        )
    document = revenue_documents.clearance_issue(
        actor=actor,
        district=case.district,
        code=code,
        parcel=parcel,
        building=building,
        unit=unit,
        purpose=str(case.data.get("purpose") or ""),
        national_code=case.requester.national_code,
        subject_ref=f"clearance:{case.tracking_code}",
    )
    case.data = {**case.data, "document": document.number, "debts": []}


def clearance_effect_refuse(*, actor: User | None, case: Case) -> None:
    """The ``refuse`` move of a clearance request: the property's open debts as of today go on the request."""
    code, parcel, _building, _unit = _property_of(case)
    found = revenue_selectors.property_debts(parcel, code)
    case.data = {**case.data, "debts": _debt_rows(found), "debts_on": jalali.today().isoformat()}


def clearance_request(*, user: User, person: Person, district: District, property_code: str, purpose: str) -> Case:
    """A citizen's request for the clearance certificate of their property, decided at once.

    Filed as a ``clearance`` case (online, by the citizen's ``user``) and, in the same transaction,
    moved by the revenue unit's automatic check: ``issue`` (the certificate, in the citizen's
    documents) when the property has no open bill today — instalment bills count — or ``refuse``
    with the list of debts (bill IDs and what each asks for today). Raises ``CaseError`` (nothing
    filed) when the property is not the citizen's or the purpose is missing.
    """
    with transaction.atomic():
        case = case_file(
            requester=person,
            filed_by=user,
            case_type=CLEARANCE,
            district=district,
            data={"property_code": property_code, "purpose": purpose},
        )
        code, parcel, _building, _unit = _property_of(case)
        found = revenue_selectors.property_debts(parcel, code)
        if found:
            case = case_act(
                actor=None,
                case=case,
                action="refuse",
                role=str(Role.REVENUE),
                comment=_debts_comment(found),
                system=True,
            )
        else:
            case = case_act(actor=None, case=case, action="issue", role=str(Role.REVENUE), system=True)
    return case
