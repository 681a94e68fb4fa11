"""The revenue officer's services: adjusting a bill, instalment plans, cancelling; nothing partial on failure."""

from __future__ import annotations

import datetime as dt

import jdatetime
import pytest
from django.utils import timezone

from shahrvand.audit.models import AuditEntry
from shahrvand.core import jalali
from shahrvand.core.access import AccessDenied
from shahrvand.core.identifiers import validate_bill_id
from shahrvand.revenue.amounts import payable
from shahrvand.revenue.models import Adjustment, Bill, BillKind, BillLine, InstalmentPlan
from shahrvand.revenue.services import (
    BillNotOpen,
    InvalidAdjustment,
    InvalidInstalments,
    ReasonRequired,
    add_jalali_months,
    bill_adjust,
    bill_cancel,
    bill_settle,
    instalment_amounts,
    instalments_create,
)
from tests.revenue.factories import make_bill

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(staff):
    return staff("revenue")


def _snapshot():
    return (
        list(Bill.objects.order_by("pk").values_list("pk", "status", "gross")),
        BillLine.objects.count(),
        Adjustment.objects.count(),
        InstalmentPlan.objects.count(),
        AuditEntry.objects.count(),
    )


# -- adjustments ----------------------------------------------------------------------------------
def test_an_adjustment_supersedes_the_bill_with_lines_showing_the_difference(registry, officer):
    bill = make_bill(registry, gross=12_345_678)

    adjustment = bill_adjust(actor=officer, bill=bill, new_gross=10_000_000, reason="مساحت واحد در ممیزی اشتباه بود")

    bill.refresh_from_db()
    new = adjustment.new_bill
    assert bill.status == Bill.Status.SUPERSEDED and bill.closed_at is not None
    assert new.status == Bill.Status.OPEN and new.supersedes == bill and new.bill_id != bill.bill_id
    assert validate_bill_id(new.bill_id) == new.bill_id
    assert new.gross == 10_000_000 and adjustment.amount_delta == -2_345_678
    assert adjustment.reason == "مساحت واحد در ممیزی اشتباه بود" and adjustment.actor == officer
    lines = list(new.lines.order_by("position"))
    assert [(line.kind, line.amount) for line in lines] == [
        (BillLine.Kind.PROPERTY_DUTY, 12_345_678),
        (BillLine.Kind.ADJUSTMENT, -2_345_678),
    ]
    assert sum(line.amount for line in lines) == new.gross
    assert lines[1].inputs["from"] == 12_345_678 and lines[1].inputs["to"] == 10_000_000
    assert new.discount_base == 10_000_000  # never more than the bill
    assert (new.due_date, new.payer_id, new.subject_code) == (bill.due_date, bill.payer_id, bill.subject_code)
    entry = AuditEntry.objects.get(action="revenue.bill_adjust")
    assert entry.actor == officer and entry.target_id == str(bill.pk)
    assert entry.payload["new_bill_id"] == new.bill_id and entry.payload["delta"] == -2_345_678


def test_adjusting_lines_adds_one_adjustment_line_per_changed_line(registry, officer):
    bill = make_bill(registry, gross=5_000_000)
    adjustment = bill_adjust(actor=officer, bill=bill, line_amounts={1: 6_500_000}, reason="نرخ منطقه‌ای اصلاح شد")
    new = adjustment.new_bill
    assert new.gross == 6_500_000 and adjustment.amount_delta == 1_500_000
    assert new.discount_base == 5_000_000  # the discount does not grow through an adjustment
    assert list(new.lines.values_list("kind", "amount")) == [("property_duty", 5_000_000), ("adjustment", 1_500_000)]


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_adjustment_needs_a_reason_and_changes_nothing_without_one(registry, officer, reason):
    bill = make_bill(registry)
    before = _snapshot()
    with pytest.raises(ReasonRequired) as refused:
        bill_adjust(actor=officer, bill=bill, new_gross=1_000_000, reason=reason)
    assert refused.value.message_fa and refused.value.message_en
    assert _snapshot() == before


def test_a_paid_bill_cannot_be_adjusted(registry, officer):
    bill = make_bill(registry)
    bill_settle(
        bill=bill, amount=payable(bill, jalali.today()).amount, paid_at=timezone.now(), source="gateway", reference="R"
    )
    before = _snapshot()
    with pytest.raises(BillNotOpen) as refused:
        bill_adjust(actor=officer, bill=bill, new_gross=1_000_000, reason="اشتباه")
    assert refused.value.code == "bill_paid"
    assert "پرداخت شده" in refused.value.message_fa
    assert _snapshot() == before


def test_a_superseded_bill_cannot_be_adjusted_again_and_bad_amounts_are_refused(registry, officer):
    bill = make_bill(registry, gross=3_000_000)
    bill_adjust(actor=officer, bill=bill, new_gross=2_000_000, reason="اصلاح")
    with pytest.raises(BillNotOpen):
        bill_adjust(actor=officer, bill=bill, new_gross=1_000_000, reason="دوباره")
    fresh = make_bill(registry, gross=3_000_000, instalment_no=7)
    before = _snapshot()
    for kwargs in ({"new_gross": -1}, {"new_gross": 3_000_000}, {"line_amounts": {9: 1}}, {}):
        with pytest.raises(InvalidAdjustment):
            bill_adjust(actor=officer, bill=fresh, reason="اصلاح", **kwargs)
    assert _snapshot() == before


def test_only_a_revenue_officer_of_the_district_adjusts(registry, staff, district2):
    bill = make_bill(registry)
    for actor in (staff("clerk"), staff("revenue", district=district2)):
        with pytest.raises(AccessDenied):
            bill_adjust(actor=actor, bill=bill, new_gross=1_000_000, reason="اصلاح")
    assert Bill.objects.get(pk=bill.pk).status == Bill.Status.OPEN


# -- instalments ----------------------------------------------------------------------------------
def test_instalment_amounts_are_thousands_and_sum_exactly():
    assert instalment_amounts(10_000_000, 3) == [3_334_000, 3_333_000, 3_333_000]
    for total, count in [(1_000, 1), (5_000, 5), (123_457_000, 7), (99_999_000, 36)]:
        amounts = instalment_amounts(total, count)
        assert sum(amounts) == total and len(amounts) == count
        assert all(a % 1000 == 0 and a > 0 for a in amounts)
        assert amounts[0] >= amounts[-1] and len(set(amounts[1:])) <= 1


def test_jalali_months_keep_the_day_or_take_the_month_end():
    start = jdatetime.date(1405, 6, 31).togregorian()
    assert [jalali.format_jalali(add_jalali_months(start, k)) for k in range(4)] == [
        "1405/06/31",
        "1405/07/30",
        "1405/08/30",
        "1405/09/30",
    ]
    esfand = jdatetime.date(1405, 11, 30).togregorian()
    assert jalali.format_jalali(add_jalali_months(esfand, 1)) == "1405/12/29"  # 1405 is not a leap year
    assert jalali.format_jalali(add_jalali_months(esfand, 2)) == "1406/01/30"


def test_a_payers_debt_becomes_instalments_summing_to_what_is_payable_today(registry, officer):
    one = make_bill(registry, gross=12_345_678)
    two = make_bill(registry, gross=7_654_321, instalment_no=5)
    Bill.objects.filter(pk=two.pk).update(payer=one.payer)
    two.refresh_from_db()
    today = jalali.today()
    debt = payable(one, today).amount + payable(two, today).amount
    first_due = today + dt.timedelta(days=10)

    plan = instalments_create(actor=officer, bills=[one, two], count=6, reason="درخواست مؤدی", first_due=first_due)

    instalments = list(plan.instalments.order_by("instalment_no"))
    assert plan.total == debt and plan.count == 6 and plan.created_by == officer
    assert [b.instalment_no for b in instalments] == [1, 2, 3, 4, 5, 6]
    assert sum(b.gross for b in instalments) == debt
    assert all(b.gross % 1000 == 0 for b in instalments)
    assert instalments[0].gross - instalments[1].gross < 6 * 1000
    assert len({b.gross for b in instalments[1:]}) == 1
    assert [b.due_date for b in instalments] == [add_jalali_months(first_due, k) for k in range(6)]
    for instalment in instalments:
        assert instalment.kind == BillKind.INSTALMENT and instalment.status == Bill.Status.OPEN
        assert instalment.payer_id == one.payer_id and validate_bill_id(instalment.bill_id) == instalment.bill_id
        # What is payable on the instalment's due date is exactly the instalment (no discount, no rounding).
        assert payable(instalment, instalment.due_date).amount == instalment.gross
        (line,) = instalment.lines.all()
        assert line.kind == BillLine.Kind.INSTALMENT and line.amount == instalment.gross
        assert {b["bill_id"] for b in line.inputs["bills"]} == {one.bill_id, two.bill_id}
    for original in (one, two):
        original.refresh_from_db()
        assert original.status == Bill.Status.IN_INSTALMENTS and original.replaced_by_plan == plan
    entry = AuditEntry.objects.get(action="revenue.instalments_create")
    assert entry.payload["total"] == debt and len(entry.payload["instalments"]) == 6


def test_instalments_are_refused_and_nothing_changes(registry, officer):
    mine = make_bill(registry)
    others = make_bill(registry, unit=_other_unit(registry, mine), instalment_no=2)
    tomorrow = jalali.today() + dt.timedelta(days=1)
    before = _snapshot()
    cases = [
        ({"bills": [mine], "count": 1}, InvalidInstalments),
        ({"bills": [mine], "count": 37}, InvalidInstalments),
        ({"bills": [], "count": 3}, InvalidInstalments),
        ({"bills": [mine], "count": 3, "reason": ""}, ReasonRequired),
        ({"bills": [mine], "count": 3, "first_due": jalali.today() - dt.timedelta(days=1)}, InvalidInstalments),
    ]
    if others.payer_id != mine.payer_id:
        cases.append(({"bills": [mine, others], "count": 3}, InvalidInstalments))
    for kwargs, error in cases:
        arguments = {"actor": officer, "reason": "درخواست", "first_due": tomorrow, **kwargs}
        with pytest.raises(error):
            instalments_create(**arguments)
    assert _snapshot() == before


def _other_unit(registry, bill):
    from shahrvand.registry.models import Ownership, Unit

    for unit in Unit.objects.filter(district=registry, use="residential").exclude(parcel=bill.parcel).order_by("code"):
        owner = Ownership.objects.filter(parcel=unit.parcel).order_by("-share_dang").first()
        if owner is not None and owner.person_id != bill.payer_id:
            return unit
    raise AssertionError("no unit of another payer")


def test_a_cancelled_bill_is_closed_with_the_reason_audited(registry, officer):
    bill = make_bill(registry)
    with pytest.raises(ReasonRequired):
        bill_cancel(actor=officer, bill=bill, reason="")
    bill_cancel(actor=officer, bill=bill, reason="صدور تکراری")
    bill.refresh_from_db()
    assert bill.status == Bill.Status.CANCELLED
    assert AuditEntry.objects.get(action="revenue.bill_cancel").payload["reason"] == "صدور تکراری"


def test_adjustments_outside_what_a_payment_id_can_carry_are_refused(registry, staff):
    from shahrvand.revenue.amounts import MAX_GROSS
    from shahrvand.revenue.services import InvalidAdjustment, bill_adjust

    officer = staff("revenue")
    bill = make_bill(registry, gross=5_000_000)
    for amount, code in ((500, "adjustment_too_small"), (MAX_GROSS + 1000, "adjustment_too_large")):
        with pytest.raises(InvalidAdjustment) as refused:
            bill_adjust(actor=officer, bill=bill, new_gross=amount, reason="آزمون")
        assert refused.value.code == code
    bill.refresh_from_db()
    assert bill.status == "open" and bill.gross == 5_000_000


def test_a_bill_forgiven_to_zero_is_no_debt(registry, staff):
    from shahrvand.revenue.selectors import property_debts
    from shahrvand.revenue.services import bill_adjust

    bill = make_bill(registry, gross=5_000_000)
    assert [d.bill for d in property_debts(bill.parcel)] == [bill]
    adjusted = bill_adjust(actor=staff("revenue"), bill=bill, new_gross=0, reason="بخشودگی مصوب شورا")
    assert adjusted.new_bill.gross == 0
    assert property_debts(bill.parcel) == []
