"""Reading a bank settlement file (``docs/settlement-format.md``): pure Python, no database.

:func:`parse_settlement` checks the whole file — the header, every line's fields, the bill ID and
payment ID check digits (check2 ties the payment ID to the bill ID), the amount against the
payment ID, the channel, the time, and duplicate lines — and returns every line it could read
and every problem, each with the line number and a message in English and in Persian. A file
with any problem is rejected as a whole by the import.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Final

import jdatetime

from shahrvand.core import jalali
from shahrvand.core.identifiers import IdentifierError, amount_from_payment_id, validate_payment_id
from shahrvand.core.text import to_latin_digits, to_persian_digits
from shahrvand.settlement.models import Channel

COLUMNS: Final = ("bill_id", "payment_id", "amount", "trace_number", "channel", "paid_at")
MAX_LINES: Final = 500_000
PROBLEMS_KEPT: Final = 1000  # a badly broken file stops being read after this many problems

_TRACE: Final = re.compile(r"[0-9]{6,20}")
_AMOUNT_SEPARATORS: Final = re.compile("[,\u066c\u060c\\s]")  # comma, Arabic thousands separator, space
_INTEGER: Final = re.compile(r"[0-9]{1,15}")  # a payment ID carries at most 99,999,999,000 Rials
_JALALI_TIME: Final = re.compile(
    r"(1[34]\d{2})[/-](\d{1,2})[/-](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?"  # 1405/09/12 14:30[:00], Tehran
)
_BANK: Final = re.compile(r"[a-z][a-z0-9-]{1,29}")
_NAME: Final = re.compile(r"^(?P<bank>[a-z][a-z0-9-]{1,29})_(?P<date>1[34]\d{2}[01]\d[0-3]\d)(?:[_.-].*)?$")

CHANNELS: Final = frozenset(Channel.values)


@dataclass(frozen=True)
class Problem:
    """Why a file is rejected: where (line 1 is the header; 0 the whole file), and why in two languages."""

    line: int
    column: str
    code: str
    message_en: str
    message_fa: str

    def as_dict(self) -> dict[str, object]:
        return {
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "message_en": self.message_en,
            "message_fa": self.message_fa,
        }


@dataclass(frozen=True)
class Line:
    line_number: int
    bill_id: str
    payment_id: str
    amount: int
    trace_number: str
    channel: str
    paid_at: dt.datetime


@dataclass
class Parsed:
    lines: list[Line] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    truncated: bool = False  # stopped after PROBLEMS_KEPT problems


def _fa(n: int | str) -> str:
    return to_persian_digits(str(n))


def normalize_bank(value: str) -> str:
    """A bank's code as stored: lower-case ASCII, e.g. ``mellat``; ``""`` when it is not one."""
    s = value.strip().lower()
    return s if _BANK.fullmatch(s) else ""


def name_declares(name: str) -> tuple[str, dt.date | None]:
    """The bank and settlement date a file name declares (``mellat_14050912.csv``), or ``("", None)``."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].lower()
    match = _NAME.match(to_latin_digits(base))
    if not match:
        return "", None
    d = match.group("date")
    try:
        date = jdatetime.date(int(d[:4]), int(d[4:6]), int(d[6:])).togregorian()
    except ValueError:
        return match.group("bank"), None
    return match.group("bank"), date


def parse_paid_at(value: str) -> dt.datetime:
    """ISO 8601 with an offset, or a Jalali ``1405/09/12 14:30:00`` in Tehran time; ValueError otherwise."""
    s = to_latin_digits(value).strip()
    jmatch = _JALALI_TIME.fullmatch(s)
    if jmatch:
        y, mo, d, h, mi, sec = (int(g) if g is not None else 0 for g in jmatch.groups())
        when = jdatetime.datetime(y, mo, d, h, mi, sec).togregorian()
        return when.replace(tzinfo=jalali.TEHRAN)
    parsed = dt.datetime.fromisoformat(s)
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("no offset")
    if parsed.year < 1900:
        raise ValueError("not a Gregorian year")
    return parsed


def _decode(data: bytes) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _rows(text: str, out: Parsed) -> Iterator[list[str]]:
    """The CSV rows; a malformed CSV (a NUL byte, a field over the csv module's limit) ends in a problem."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        yield from reader
    except csv.Error:
        out.problems.append(
            Problem(
                reader.line_num + 1,
                "",
                "file.csv",
                "The file is not a readable CSV from this line on (a NUL character, or a field far too long).",
                "فایل از این سطر به بعد CSV خوانایی نیست (نویسهٔ NUL یا فیلدی بسیار بلند).",
            )
        )


def parse_settlement(data: bytes, *, settlement_date: dt.date | None = None) -> Parsed:
    """Read and check a whole settlement file. ``settlement_date``: no payment may be later than its end."""
    out = Parsed()

    def problem(line: int, column: str, code: str, en: str, fa: str) -> None:
        out.problems.append(Problem(line, column, code, en, fa))

    text = _decode(data)
    if text is None:
        problem(
            0,
            "",
            "file.encoding",
            "The file is not UTF-8 text. Save it as CSV UTF-8.",
            "فایل متن UTF-8 نیست. آن را با قالب CSV UTF-8 ذخیره کنید.",
        )
        return out
    rows = _rows(text, out)
    header_row = next(rows, None)
    if header_row is None:
        problem(0, "", "file.empty", "The file is empty: it has no header row.", "فایل خالی است: سطر عنوان ندارد.")
        return out
    header = [h.strip().lower() for h in header_row]
    expected = ", ".join(COLUMNS)
    missing = [c for c in COLUMNS if c not in header]
    unknown = [h for h in header if h not in COLUMNS]
    repeated = sorted({h for h in header if header.count(h) > 1})
    if missing or unknown or repeated:
        detail_en = "; ".join(
            part
            for part in (
                f"missing: {', '.join(missing)}" if missing else "",
                f"unknown: {', '.join(unknown)}" if unknown else "",
                f"repeated: {', '.join(repeated)}" if repeated else "",
            )
            if part
        )
        detail_fa = "؛ ".join(
            part
            for part in (
                f"ستون‌های نبود: {'، '.join(missing)}" if missing else "",
                f"ستون‌های ناشناخته: {'، '.join(unknown)}" if unknown else "",
                f"ستون‌های تکراری: {'، '.join(repeated)}" if repeated else "",
            )
            if part
        )
        problem(
            1,
            "",
            "header.columns",
            f"The header row must name the columns {expected} ({detail_en}).",
            f"سطر عنوان باید نام این ستون‌ها را داشته باشد: {expected} ({detail_fa}).",
        )
        return out
    index = {name: header.index(name) for name in COLUMNS}
    latest = (
        dt.datetime.combine(settlement_date + dt.timedelta(days=1), dt.time(), tzinfo=jalali.TEHRAN)
        if settlement_date is not None
        else None
    )
    seen_trace: dict[str, int] = {}
    seen_line: dict[tuple[str, ...], int] = {}
    number = 1
    for row in rows:
        number += 1
        if len(out.problems) >= PROBLEMS_KEPT:
            out.truncated = True
            break
        if not any(cell.strip() for cell in row):
            continue  # blank lines (often the last one) are not lines
        if number - 1 > MAX_LINES:
            problem(
                number,
                "",
                "file.too_many_lines",
                f"The file has more than {MAX_LINES:,} lines. Ask the bank for one file per settlement date.",
                f"فایل بیش از {_fa(MAX_LINES)} سطر دارد. از بانک یک فایل برای هر روز تسویه بخواهید.",
            )
            break
        if len(row) != len(header):
            problem(
                number,
                "",
                "line.columns",
                f"The line has {len(row)} values; the header has {len(header)} columns.",
                f"این سطر {_fa(len(row))} مقدار دارد؛ سطر عنوان {_fa(len(header))} ستون دارد.",
            )
            continue
        cells = {name: to_latin_digits(row[i]).strip() for name, i in index.items()}
        line = _parse_line(number, cells, latest, problem)
        if line is None:
            continue
        key = tuple(cells[c] for c in COLUMNS)
        if key in seen_line:
            first = seen_line[key]
            problem(
                number,
                "",
                "line.duplicate",
                f"The line repeats line {first} exactly. A payment is listed once; remove the copy.",
                f"این سطر عیناً تکرار سطر {_fa(first)} است. هر پرداخت یک بار می‌آید؛ نسخهٔ تکراری را حذف کنید.",
            )
            continue
        seen_line[key] = number
        if line.trace_number in seen_trace:
            first = seen_trace[line.trace_number]
            problem(
                number,
                "trace_number",
                "line.duplicate_trace",
                f"Trace number {line.trace_number} is also on line {first}: one trace number is one payment.",
                f"شمارهٔ پیگیری {_fa(line.trace_number)} در سطر {_fa(first)} هم آمده است: "
                "هر شمارهٔ پیگیری یک پرداخت است.",
            )
            continue
        seen_trace[line.trace_number] = number
        out.lines.append(line)
    return out


_Report = Callable[[int, str, str, str, str], None]


def _parse_line(number: int, cells: dict[str, str], latest: dt.datetime | None, problem: _Report) -> Line | None:
    ok = True
    bill_id = payment_id = ""
    try:
        payment_id = validate_payment_id(cells["payment_id"], cells["bill_id"])
        bill_id = cells["bill_id"].lstrip("0")
    except IdentifierError as exc:
        problem(number, exc.field, exc.code, exc.message_en, exc.message_fa)
        ok = False
    raw_amount = _AMOUNT_SEPARATORS.sub("", cells["amount"])
    amount = 0
    if not _INTEGER.fullmatch(raw_amount) or int(raw_amount) <= 0:
        problem(
            number,
            "amount",
            "amount.invalid",
            "Amount: must be a positive whole number of Rials (digits only).",
            "مبلغ: باید عدد صحیح مثبتی به ریال باشد (فقط رقم).",
        )
        ok = False
    else:
        amount = int(raw_amount)
        if payment_id and amount != amount_from_payment_id(payment_id):
            carried = amount_from_payment_id(payment_id)
            problem(
                number,
                "amount",
                "amount.payment_id",
                f"Amount: {amount} Rials, but the payment ID carries {carried} Rials.",
                f"مبلغ: {_fa(amount)} ریال است، ولی شناسهٔ پرداخت مبلغ {_fa(carried)} ریال را نشان می‌دهد.",
            )
            ok = False
    trace = cells["trace_number"]
    if not _TRACE.fullmatch(trace):
        problem(
            number,
            "trace_number",
            "trace_number.invalid",
            "Trace number: must be 6 to 20 digits (the bank's reference number of the payment).",
            "شمارهٔ پیگیری: باید ۶ تا ۲۰ رقم باشد (شمارهٔ مرجع بانک برای پرداخت).",
        )
        ok = False
    channel = cells["channel"].upper()
    if channel not in CHANNELS:
        names = ", ".join(sorted(CHANNELS))
        problem(
            number,
            "channel",
            "channel.unknown",
            f"Channel: must be one of {names}.",
            f"کانال پرداخت: باید یکی از این‌ها باشد: {names}.",
        )
        ok = False
    paid_at = None
    try:
        paid_at = parse_paid_at(cells["paid_at"])
    except (ValueError, OverflowError):
        problem(
            number,
            "paid_at",
            "paid_at.invalid",
            "Time of payment: write it as 2026-12-03T14:30:00+03:30 (with the offset) "
            "or as the Jalali 1405/09/12 14:30:00 (Tehran time).",
            "زمان پرداخت: به صورت ۱۴۰۵/۰۹/۱۲ ۱۴:۳۰:۰۰ (به وقت تهران) "
            "یا 2026-12-03T14:30:00+03:30 (با اختلاف ساعت) بنویسید.",
        )
        ok = False
    else:
        if latest is not None and paid_at >= latest:
            problem(
                number,
                "paid_at",
                "paid_at.after_settlement",
                "Time of payment: after the settlement date of the file.",
                "زمان پرداخت: پس از تاریخ تسویهٔ فایل است.",
            )
            ok = False
    if not ok or paid_at is None:
        return None
    return Line(number, bill_id, payment_id, amount, trace, channel, paid_at)
