"""Writing settlement files for tests: valid lines from real bills, through the same amount rules."""

from __future__ import annotations

import csv
import datetime as dt
import io

from shahrvand.core import jalali
from shahrvand.core.identifiers import make_bill_id, make_payment_id
from shahrvand.revenue.amounts import payable, payment_id_for
from shahrvand.revenue.models import Bill
from shahrvand.settlement.parsing import COLUMNS

# Yesterday in Tehran: a settlement date is never in the future, and payments of that day are not either.
DAY = jalali.today() - dt.timedelta(days=1)
UNKNOWN_BILL_ID = make_bill_id(99_999_999, "217")


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=jalali.TEHRAN)


def due(bill: Bill, day: dt.date = DAY) -> int:
    return payable(bill, day).amount


def line(
    bill: Bill | str,
    *,
    trace: str,
    amount: int | None = None,
    channel: str = "ATM",
    paid_at: dt.datetime | str | None = None,
) -> list[str]:
    """A valid line paying ``bill`` (a Bill, or an unknown bill ID) ``amount`` (default: what it asks that day)."""
    when = paid_at if paid_at is not None else at(10)
    if isinstance(bill, Bill):
        amount = amount if amount is not None else due(bill)
        bill_id, payment_id = bill.bill_id, payment_id_for(bill, amount)
    else:
        amount = amount if amount is not None else 5_000_000
        bill_id, payment_id = bill, make_payment_id(amount, jalali.jalali_year(DAY), 0, bill)
    return [bill_id, payment_id, str(amount), trace, channel, when if isinstance(when, str) else when.isoformat()]


def csv_bytes(rows: list[list[str]], header: tuple[str, ...] | list[str] = COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def file_name(bank: str = "mellat", day: dt.date = DAY, suffix: str = "") -> str:
    return f"{bank}_{jalali.format_jalali(day, '%Y%m%d')}{suffix}.csv"
