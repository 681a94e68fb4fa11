"""What a bill asks for on a given day — pure arithmetic on the snapshot a bill keeps.

* Discount: ``discount_percent`` of ``discount_base`` when paid on or before ``discount_until``
  (e.g. 10% of the property duty when paid within the Jalali year).
* Penalty: after ``due_date``, ``penalty_monthly_percent`` of ``gross`` for every started 30-day month
  late, at most ``penalty_cap_percent`` of ``gross``.
* Rounding: the bill-payment standard carries the amount in thousands of Rials, so the payable
  amount is rounded **down** to a multiple of 1,000 Rials (in the payer's favour; at most 999 Rials).

Percentages are exact decimals; each part is truncated to whole Rials before rounding the total.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Protocol

from shahrvand.core import jalali
from shahrvand.core.identifiers import make_payment_id

ROUNDING_UNIT = 1000
#: The largest bill: the payment ID carries at most 99,999,999 thousand Rials, and a late penalty
#: (capped at 100% by the tariff format) must still fit, so a bill's gross stays below half of that.
MAX_GROSS = 49_999_999_000
MONTH_DAYS = 30


class BillTerms(Protocol):
    bill_id: str
    year: int
    instalment_no: int
    gross: int
    due_date: dt.date
    discount_percent: Decimal
    discount_until: dt.date | None
    discount_base: int
    penalty_monthly_percent: Decimal
    penalty_cap_percent: Decimal


@dataclass(frozen=True)
class Payable:
    on: dt.date
    gross: int
    discount: int
    penalty: int
    months_late: int
    rounding: int  # what rounding down to 1,000 Rials took off (0–999)
    amount: int  # what is payable on ``on``: gross − discount + penalty − rounding

    @property
    def payable(self) -> bool:
        return self.amount > 0


def percent_of(amount: int, percent: Decimal | int | str) -> int:
    """``percent``% of ``amount`` in whole Rials, truncated."""
    return int((Decimal(amount) * Decimal(percent) / 100).to_integral_value(rounding=ROUND_DOWN))


def round_down(amount: int) -> int:
    return amount - amount % ROUNDING_UNIT if amount > 0 else 0


def months_late(due: dt.date, on: dt.date) -> int:
    """Started 30-day months between the due date and ``on`` (0 when not late)."""
    days = (on - due).days
    return 0 if days <= 0 else -(-days // MONTH_DAYS)


def payable(bill: BillTerms, on: dt.date) -> Payable:
    gross = int(bill.gross)
    discount = 0
    if bill.discount_until is not None and on <= bill.discount_until and bill.discount_percent:
        discount = percent_of(int(bill.discount_base), bill.discount_percent)
    late = months_late(bill.due_date, on)
    penalty = 0
    if late and bill.penalty_monthly_percent:
        pct = min(Decimal(bill.penalty_monthly_percent) * late, Decimal(bill.penalty_cap_percent))
        penalty = percent_of(gross, pct)
    exact = gross - discount + penalty
    amount = round_down(exact)
    return Payable(
        on=on,
        gross=gross,
        discount=discount,
        penalty=penalty,
        months_late=late,
        rounding=max(exact, 0) - amount,
        amount=amount,
    )


def payment_id_for(bill: BillTerms, amount: int) -> str:
    """The payment ID for paying ``amount`` on ``bill``.

    Period (2 digits): the instalment number for an instalment bill, otherwise 0 — the amount itself
    is inside the payment ID, so the discounted, the plain and the late amount each get their own.
    """
    return make_payment_id(amount, bill.year, bill.instalment_no, bill.bill_id)


def payable_today(bill: BillTerms) -> Payable:
    return payable(bill, jalali.today())
