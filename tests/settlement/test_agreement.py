"""The set-based settling of a file agrees with settling its lines one by one through ``bill_settle``.

Given the same bills and lines, when the file is imported (set-based) and, on the same database
state, each line is settled by ``bill_settle`` in file order, then every line has the same outcome
and the same bills end paid with the same payments.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from shahrvand.revenue.errors import AlreadyPaid, AmountMismatch, BillNotPayable
from shahrvand.revenue.models import Bill, Payment
from shahrvand.revenue.services import bill_settle
from shahrvand.settlement.models import Outcome, SettlementLine
from shahrvand.settlement.parsing import parse_settlement
from shahrvand.settlement.services import bank_reference, settlement_import
from tests.revenue.factories import make_bill
from tests.settlement.helpers import UNKNOWN_BILL_ID, at, csv_bytes, due, file_name, line

pytestmark = pytest.mark.django_db


def one_by_one(city, bank: str, data: bytes) -> list[str]:
    """The reference: each line through bill_settle, with the two rules bill_settle does not know."""
    outcomes = []
    for parsed in parse_settlement(data).lines:
        bill = Bill.objects.filter(city=city, bill_id=parsed.bill_id).first()
        if bill is None:
            outcomes.append(Outcome.PAID_BUT_UNKNOWN)
            continue
        existing = Payment.objects.filter(bill=bill).first()
        if existing is not None and existing.source != "bank_file" and parsed.trace_number == existing.trace_number:
            outcomes.append(Outcome.CONFIRMED if existing.amount == parsed.amount else Outcome.AMOUNT_MISMATCH)
            continue
        try:
            settled = bill_settle(
                bill=bill,
                amount=parsed.amount,
                paid_at=parsed.paid_at,
                source="bank_file",
                reference=bank_reference(bank, parsed.trace_number),
                trace_number=parsed.trace_number,
                channel=parsed.channel,
                payment_id=parsed.payment_id,
            )
        except AlreadyPaid:
            outcomes.append(Outcome.PAID_TWICE)
        except AmountMismatch:
            outcomes.append(Outcome.AMOUNT_MISMATCH)
        except BillNotPayable:
            outcomes.append(Outcome.BILL_NOT_PAYABLE)
        else:
            outcomes.append(Outcome.MATCHED if settled.created else Outcome.ALREADY_PAID_SAME)
    return outcomes


def final_state() -> tuple[dict[str, str], set[tuple[str, int, str, str]]]:
    bills = dict(Bill.objects.values_list("bill_id", "status"))
    payments = set(Payment.objects.values_list("bill__bill_id", "amount", "source", "reference"))
    return bills, payments


def test_set_based_import_agrees_with_bill_settle(registry):
    bills = [make_bill(registry, instalment_no=i, gross=1_000_000 * (i + 3)) for i in range(8)]
    late = make_bill(registry, instalment_no=20, due_date=at(0).date().replace(year=at(0).year - 1))
    Bill.objects.filter(pk=bills[5].pk).update(status=Bill.Status.CANCELLED)
    bill_settle(
        bill=bills[6],
        amount=due(bills[6]),
        paid_at=at(8),
        source="gateway",
        reference="G1",
        trace_number="900000000001",
    )
    bill_settle(
        bill=bills[7],
        amount=due(bills[7]),
        paid_at=at(8),
        source="gateway",
        reference="G2",
        trace_number="900000000002",
    )
    data = csv_bytes(
        [
            line(bills[0], trace="800000000001"),
            line(bills[1], trace="800000000002", amount=due(bills[1]) + 1000),
            line(bills[2], trace="800000000003"),
            line(bills[2], trace="800000000004"),  # the same bill again in the file
            line(UNKNOWN_BILL_ID, trace="800000000005"),
            line(bills[5], trace="800000000006"),  # cancelled
            line(bills[6], trace="900000000001", channel="IPG", paid_at=at(8)),  # the gateway's payment
            line(bills[7], trace="800000000008"),  # paid by the gateway already
            line(late, trace="800000000009"),  # with the late penalty
            line(late, trace="800000000010", amount=late.gross - late.gross % 1000),  # without it
            line(bills[3], trace="800000000011", paid_at=at(23, 59)),
        ]
    )

    with transaction.atomic():
        result = settlement_import(actor=None, city=registry.city, path_or_bytes=data, name=file_name())
        assert result.status == "imported", result.problems
        set_based = list(
            SettlementLine.objects.filter(file=result.file).order_by("line_number").values_list("outcome", flat=True)
        )
        set_state = final_state()
        transaction.set_rollback(True)
    with transaction.atomic():
        reference = one_by_one(registry.city, "mellat", data)
        reference_state = final_state()
        transaction.set_rollback(True)

    assert set_based == reference
    assert set_state == reference_state
    assert set(set_based) == {
        Outcome.MATCHED,
        Outcome.AMOUNT_MISMATCH,
        Outcome.PAID_TWICE,
        Outcome.PAID_BUT_UNKNOWN,
        Outcome.BILL_NOT_PAYABLE,
        Outcome.CONFIRMED,
    }
