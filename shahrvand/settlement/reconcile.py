"""Reconciliation of one settlement date: what the bank says it collected against what we recorded.

For a city, a Jalali settlement date and optionally one bank, :func:`reconcile` sorts every line
of the day's imported files and every payment we recorded that day into sections:

* **matched** — a line that paid a bill, or confirms a payment the online gateway recorded;
* **paid but unknown** — the bank took money for a bill ID the city does not have;
* **amount mismatch** — the amount is not what the bill asked for that day;
* **bill not payable** — the bill had been superseded, split into instalments or cancelled;
* **paid twice** — the bill was already paid by another payment: the money goes back;
* **known but missing** — an online-gateway payment made that day (Tehran time) that no line of
  the day's files confirms (with ``bank``, only that bank's files are looked at);
* **replays** — lines imported before through another file (nothing was done twice).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from django.db.models import Count, QuerySet, Sum

from shahrvand.core import jalali
from shahrvand.core.models import City, User
from shahrvand.revenue.models import Payment
from shahrvand.settlement.models import Outcome, SettlementFile, SettlementLine
from shahrvand.settlement.services import require_city

MATCHED: Final = "matched"
KNOWN_BUT_MISSING: Final = "known_but_missing"

# Section → (outcomes of lines in it; English label; Persian label). Known but missing holds payments.
SECTIONS: Final[dict[str, tuple[tuple[str, ...], str, str]]] = {
    MATCHED: ((Outcome.MATCHED, Outcome.CONFIRMED), "Matched", "تطبیق‌یافته"),
    "paid_but_unknown": ((Outcome.PAID_BUT_UNKNOWN,), "Paid but unknown bill", "پرداخت‌شده با قبض ناشناخته"),
    "amount_mismatch": ((Outcome.AMOUNT_MISMATCH,), "Amount mismatch", "مغایرت مبلغ"),
    "bill_not_payable": ((Outcome.BILL_NOT_PAYABLE,), "Bill no longer payable", "قبض غیرقابل پرداخت"),
    "paid_twice": ((Outcome.PAID_TWICE,), "Paid twice (refund needed)", "پرداخت دوباره (نیاز به بازپرداخت)"),
    KNOWN_BUT_MISSING: ((), "Known but missing from the bank's file", "ثبت‌شده ولی نیامده در فایل بانک"),
    "replays": ((Outcome.ALREADY_PAID_SAME,), "Already imported (replays)", "پیش‌تر واردشده (تکراری)"),
}
FOLLOW_UP_SECTIONS: Final = ("paid_but_unknown", "amount_mismatch", "bill_not_payable", "paid_twice", KNOWN_BUT_MISSING)

CSV_COLUMNS: Final = (
    "section",
    "bill_id",
    "payment_id",
    "amount",
    "expected_amount",
    "trace_number",
    "channel",
    "paid_at",
    "source",
    "reference",
    "file",
    "line",
    "outcome",
    "note",
)


@dataclass(frozen=True)
class Row:
    section: str
    bill_id: str
    payment_id: str
    amount: int
    expected_amount: int | None
    trace_number: str
    channel: str
    paid_at: dt.datetime
    source: str  # "bank_file" (a line) or the payment's source
    reference: str
    file_name: str
    file_id: int | None
    line_number: int | None
    outcome: str
    note_en: str = ""
    note_fa: str = ""


@dataclass(frozen=True)
class Total:
    key: str
    label_en: str
    label_fa: str
    count: int
    amount: int

    def label(self, language: str | None) -> str:
        return self.label_en if (language or "fa").startswith("en") else self.label_fa


@dataclass
class Reconciliation:
    city: City
    date: dt.date
    bank: str
    files: list[SettlementFile]
    totals: list[Total]

    @property
    def follow_up(self) -> int:
        return sum(t.count for t in self.totals if t.key in FOLLOW_UP_SECTIONS)

    def total(self, key: str) -> Total:
        return next(t for t in self.totals if t.key == key)

    def _lines(self, key: str) -> QuerySet[SettlementLine]:
        return (
            SettlementLine.objects.filter(file__in=[f.pk for f in self.files], outcome__in=SECTIONS[key][0])
            .select_related("file", "linked_payment")
            .defer("file__data")
            .order_by("file__created_at", "file_id", "line_number")
        )

    def rows(self, key: str, limit: int | None = None) -> list[Row]:
        return list(self._iter_rows(key, limit))

    def _iter_rows(self, key: str, limit: int | None = None) -> Iterator[Row]:
        if key == KNOWN_BUT_MISSING:
            yield from self._missing_rows(limit)
            return
        lines = self._lines(key)
        for line in lines[:limit] if limit is not None else lines.iterator(chunk_size=5000):
            note_en = note_fa = ""
            if line.outcome == Outcome.CONFIRMED:
                note_en, note_fa = "confirms an online-gateway payment", "تأیید پرداخت درگاه اینترنتی"
            elif line.outcome == Outcome.PAID_TWICE and line.linked_payment is not None:
                note_en = (
                    f"the bill was paid by {line.linked_payment.get_source_display()} ({line.linked_payment.reference})"
                )
                note_fa = f"قبض پیش‌تر پرداخت شده است (شماره مرجع {line.linked_payment.reference})"
            elif line.replay_of_id is not None:
                note_en, note_fa = f"first imported as line {line.replay_of_id}", "پیش‌تر وارد شده است"
            yield Row(
                section=key,
                bill_id=line.bill_id,
                payment_id=line.payment_id,
                amount=line.amount,
                expected_amount=line.expected_amount,
                trace_number=line.trace_number,
                channel=line.channel,
                paid_at=line.paid_at,
                source=Payment.Source.BANK_FILE,
                reference=line.linked_payment.reference if line.linked_payment is not None else "",
                file_name=line.file.original_name,
                file_id=line.file_id,
                line_number=line.line_number,
                outcome=line.outcome,
                note_en=note_en,
                note_fa=note_fa,
            )

    def _missing(self) -> QuerySet[Payment]:
        start = dt.datetime.combine(self.date, dt.time(), tzinfo=jalali.TEHRAN)
        confirmed = SettlementLine.objects.filter(
            file__in=[f.pk for f in self.files], outcome=Outcome.CONFIRMED, linked_payment__isnull=False
        ).values("linked_payment_id")
        return (
            Payment.objects.filter(
                source=Payment.Source.GATEWAY,
                bill__city=self.city,
                paid_at__gte=start,
                paid_at__lt=start + dt.timedelta(days=1),
            )
            .exclude(pk__in=confirmed)
            .select_related("bill")
            .order_by("paid_at", "pk")
        )

    def _missing_rows(self, limit: int | None) -> Iterator[Row]:
        payments = list(self._missing()[:limit] if limit is not None else self._missing())
        elsewhere: dict[int, dt.date] = dict(
            SettlementLine.objects.filter(
                linked_payment__in=payments, outcome=Outcome.CONFIRMED, file__city=self.city
            ).values_list("linked_payment_id", "file__settlement_date")
        )
        for payment in payments:
            other = elsewhere.get(payment.pk)
            note_en = note_fa = ""
            if other is not None:
                note_en = f"in the bank's file of {jalali.format_jalali(other)}"
                note_fa = f"در فایل بانک به تاریخ {jalali.format_jalali(other)}"
            yield Row(
                section=KNOWN_BUT_MISSING,
                bill_id=payment.bill.bill_id,
                payment_id=payment.payment_id,
                amount=payment.amount,
                expected_amount=None,
                trace_number=payment.trace_number,
                channel=payment.channel,
                paid_at=payment.paid_at,
                source=payment.source,
                reference=payment.reference,
                file_name="",
                file_id=None,
                line_number=None,
                outcome="",
                note_en=note_en,
                note_fa=note_fa,
            )

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for key in SECTIONS:
            for row in self._iter_rows(key):
                writer.writerow(
                    [
                        row.section,
                        row.bill_id,
                        row.payment_id,
                        row.amount,
                        "" if row.expected_amount is None else row.expected_amount,
                        row.trace_number,
                        row.channel,
                        jalali.format_jalali(row.paid_at, "%Y/%m/%d %H:%M:%S"),
                        row.source,
                        row.reference,
                        row.file_name,
                        "" if row.line_number is None else row.line_number,
                        row.outcome,
                        row.note_en,
                    ]
                )
        return out.getvalue()


def reconcile(*, actor: User | None, city: City, date: dt.date, bank: str = "") -> Reconciliation:
    """The reconciliation of ``city`` for the settlement ``date`` (a Gregorian date; shown in Jalali)."""
    require_city(actor, city)
    files_qs = SettlementFile.objects.filter(city=city, settlement_date=date).defer("data").order_by("created_at")
    if bank:
        files_qs = files_qs.filter(bank=bank)
    files = list(files_qs)
    by_outcome = {
        row["outcome"]: (row["n"], row["rials"] or 0)
        for row in SettlementLine.objects.filter(file__in=[f.pk for f in files])
        .values("outcome")
        .annotate(n=Count("pk"), rials=Sum("amount"))
    }
    report = Reconciliation(city=city, date=date, bank=bank, files=files, totals=[])
    missing = report._missing().aggregate(n=Count("pk"), rials=Sum("amount"))
    for key, (outcomes, label_en, label_fa) in SECTIONS.items():
        if key == KNOWN_BUT_MISSING:
            count, amount = missing["n"] or 0, missing["rials"] or 0
        else:
            count = sum(by_outcome.get(o, (0, 0))[0] for o in outcomes)
            amount = sum(by_outcome.get(o, (0, 0))[1] for o in outcomes)
        report.totals.append(Total(key, label_en, label_fa, count, amount))
    return report
