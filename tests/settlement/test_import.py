"""Importing settlement files: the crafted file with every kind of mismatch, rejections, idempotence, access.

Given bills made through the real numbering and lines written with the real amount rules, when the
file is imported, then every line has the outcome it should, bills are paid exactly once and the
reconciliation report sorts everything into the right section.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from shahrvand.audit.models import AuditEntry
from shahrvand.core import jalali
from shahrvand.core.text import to_persian_digits
from shahrvand.revenue.models import Bill, Payment
from shahrvand.revenue.services import bill_settle
from shahrvand.settlement.models import Outcome, SettlementFile, SettlementLine
from shahrvand.settlement.reconcile import KNOWN_BUT_MISSING, reconcile
from shahrvand.settlement.services import settlement_import
from tests.revenue.factories import make_bill
from tests.settlement.helpers import DAY, UNKNOWN_BILL_ID, at, csv_bytes, due, file_name, line

pytestmark = pytest.mark.django_db


def state() -> dict[str, int]:
    return {
        "files": SettlementFile.objects.count(),
        "lines": SettlementLine.objects.count(),
        "payments": Payment.objects.count(),
        "paid": Bill.objects.filter(status=Bill.Status.PAID).count(),
        "audit": AuditEntry.objects.count(),
    }


def gateway_pay(bill: Bill, *, reference: str, trace: str, hour: int = 9) -> Payment:
    return bill_settle(
        bill=bill,
        amount=due(bill),
        paid_at=at(hour),
        source=Payment.Source.GATEWAY,
        reference=reference,
        trace_number=trace,
        channel="IPG",
    ).payment


@pytest.fixture
def crafted(registry):
    """Bills in every situation, an earlier file with one line, and today's file with every kind of line."""
    b = {
        name: make_bill(registry, instalment_no=i)
        for i, name in enumerate(
            ["matched", "mismatch", "confirmed", "missing", "twice", "superseded", "replayed", "double"]
        )
    }
    Bill.objects.filter(pk=b["superseded"].pk).update(status=Bill.Status.SUPERSEDED)
    gateway = {
        "confirmed": gateway_pay(b["confirmed"], reference="IPG-RRN-1", trace="700000000001"),
        "missing": gateway_pay(b["missing"], reference="IPG-RRN-2", trace="700000000002"),
        "twice": gateway_pay(b["twice"], reference="IPG-RRN-3", trace="700000000003"),
    }
    earlier = settlement_import(
        actor=None,
        city=registry.city,
        path_or_bytes=csv_bytes([line(b["replayed"], trace="100000000009")]),
        name=file_name(suffix="-a"),
    )
    assert earlier.status == "imported"
    rows = [
        line(b["matched"], trace="100000000001"),  # line 2
        line(UNKNOWN_BILL_ID, trace="100000000002"),  # 3
        line(b["mismatch"], trace="100000000003", amount=due(b["mismatch"]) - 1000),  # 4
        line(b["confirmed"], trace="700000000001", channel="IPG", paid_at=at(9)),  # 5
        line(b["twice"], trace="100000000005", channel="MOBILE"),  # 6
        line(b["superseded"], trace="100000000006", channel="INTERNET"),  # 7
        line(b["replayed"], trace="100000000009"),  # 8: the earlier file's line again
        line(b["double"], trace="100000000010", channel="POS"),  # 9
        line(b["double"], trace="100000000011", channel="BRANCH"),  # 10: the same bill paid again
    ]
    return {
        "district": registry,
        "bills": b,
        "gateway": gateway,
        "rows": rows,
        "data": csv_bytes(rows),
        "earlier": earlier,
    }


def test_the_crafted_file_gets_every_outcome_and_the_reconciliation_is_right(crafted):
    district, b, gateway, rows = crafted["district"], crafted["bills"], crafted["gateway"], crafted["rows"]
    paid_before = Payment.objects.count()

    result = settlement_import(actor=None, city=district.city, path_or_bytes=crafted["data"], name=file_name())

    assert result.status == "imported", result.problems
    outcomes = dict(SettlementLine.objects.filter(file=result.file).values_list("line_number", "outcome"))
    assert outcomes == {
        2: Outcome.MATCHED,
        3: Outcome.PAID_BUT_UNKNOWN,
        4: Outcome.AMOUNT_MISMATCH,
        5: Outcome.CONFIRMED,
        6: Outcome.PAID_TWICE,
        7: Outcome.BILL_NOT_PAYABLE,
        8: Outcome.ALREADY_PAID_SAME,
        9: Outcome.MATCHED,
        10: Outcome.PAID_TWICE,
    }
    # Exactly the two matched lines made payments; bills are paid once.
    assert Payment.objects.count() == paid_before + 2
    for name in ("matched", "double", "replayed"):
        b[name].refresh_from_db()
        assert b[name].status == Bill.Status.PAID
        assert Payment.objects.filter(bill=b[name]).count() == 1
    b["mismatch"].refresh_from_db()
    assert b["mismatch"].status == Bill.Status.OPEN
    mismatch = SettlementLine.objects.get(file=result.file, line_number=4)
    assert mismatch.expected_amount == due(b["mismatch"]) and mismatch.amount == due(b["mismatch"]) - 1000
    assert SettlementLine.objects.get(file=result.file, line_number=5).linked_payment == gateway["confirmed"]
    assert SettlementLine.objects.get(file=result.file, line_number=6).linked_payment == gateway["twice"]
    replay = SettlementLine.objects.get(file=result.file, line_number=8)
    assert replay.replay_of.file == crafted["earlier"].file
    assert replay.linked_payment == Payment.objects.get(bill=b["replayed"])
    entry = AuditEntry.objects.get(action="settlement.file_imported", target_id=str(result.file.pk))
    assert entry.actor_label == "settlement_import"
    assert entry.payload["counts"] == result.counts and entry.payload["outcomes_sha256"] == result.file.outcomes_sha256

    report = reconcile(actor=None, city=district.city, date=DAY)

    counts = {t.key: t.count for t in report.totals}
    assert counts == {
        "matched": 4,  # two from today's file + the earlier file's line + the confirmed gateway payment
        "paid_but_unknown": 1,
        "amount_mismatch": 1,
        "bill_not_payable": 1,
        "paid_twice": 2,
        KNOWN_BUT_MISSING: 2,  # "missing" is in no file; "twice"'s gateway payment is not confirmed either
        "replays": 1,
    }
    assert [(r.bill_id, r.payment_id) for r in report.rows("paid_but_unknown")] == [(UNKNOWN_BILL_ID, rows[1][1])]
    assert [r.bill_id for r in report.rows("amount_mismatch")] == [b["mismatch"].bill_id]
    assert [(r.bill_id, r.trace_number) for r in report.rows("paid_twice")] == [
        (b["twice"].bill_id, "100000000005"),
        (b["double"].bill_id, "100000000011"),
    ]
    assert {r.reference for r in report.rows(KNOWN_BUT_MISSING)} == {"IPG-RRN-2", "IPG-RRN-3"}
    assert report.total("amount_mismatch").amount == due(b["mismatch"]) - 1000
    assert report.follow_up == 1 + 1 + 1 + 2 + 2
    # Only the earlier file, by bank: another bank's files are not looked at.
    assert reconcile(actor=None, city=district.city, date=DAY, bank="saman").total("matched").count == 0
    csv_text = report.csv()
    assert csv_text.splitlines()[0].startswith("section,bill_id,payment_id,amount")
    assert sum(1 for row in csv_text.splitlines()[1:]) == 4 + 1 + 1 + 1 + 2 + 2 + 1


def test_importing_the_same_file_again_changes_nothing(crafted):
    district = crafted["district"]
    first = settlement_import(actor=None, city=district.city, path_or_bytes=crafted["data"], name=file_name())
    before = state()

    again = settlement_import(actor=None, city=district.city, path_or_bytes=crafted["data"], name="renamed.csv")

    assert again.status == "already_imported" and again.file == first.file
    assert state() == before


def test_a_line_in_another_file_is_a_replay_and_pays_nothing(registry):
    bill = make_bill(registry)
    row = line(bill, trace="123456789012")
    settlement_import(actor=None, city=registry.city, path_or_bytes=csv_bytes([row]), name=file_name())
    before = state()
    other = make_bill(registry, instalment_no=1)

    result = settlement_import(
        actor=None,
        city=registry.city,
        path_or_bytes=csv_bytes([row, line(other, trace="123456789013")]),
        name=file_name(suffix="-corrected"),
    )

    assert result.counts[Outcome.ALREADY_PAID_SAME] == 1 and result.counts[Outcome.MATCHED] == 1
    assert state()["payments"] == before["payments"] + 1
    assert Payment.objects.filter(bill=bill).count() == 1


def test_a_trace_number_imported_before_for_another_payment_rejects_the_file(registry):
    one, two = make_bill(registry), make_bill(registry, instalment_no=1)
    settlement_import(
        actor=None, city=registry.city, path_or_bytes=csv_bytes([line(one, trace="555555555555")]), name=file_name()
    )
    before = state()

    result = settlement_import(
        actor=None,
        city=registry.city,
        path_or_bytes=csv_bytes([line(two, trace="555555555555")]),
        name=file_name(suffix="-b"),
    )

    assert result.status == "rejected"
    assert [p.code for p in result.problems] == ["trace_number.reused"]
    assert state() == before


def bad_rows(bill: Bill) -> dict[str, tuple[list[list[str]], str, int]]:
    good = line(bill, trace="200000000001")
    wrong_check = good.copy()
    wrong_check[1] = good[1][:-1] + str((int(good[1][-1]) + 1) % 10)
    wrong_bill = good.copy()
    wrong_bill[0] = good[0][:-1] + str((int(good[0][-1]) + 1) % 10)
    return {
        "payment_check2": ([wrong_check], "payment_id.check2", 2),
        "bill_check": ([wrong_bill], "bill_id.checksum", 2),
        "duplicate_line": ([good, good], "line.duplicate", 3),
        "duplicate_trace": ([good, line(bill, trace="200000000001", channel="POS")], "line.duplicate_trace", 3),
        "amount_differs": ([[*good[:2], str(int(good[2]) + 1000), *good[3:]]], "amount.payment_id", 2),
        "amount_negative": ([[*good[:2], "-" + good[2], *good[3:]]], "amount.invalid", 2),
        "amount_zero": ([[*good[:2], "0", *good[3:]]], "amount.invalid", 2),
        "amount_huge": ([[*good[:2], "9" * 5000, *good[3:]]], "amount.invalid", 2),
        "channel": ([[*good[:4], "PIGEON", good[5]]], "channel.unknown", 2),
        "naive_time": ([[*good[:5], "2026-01-01T10:00:00"]], "paid_at.invalid", 2),
        "bad_time": ([[*good[:5], "yesterday"]], "paid_at.invalid", 2),
        "trace": ([[*good[:3], "12", *good[4:]]], "trace_number.invalid", 2),
        "after_the_date": (
            [line(bill, trace="200000000002", paid_at=at(10, day=DAY.replace(year=DAY.year + 1)))],
            "paid_at.after_settlement",
            2,
        ),
        "short_line": ([good[:5]], "line.columns", 2),
    }


@pytest.mark.parametrize(
    "case",
    [
        "payment_check2",
        "bill_check",
        "duplicate_line",
        "duplicate_trace",
        "amount_differs",
        "amount_negative",
        "amount_zero",
        "channel",
        "naive_time",
        "bad_time",
        "trace",
        "after_the_date",
        "short_line",
    ],
)
def test_a_bad_line_rejects_the_whole_file_and_writes_nothing(registry, case):
    bill = make_bill(registry)
    rows, code, line_number = bad_rows(bill)[case]
    good_other = line(make_bill(registry, instalment_no=1), trace="300000000001")
    before = state()

    result = settlement_import(
        actor=None, city=registry.city, path_or_bytes=csv_bytes([good_other, *rows]), name=file_name()
    )

    assert result.status == "rejected"
    assert [(p.code, p.line) for p in result.problems] == [(code, line_number + 1)]
    assert result.problems[0].message_fa and result.problems[0].message_en
    assert state() == before


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (csv_bytes([], header=["bill_id", "payment_id", "amount", "trace", "channel", "paid_at"]), "header.columns"),
        (b"", "file.empty"),
        ("bill_id,payment_id\n".encode("utf-16"), "file.encoding"),
    ],
)
def test_a_bad_header_or_encoding_rejects_the_file(registry, data, code):
    result = settlement_import(actor=None, city=registry.city, path_or_bytes=data, name=file_name())
    assert result.status == "rejected" and [p.code for p in result.problems] == [code]
    assert not SettlementFile.objects.exists()


def test_an_unreadable_csv_is_rejected_not_a_crash(registry):
    import csv

    limit = csv.field_size_limit(131_072)  # the csv module's default; another package may have raised it
    try:
        data = csv_bytes([]) + b'"' + b"1" * 200_000 + b'",2,3,4,5,6\n'
        result = settlement_import(actor=None, city=registry.city, path_or_bytes=data, name=file_name())
    finally:
        csv.field_size_limit(limit)
    assert result.status == "rejected" and [(p.code, p.line) for p in result.problems] == [("file.csv", 3)]
    assert not SettlementFile.objects.exists()


def test_the_bank_and_date_come_from_the_name_or_the_caller(registry):
    data = csv_bytes([])
    unnamed = settlement_import(actor=None, city=registry.city, path_or_bytes=data, name="today.csv")
    assert unnamed.status == "rejected"
    assert {p.code for p in unnamed.problems} == {"bank.required", "date.required"}
    differs = settlement_import(actor=None, city=registry.city, path_or_bytes=data, name=file_name(), bank="saman")
    assert [p.code for p in differs.problems] == ["bank.name_differs"]
    given = settlement_import(
        actor=None, city=registry.city, path_or_bytes=data, name="today.csv", bank="Saman", settlement_date=DAY
    )
    assert given.status == "imported" and given.file.bank == "saman" and given.file.settlement_date == DAY


def test_persian_digits_jalali_times_and_a_bom_are_accepted(registry):
    bill = make_bill(registry)
    row = line(bill, trace="400000000001")
    jalali_time = jalali.format_jalali(at(14, 30), "%Y/%m/%d %H:%M:%S")
    persian = [to_persian_digits(cell) for cell in [*row[:4]]] + ["atm", to_persian_digits(jalali_time)]
    data = "\ufeff".encode() + csv_bytes([persian])

    result = settlement_import(actor=None, city=registry.city, path_or_bytes=data, name=file_name())

    assert result.status == "imported", result.problems
    payment = Payment.objects.get(bill=bill)
    assert payment.paid_at == at(14, 30) and payment.channel == "ATM" and payment.reference == "mellat:400000000001"


def test_dry_run_reports_the_outcomes_and_writes_nothing(crafted):
    before = state()
    result = settlement_import(
        actor=None, city=crafted["district"].city, path_or_bytes=crafted["data"], name=file_name(), dry_run=True
    )
    assert result.status == "dry_run" and result.file is None
    assert result.counts[Outcome.MATCHED] == 2 and result.counts[Outcome.PAID_TWICE] == 2
    assert state() == before


def test_a_clerk_may_not_import_and_revenue_staff_of_another_district_may(registry, district2, staff):
    data = csv_bytes([line(make_bill(registry), trace="600000000001")])
    with pytest.raises(PermissionDenied):
        settlement_import(actor=staff("clerk"), city=registry.city, path_or_bytes=data, name=file_name())
    assert not SettlementFile.objects.exists()
    officer = staff("revenue", district=district2)
    result = settlement_import(actor=officer, city=registry.city, path_or_bytes=data, name=file_name())
    assert result.status == "imported" and result.file.uploaded_by == officer
    assert Payment.objects.get().recorded_by == officer
