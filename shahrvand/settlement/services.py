"""Importing a bank settlement file: check it whole, then settle every line in one transaction.

:func:`settlement_import` is the only writer of settlement files and lines.

1. The whole file is checked first (:mod:`shahrvand.settlement.parsing`; then, against the
   database, that no trace number was imported before for another payment). Any problem rejects
   the file: the report is returned and nothing is written.
2. The same file again (same SHA-256 in the city) changes nothing: ``already_imported``.
3. Otherwise, in one transaction: the file, a line per payment with its outcome, a ``Payment`` per
   settled bill, the bills marked paid, and one audit entry for the file.

Settling is set-based (a 100,000-line file imports in seconds) and keeps the guarantees of
:func:`shahrvand.revenue.services.bill_settle`, line by line in file order:

* the file's bills are locked (``select_for_update``, in bill-ID order, a fixed order);
* the same checks in the same order: the bill's payment (the same source and reference → a replay;
  another → paid twice), the bank reference already used (here: an earlier line with the same bank
  and trace number), the bill not open, the amount not what the bill asks for on the day of
  payment (Tehran);
* payments are inserted in batches under the database's own constraints (one per bill, one per
  ``(source, reference)``): a racer makes the whole import fail and roll back, never pay twice;
* bills are marked paid only if still open (the update's row count is checked);
* one audit entry for the file, with the counts and a SHA-256 over every line's outcome.

Two things go beyond ``bill_settle``: a line whose trace number is a payment the online gateway
already recorded for that bill *confirms* it (the same money, not a second payment), and a line
whose trace number was imported before, in another file, is a replay (never settled or followed up
twice). ``tests/settlement/test_agreement.py`` checks that both ways agree.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

from django.db import IntegrityError, connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import DateTimeField, F, Field, Lookup, Model, Q
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from shahrvand.audit.services import audit_record
from shahrvand.core import jalali
from shahrvand.core.access import AccessDenied, Action, districts_for
from shahrvand.core.models import City, User
from shahrvand.core.text import to_persian_digits
from shahrvand.revenue import hooks as revenue_hooks
from shahrvand.revenue.amounts import payable
from shahrvand.revenue.models import Bill, Payment
from shahrvand.settlement.models import Outcome, SettlementFile, SettlementLine
from shahrvand.settlement.parsing import Line, Problem, name_declares, normalize_bank, parse_settlement

BATCH: Final = 5000
SOURCE: Final = Payment.Source.BANK_FILE
ACTOR_LABEL: Final = "settlement_import"
PAYMENT_COLUMNS: Final = (
    "bill",
    "amount",
    "paid_at",
    "source",
    "reference",
    "trace_number",
    "channel",
    "payment_id",
    "recorded_by",
    "created_at",
)

Status = Literal["imported", "already_imported", "rejected", "dry_run"]
T = TypeVar("T")


@dataclass
class ImportResult:
    status: Status
    bank: str = ""
    settlement_date: dt.date | None = None
    sha256: str = ""
    file: SettlementFile | None = None
    problems: list[Problem] = field(default_factory=list)
    truncated: bool = False
    line_count: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    amounts: dict[str, int] = field(default_factory=dict)


def bank_reference(bank: str, trace_number: str) -> str:
    """``Payment.reference`` of a bank-channel payment: the bank's trace number is unique per bank."""
    return f"{bank}:{trace_number}"


def require_city(actor: User | None, city: City) -> None:
    """Settlement files are city-wide: the actor needs ``revenue.manage`` in some district of ``city``."""
    if actor is None:
        return  # the system (the management command)
    if not districts_for(actor, Action.REVENUE_MANAGE).filter(city=city).exists():
        raise AccessDenied(actor=actor, action=Action.REVENUE_MANAGE, district=None)


def _chunks(items: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _AnyOf(Lookup):
    """``field = ANY(%s)``: the values as one array parameter, where ``IN (%s, …)`` takes one each.

    For thousands of values psycopg spends longer composing an ``IN`` query than PostgreSQL
    spends running it. PostgreSQL only: :func:`_among` picks ``IN`` elsewhere.
    """

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, tuple[Any, ...]]:
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*params, list(self.rhs))


def _among(field: str, values: Sequence[Any]) -> Q | _AnyOf:
    """The rows whose ``field`` is one of ``values``, as a ``filter()`` argument."""
    if connection.vendor == "postgresql":
        return _AnyOf(F(field), values)
    return Q(**{f"{field}__in": values})


def _fa(n: object) -> str:
    return to_persian_digits(str(n))


def _declared(name: str, bank: str, settlement_date: dt.date | None) -> tuple[str, dt.date | None, list[Problem]]:
    """The bank and settlement date: given explicitly, or declared by the file name (``mellat_14050912.csv``)."""
    problems: list[Problem] = []
    name_bank, name_date = name_declares(name)
    given = normalize_bank(bank) if bank else ""
    if bank and not given:
        problems.append(
            Problem(
                0,
                "",
                "bank.invalid",
                "Bank: write the bank's code in Latin letters, e.g. mellat.",
                "بانک: کد بانک را با حروف لاتین بنویسید، مثلاً mellat.",
            )
        )
    elif given and name_bank and given != name_bank:
        problems.append(
            Problem(
                0,
                "",
                "bank.name_differs",
                f"Bank: the file name says {name_bank}, not {given}. Check that this is the right file.",
                f"بانک: نام فایل بانک {name_bank} را نشان می‌دهد، نه {given}. درستی فایل را بررسی کنید.",
            )
        )
    elif not given and not name_bank:
        problems.append(
            Problem(
                0,
                "",
                "bank.required",
                "Bank: say which bank sent the file (or name the file like mellat_14050912.csv).",
                "بانک: بگویید فایل را کدام بانک فرستاده است (یا نام فایل را مانند mellat_14050912.csv بگذارید).",
            )
        )
    if settlement_date and name_date and settlement_date != name_date:
        problems.append(
            Problem(
                0,
                "",
                "date.name_differs",
                f"Settlement date: the file name says {jalali.format_jalali(name_date)}, "
                f"not {jalali.format_jalali(settlement_date)}.",
                f"تاریخ تسویه: نام فایل {_fa(jalali.format_jalali(name_date))} را نشان می‌دهد، "
                f"نه {_fa(jalali.format_jalali(settlement_date))}.",
            )
        )
    date = settlement_date or name_date
    if date is None:
        problems.append(
            Problem(
                0,
                "",
                "date.required",
                "Settlement date: give the Jalali date the file settles (or name the file like mellat_14050912.csv).",
                "تاریخ تسویه: تاریخ شمسی تسویهٔ فایل را بدهید (یا نام فایل را مانند mellat_14050912.csv بگذارید).",
            )
        )
    elif date > jalali.today():
        problems.append(
            Problem(
                0,
                "",
                "date.future",
                "Settlement date: it is in the future.",
                "تاریخ تسویه: در آینده است.",
            )
        )
    return given or name_bank, date, problems


def _read(path_or_bytes: Path | str | bytes) -> bytes:
    if isinstance(path_or_bytes, bytes):
        return path_or_bytes
    return Path(path_or_bytes).read_bytes()


def settlement_import(
    *,
    actor: User | None,
    city: City,
    path_or_bytes: Path | str | bytes,
    name: str = "",
    bank: str = "",
    settlement_date: dt.date | None = None,
    dry_run: bool = False,
    actor_label: str = "",
) -> ImportResult:
    """Check and import one settlement file of ``city``; see the module's description.

    ``actor`` None is the system (the command; ``actor_label`` says which). ``dry_run`` checks and
    works out every line's outcome, then writes nothing.
    """
    require_city(actor, city)
    data = _read(path_or_bytes)
    if not name:
        name = Path(path_or_bytes).name if not isinstance(path_or_bytes, bytes) else "settlement.csv"
    sha256 = hashlib.sha256(data).hexdigest()
    bank_code, date, problems = _declared(name, bank, settlement_date)
    result = ImportResult(status="rejected", bank=bank_code, settlement_date=date, sha256=sha256)
    earlier = SettlementFile.objects.filter(city=city, sha256=sha256).first()
    if earlier is not None:
        result.status, result.file = "already_imported", earlier
        result.counts, result.amounts, result.line_count = earlier.counts, earlier.amounts, earlier.line_count
        return result
    parsed = parse_settlement(data, settlement_date=date)
    result.problems = problems + parsed.problems
    result.truncated = parsed.truncated
    result.line_count = len(parsed.lines)
    if result.problems:
        return result
    assert date is not None
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                _apply(
                    result,
                    actor=actor,
                    city=city,
                    data=data,
                    name=name,
                    lines=parsed.lines,
                    actor_label=actor_label or ACTOR_LABEL,
                )
                if dry_run or result.problems:
                    transaction.set_rollback(True)
        except IntegrityError:
            # Another import committed the same file or one of its lines meanwhile: look again.
            earlier = SettlementFile.objects.filter(city=city, sha256=sha256).first()
            if earlier is not None:
                result = ImportResult(
                    status="already_imported",
                    bank=bank_code,
                    settlement_date=date,
                    sha256=sha256,
                    file=earlier,
                    line_count=earlier.line_count,
                    counts=earlier.counts,
                    amounts=earlier.amounts,
                )
                return result
            if attempt == 2:
                raise
            continue
        break
    if result.problems:
        result.status, result.file = "rejected", None
    elif dry_run:
        result.status, result.file = "dry_run", None
    else:
        result.status = "imported"
    return result


@dataclass(slots=True)
class _Bill:
    """What settling needs of a bill (satisfies ``revenue.amounts.BillTerms``), read without a model instance."""

    pk: int
    bill_id: str
    status: str
    year: int
    instalment_no: int
    gross: int
    due_date: dt.date
    discount_percent: Decimal
    discount_until: dt.date | None
    discount_base: int
    penalty_monthly_percent: Decimal
    penalty_cap_percent: Decimal


_BILL_FIELDS: Final = tuple(f.name for f in dataclasses.fields(_Bill))


@dataclass(slots=True)
class _Payment:
    """A payment of a bill: one already recorded (``pk``), or one this import makes (``pk`` None until inserted)."""

    bill_pk: int
    source: str
    reference: str
    trace_number: str
    amount: int
    pk: int | None = None


@dataclass(slots=True)
class _Plan:
    line: Line
    outcome: str
    bill: _Bill | None = None
    payment: _Payment | None = None
    expected_amount: int | None = None
    replay_of: int | None = None


def _earlier_lines(bank: str, traces: Sequence[str]) -> dict[str, SettlementLine]:
    found: dict[str, SettlementLine] = {}
    for chunk in _chunks(traces):
        for line in (
            SettlementLine.objects.filter(_among("trace_number", chunk), bank=bank)
            .exclude(outcome=Outcome.ALREADY_PAID_SAME)
            .select_related("file", "linked_payment")
            .defer("file__data")
        ):
            found[line.trace_number] = line
    return found


def _same_payment(line: Line, earlier: SettlementLine) -> bool:
    return (
        earlier.bill_id == line.bill_id
        and earlier.payment_id == line.payment_id
        and earlier.amount == line.amount
        and earlier.channel == line.channel
        and earlier.paid_at == line.paid_at
    )


def _conflicts(lines: Iterable[Line], earlier: dict[str, SettlementLine]) -> list[Problem]:
    problems = []
    for line in lines:
        before = earlier.get(line.trace_number)
        if before is not None and not _same_payment(line, before):
            problems.append(
                Problem(
                    line.line_number,
                    "trace_number",
                    "trace_number.reused",
                    f"Trace number {line.trace_number} was imported before for another payment "
                    f"(file {before.file.original_name}, line {before.line_number}, bill {before.bill_id}). "
                    "Ask the bank which one is right.",
                    f"شمارهٔ پیگیری {_fa(line.trace_number)} پیش‌تر برای پرداخت دیگری وارد شده است "
                    f"(فایل {before.file.original_name}، سطر {_fa(before.line_number)}، قبض {_fa(before.bill_id)}). "
                    "از بانک بپرسید کدام درست است.",
                )
            )
    return problems


def _lock_bills(city: City, bill_ids: Iterable[str]) -> dict[str, _Bill]:
    """The city's bills named in the file, row-locked in bill-ID order (a fixed order: no deadlock)."""
    ordered = sorted(set(bill_ids))
    bills: dict[str, _Bill] = {}
    for chunk in _chunks(ordered):
        query = Bill.objects.select_for_update().filter(_among("bill_id", chunk), city=city).order_by("bill_id")
        for values in query.values_list(*_BILL_FIELDS):
            bill = _Bill(*values)
            bills[bill.bill_id] = bill
    return bills


_PAYMENT_FIELDS: Final = ("bill_id", "source", "reference", "trace_number", "amount", "pk")


def _payments_of(bills: Iterable[_Bill]) -> dict[int, _Payment]:
    found: dict[int, _Payment] = {}
    for chunk in _chunks([b.pk for b in bills]):
        for values in Payment.objects.filter(_among("bill_id", chunk)).values_list(*_PAYMENT_FIELDS):
            found[values[0]] = _Payment(*values)
    return found


def _columns(model: type[Model], fields: Sequence[str]) -> tuple[str, str, list[int]]:
    """The quoted table, its quoted ``fields`` columns, and which of them are datetimes."""
    meta = model._meta
    columns: list[Field[Any, Any]] = []
    for name in fields:
        column = meta.get_field(name)
        assert isinstance(column, Field)
        columns.append(column)
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column or f.name) for f in columns)
    return quote(meta.db_table), names, [i for i, f in enumerate(columns) if isinstance(f, DateTimeField)]


def _adapted(rows: Iterable[Sequence[Any]], stamps: Sequence[int]) -> Iterator[list[Any]]:
    """Every row as a list, its datetimes adapted for the database (the only values that need it here)."""
    adapt = connection.ops.adapt_datetimefield_value
    for row in rows:
        values = list(row)
        for i in stamps:
            values[i] = adapt(values[i])
        yield values


def _insert(model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """``INSERT`` ``rows`` (values of ``fields``, in order): the database's own constraints apply.

    Django's ``bulk_create`` prepares every value of every row through the field; for 100,000 rows
    that costs more than the insert. Here only datetimes are adapted (per backend). On PostgreSQL
    the rows are sent with ``COPY`` (one statement, no per-row round trip), elsewhere in batches.
    """
    table, names, stamps = _columns(model, fields)
    # Only quoted table and column names of our own models go into the text; every value is a parameter.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for values in _adapted(rows, stamps):
                    copy.write_row(values)
            return
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
        for batch in _chunks(list(_adapted(rows, stamps))):
            cursor.executemany(sql, batch)


def plan_lines(*, city: City, bank: str, lines: Sequence[Line]) -> tuple[list[_Plan], list[Problem]]:
    """Every line's outcome, decided in file order as ``bill_settle`` would, one after the other.

    Locks the bills; call inside a transaction. New payments are planned, not saved.
    """
    bills = _lock_bills(city, (line.bill_id for line in lines))
    earlier = _earlier_lines(bank, [line.trace_number for line in lines])
    problems = _conflicts(lines, earlier)
    if problems:
        return [], problems
    payments = _payments_of(list(bills.values()))
    plans: list[_Plan] = []
    for line in lines:
        reference = bank_reference(bank, line.trace_number)
        before = earlier.get(line.trace_number)
        if before is not None:
            paid = before.linked_payment
            plans.append(
                _Plan(
                    line,
                    Outcome.ALREADY_PAID_SAME,
                    bill=bills.get(before.bill_id),
                    payment=None
                    if paid is None
                    else _Payment(paid.bill_id, paid.source, paid.reference, paid.trace_number, paid.amount, paid.pk),
                    replay_of=before.pk,
                )
            )
            continue
        bill = bills.get(line.bill_id)
        if bill is None:
            plans.append(_Plan(line, Outcome.PAID_BUT_UNKNOWN))
            continue
        existing = payments.get(bill.pk)
        if existing is not None:
            if existing.source == SOURCE and existing.reference == reference:
                plans.append(_Plan(line, Outcome.ALREADY_PAID_SAME, bill=bill, payment=existing))
            elif existing.source != SOURCE and line.trace_number in {existing.reference, existing.trace_number}:
                # The bank reports a payment the gateway recorded: the same money.
                if existing.amount == line.amount:
                    plans.append(_Plan(line, Outcome.CONFIRMED, bill=bill, payment=existing))
                else:
                    plans.append(
                        _Plan(
                            line, Outcome.AMOUNT_MISMATCH, bill=bill, payment=existing, expected_amount=existing.amount
                        )
                    )
            else:
                plans.append(_Plan(line, Outcome.PAID_TWICE, bill=bill, payment=existing))
            continue
        # bill_settle's "reference already used" is here an earlier line with this bank and trace number (a
        # replay above, or a conflict that rejected the file); the unique (source, reference) is the backstop.
        if bill.status != Bill.Status.OPEN:
            plans.append(_Plan(line, Outcome.BILL_NOT_PAYABLE, bill=bill))
            continue
        due = payable(bill, jalali.to_tehran(line.paid_at).date()).amount
        if line.amount != due:
            plans.append(_Plan(line, Outcome.AMOUNT_MISMATCH, bill=bill, expected_amount=due))
            continue
        payment = _Payment(bill.pk, SOURCE, reference, line.trace_number, line.amount)
        payments[bill.pk] = payment
        plans.append(_Plan(line, Outcome.MATCHED, bill=bill, payment=payment))
    return plans, []


def outcomes_digest(plans: Iterable[tuple[int, str, str, int, str, str]]) -> str:
    """SHA-256 over ``line|bill ID|trace|amount|outcome|reference`` of every line (kept in the audit entry)."""
    digest = hashlib.sha256()
    for row in plans:
        digest.update(("|".join(str(part) for part in row) + "\n").encode())
    return digest.hexdigest()


def _apply(
    result: ImportResult,
    *,
    actor: User | None,
    city: City,
    data: bytes,
    name: str,
    lines: Sequence[Line],
    actor_label: str,
) -> None:
    assert result.settlement_date is not None
    file = SettlementFile.objects.create(
        city=city,
        bank=result.bank,
        settlement_date=result.settlement_date,
        original_name=name[:255],
        sha256=result.sha256,
        data=data,
        size=len(data),
        line_count=len(lines),
        uploaded_by=actor,
    )
    plans, problems = plan_lines(city=city, bank=result.bank, lines=lines)
    if problems:
        result.problems = problems
        return
    now = timezone.now()
    matched = [(p.line, p.payment) for p in plans if p.outcome == Outcome.MATCHED and p.payment is not None]
    actor_pk = actor.pk if actor is not None else None
    _insert(
        Payment,
        PAYMENT_COLUMNS,
        (
            (
                pay.bill_pk,
                ln.amount,
                ln.paid_at,
                SOURCE,
                pay.reference,
                ln.trace_number,
                ln.channel,
                ln.payment_id,
                actor_pk,
                now,
            )
            for ln, pay in matched
        ),
    )
    # The new payments' pks, before the lines that link to them are written (one payment per bill).
    made = {pay.bill_pk: pay for _, pay in matched}
    for bill_pks in _chunks(list(made)):
        for bill_pk, pk, source, reference in Payment.objects.filter(_among("bill_id", bill_pks)).values_list(
            "bill_id", "pk", "source", "reference"
        ):
            if (source, reference) == (SOURCE, made[bill_pk].reference):
                made.pop(bill_pk).pk = pk
    if made:
        raise IntegrityError("a payment inserted by the settlement import is missing")
    _insert(
        SettlementLine,
        (
            "file",
            "line_number",
            "bank",
            "bill_id",
            "payment_id",
            "amount",
            "trace_number",
            "channel",
            "paid_at",
            "outcome",
            "known_bill",
            "expected_amount",
            "linked_payment",
            "replay_of",
        ),
        (
            (
                file.pk,
                p.line.line_number,
                result.bank,
                p.line.bill_id,
                p.line.payment_id,
                p.line.amount,
                p.line.trace_number,
                p.line.channel,
                p.line.paid_at,
                p.outcome,
                p.bill.pk if p.bill is not None else None,
                p.expected_amount,
                p.payment.pk if p.payment is not None else None,
                p.replay_of,
            )
            for p in plans
        ),
    )
    matched_lines = SettlementLine.objects.filter(file=file, outcome=Outcome.MATCHED)
    paid = Bill.objects.filter(status=Bill.Status.OPEN, pk__in=matched_lines.values("known_bill_id"))
    if paid.update(status=Bill.Status.PAID, closed_at=now) != len(matched):
        raise IntegrityError("a bill stopped being open while the settlement file was imported")
    # What paying a bill leads to (``revenue.hooks``, e.g. a permit request moving on), in this transaction.
    revenue_hooks.bills_paid_run_many(bill_pks=[pay.bill_pk for _, pay in matched])
    counts = dict.fromkeys(Outcome.values, 0)
    amounts = dict.fromkeys(Outcome.values, 0)
    for p in plans:
        counts[p.outcome] += 1
        amounts[p.outcome] += p.line.amount
    digest = outcomes_digest(
        (
            p.line.line_number,
            p.line.bill_id,
            p.line.trace_number,
            p.line.amount,
            p.outcome,
            p.payment.reference if p.payment is not None else "",
        )
        for p in plans
    )
    file.counts, file.amounts, file.outcomes_sha256 = counts, amounts, digest
    file.save(update_fields=["counts", "amounts", "outcomes_sha256"])
    audit_record(
        actor=actor,
        actor_label=actor_label if actor is None else "",
        action="settlement.file_imported",
        target=file,
        payload={
            "city": city.slug,
            "bank": result.bank,
            "settlement_date": result.settlement_date.isoformat(),
            "name": file.original_name,
            "sha256": result.sha256,
            "lines": len(plans),
            "counts": counts,
            "amounts": amounts,
            "bills_paid": len(matched),
            "outcomes_sha256": digest,
        },
    )
    result.file, result.counts, result.amounts = file, counts, amounts
