"""The revenue unit's single-page documents: the bill, the receipt and the clearance certificate.

Each is issued through :func:`shahrvand.documents.services.document_issue` (numbered, signed,
rendered once) and signed in the name of the revenue unit. ``actor`` is the staff member who asked
for it, or ``None`` when the system issues it for the payer (the portal, after its selectors made
sure the bill or the request is the citizen's own; a receipt after a verified payment).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from django.conf import settings
from django.db import transaction

from shahrvand.core import jalali
from shahrvand.core.access import Action, may, require, roles_of
from shahrvand.core.identifiers import RenovationCode
from shahrvand.core.models import District, Role, User
from shahrvand.core.text import to_persian_digits
from shahrvand.documents.models import Document
from shahrvand.documents.services import document_issue
from shahrvand.documents.types import MAX_BILL_LINES, MAX_OWNERS, ltr_isolate, summarise_people
from shahrvand.registry.models import Building, Ownership, Parcel, Unit
from shahrvand.revenue.amounts import Payable, payable, payment_id_for
from shahrvand.revenue.errors import RevenueError
from shahrvand.revenue.models import Bill, BillKind, Payment

CLEARANCE_VALID_DAYS: Final = 30  # default of settings.SHAHRVAND_CLEARANCE_VALID_DAYS

_KIND_FA: Final = {
    BillKind.PROPERTY: "عوارض نوسازی و بهای خدمات مدیریت پسماند",
    BillKind.BUSINESS: "عوارض کسب و پیشه و بهای خدمات پسماند غیرمسکونی",
    BillKind.INSTALMENT: "قسط",
    BillKind.PERMIT: "عوارض صدور پروانه ساختمانی",
}
_SOURCE_FA: Final = {
    Payment.Source.GATEWAY: "درگاه پرداخت اینترنتی",
    Payment.Source.BANK_FILE: "شبکه بانکی (شناسه قبض و پرداخت)",
    Payment.Source.COUNTER: "باجه شهرداری",
}


class NothingPayable(RevenueError):
    """A bill that asks for nothing today (or is no longer open) has no payment box to print."""


def _fa(number: int | str) -> str:
    return to_persian_digits(str(number))


def _signer(actor: User | None, district: District) -> str:
    """Revenue signs; a district manager without the revenue role signs a clearance as manager."""
    if actor is None or may(actor, Action.REVENUE_MANAGE, district):
        return str(Role.REVENUE)
    return str(Role.MANAGER) if str(Role.MANAGER) in set(roles_of(actor, district)) else str(Role.REVENUE)


def property_code_of(bill: Bill) -> str:
    """The renovation code a bill is about: its unit's (a business's shop too), else its parcel's."""
    return bill.unit.code if bill.unit is not None else bill.parcel.code


def bill_subject(bill: Bill) -> str:
    """What the bill is for, in Persian (identifiers isolated)."""
    year = _fa(bill.year)
    if bill.kind == BillKind.INSTALMENT:
        return (
            f"قسط {_fa(bill.instalment_no)} طرح تقسیط شماره {_fa(bill.plan_id or 0)} "
            f"(بدهی قبوض پیشین مؤدی) — سال {year}"
        )
    if bill.kind == BillKind.PERMIT:
        return f"{_KIND_FA[BillKind.PERMIT]} — درخواست {ltr_isolate(_fa(bill.subject_code))} — سال {year}"
    text = f"{_KIND_FA.get(BillKind(bill.kind), bill.kind)} سال {year}"
    if bill.business is not None:
        text += f" — {bill.business.title} ({ltr_isolate(bill.business.business_code)})"
    if bill.supersedes_id is not None:
        text += " — اصلاح‌شده"
    return text


def bill_table(bill: Bill, due: Payable) -> list[str]:
    """The bill's lines, then the discount, the penalty and the rounding of ``due`` (flat cells: label, amount)."""
    extras: list[tuple[str, int]] = []
    if due.discount:
        extras.append((f"تخفیف پرداخت تا {jalali.format_jalali(bill.discount_until or due.on)}", -due.discount))
    if due.penalty:
        extras.append((f"جریمه دیرکرد ({_fa(due.months_late)} ماه)", due.penalty))
    if due.rounding:
        extras.append(("گرد کردن به ضریب هزار ریال", -due.rounding))
    lines: list[tuple[str, int]] = [(line.label_fa, line.amount) for line in bill.lines.order_by("position")]
    room = MAX_BILL_LINES - len(extras)
    if len(lines) > room:
        kept, rest = lines[: room - 1], lines[room - 1 :]
        lines = [*kept, (f"و {_fa(len(rest))} ردیف دیگر", sum(amount for _, amount in rest))]
    return [cell for label, amount in [*lines, *extras] for cell in (label, str(amount))]


def _payer_fields(bill: Bill) -> dict[str, str]:
    return {
        "payer_name": bill.payer.full_name,
        "payer_national_code": bill.payer.national_code,
        "renovation_code": property_code_of(bill),
        "address": bill.parcel.address,
        "subject": bill_subject(bill),
    }


def _matches(document: Document | None, total: int, payment_id: str) -> bool:
    if document is None or document.status != Document.Status.VALID:
        return False
    return document.fields.get("total") == str(total) and document.fields.get("payment_id") == payment_id


def bill_document(*, actor: User | None, bill: Bill, on: dt.date | None = None) -> Document:
    """The bill's one-page document for paying it on ``on`` (today), issued when the amount changed.

    The payment box prints the amount payable that day with its payment ID (and the barcode), so
    the document is issued again when the day's amount differs from the stored one (the discount
    deadline passed, a month of penalty started). Stored on ``bill.document``. Raises
    :class:`NothingPayable` for a bill that is not open or asks for nothing.
    """
    if actor is not None:
        require(actor, Action.REVENUE_MANAGE, bill.district)
    day = on or jalali.today()
    with transaction.atomic():
        locked = (
            Bill.objects.select_for_update(of=("self",))
            .select_related("payer", "parcel", "unit", "business", "district__city", "document")
            .get(pk=bill.pk)
        )
        if locked.status != Bill.Status.OPEN:
            raise NothingPayable(
                "bill_not_open",
                f"bill {locked.bill_id} is {locked.status}: there is nothing to pay on it",
                f"قبض {_fa(locked.bill_id)} دیگر قابل پرداخت نیست",
            )
        due = payable(locked, day)
        if due.amount <= 0:
            raise NothingPayable(
                "nothing_payable", f"bill {locked.bill_id} asks for nothing", f"قبض {_fa(locked.bill_id)} مبلغی ندارد"
            )
        payment_id = payment_id_for(locked, due.amount)
        if _matches(locked.document, due.amount, payment_id):
            assert locked.document is not None
            return locked.document
        document = document_issue(
            actor=actor,
            doc_type="bill",
            district=locked.district,
            fields={
                **_payer_fields(locked),
                "lines": bill_table(locked, due),
                "total": str(due.amount),
                "due_date": jalali.format_jalali(locked.due_date),
                "bill_id": locked.bill_id,
                "payment_id": payment_id,
            },
            signer_role=str(Role.REVENUE),
            subject_national_code=locked.payer.national_code,
            subject_ref=f"bill:{locked.bill_id}",
        )
        locked.document = document
        locked.save(update_fields=["document"])
    bill.document = document
    return document


def _channel(payment: Payment) -> str:
    source = _SOURCE_FA.get(Payment.Source(payment.source), payment.source)
    return f"{source} — {payment.channel}" if payment.channel else source


def receipt_document(*, actor: User | None, payment: Payment) -> Document:
    """The payment's receipt, issued once (stored on ``payment.receipt``; asked again, the same one)."""
    if actor is not None:
        require(actor, Action.REVENUE_MANAGE, payment.bill.district)
    with transaction.atomic():
        locked = Payment.objects.select_for_update(of=("self",)).select_related("receipt").get(pk=payment.pk)
        if locked.receipt is not None:
            return locked.receipt
        bill = Bill.objects.select_related("payer", "parcel", "unit", "business", "district__city", "document").get(
            pk=locked.bill_id
        )
        document = document_issue(
            actor=actor,
            doc_type="receipt",
            district=bill.district,
            fields={
                **_payer_fields(bill),
                "amount": str(locked.amount),
                "paid_at": jalali.format_jalali(locked.paid_at, "%Y/%m/%d %H:%M:%S"),
                "bill_id": bill.bill_id,
                "payment_id": locked.payment_id or payment_id_for(bill, locked.amount),
                "bill_number": bill.document.number if bill.document is not None else "—",
                "channel": _channel(locked),
                "bank_reference": locked.reference,
                "tracking_code": locked.trace_number or "—",
            },
            signer_role=str(Role.REVENUE),
            subject_national_code=bill.payer.national_code,
            subject_ref=f"receipt:{bill.bill_id}",
        )
        locked.receipt = document
        locked.save(update_fields=["receipt"])
    payment.receipt = document
    return document


# --------------------------------------------------------------------------------------------------
# The clearance certificate
# --------------------------------------------------------------------------------------------------


def registry_plate(parcel: Parcel) -> str:
    if not parcel.registry_main_plate:
        return "ثبت نشده"
    plate = f"{parcel.registry_main_plate}/{parcel.registry_sub_plate}" if parcel.registry_sub_plate else ""
    text = f"پلاک {ltr_isolate(plate or parcel.registry_main_plate)}"
    if parcel.registry_section:
        text += f" بخش {ltr_isolate(parcel.registry_section)}"
    return text


def _owners(code: str, district: District) -> list[str]:
    owners = [
        f"{o.person.full_name} — {_fa(format(o.share_dang.normalize(), 'f'))} دانگ"
        for o in Ownership.objects.filter(district=district, property_code=code, missing_since__isnull=True)
        .select_related("person")
        .order_by("-share_dang", "person__last_name", "pk")
    ]
    return summarise_people(owners, MAX_OWNERS) if owners else ["—"]


def _scope(parcel: Parcel, building: Building | None, unit: Unit | None) -> str:
    if unit is not None:
        where = f"واحد {ltr_isolate(unit.code)} و عرصه آن"
    elif building is not None:
        where = f"ساختمان {ltr_isolate(building.code)}، واحدهای آن و عرصه"
    else:
        where = f"ملک {ltr_isolate(parcel.code)} و همه ساختمان‌ها، واحدها و کسب‌وکارهای آن"
    return f"عوارض نوسازی، بهای خدمات مدیریت پسماند، عوارض کسب و پیشه و همه قبوض صادرشده برای {where}"


def clearance_issue(
    *,
    actor: User | None,
    district: District,
    code: RenovationCode,
    parcel: Parcel,
    building: Building | None,
    unit: Unit | None,
    purpose: str,
    national_code: str,
    subject_ref: str,
) -> Document:
    """Issue the clearance certificate of a property: it owed nothing as of today (the caller checked)."""
    today = jalali.today()
    valid_days = int(getattr(settings, "SHAHRVAND_CLEARANCE_VALID_DAYS", CLEARANCE_VALID_DAYS))
    canonical = str(code)
    return document_issue(
        actor=actor,
        doc_type="clearance",
        district=district,
        fields={
            "renovation_code": canonical,
            "address": parcel.address,
            "registry_plate": registry_plate(parcel),
            "owners": _owners(canonical, district),
            "scope": _scope(parcel, building, unit),
            "settled_through": jalali.format_jalali(today),
            "valid_until": jalali.format_jalali(today + dt.timedelta(days=valid_days)),
            "purpose": purpose,
        },
        signer_role=_signer(actor, district),
        subject_national_code=national_code,
        subject_ref=subject_ref,
    )


def receipt_for_bill(bill: Bill) -> Payment | None:
    return Payment.objects.filter(bill=bill).select_related("bill__district", "receipt").first()
