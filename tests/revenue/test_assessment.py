"""The annual assessment on the sample audit: hand-computed bills, re-runs, supersession, dry runs, the command."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from shahrvand.audit.models import AuditEntry
from shahrvand.core.access import AccessDenied
from shahrvand.registry.models import Building, Business, Ownership, Parcel, Person, Unit
from shahrvand.revenue.amounts import payable
from shahrvand.revenue.assessment import AssessmentError, assess
from shahrvand.revenue.models import AssessmentRun, Bill, BillLine, TariffBook
from shahrvand.revenue.services import bill_settle
from shahrvand.revenue.tariffs import tariff_approve, tariff_create_draft, tariff_put_in_force
from tests.revenue.test_tariff import sample

pytestmark = pytest.mark.django_db
YEAR = 1405


def install(city, officer, rules: dict[str, Any] | None = None) -> TariffBook:
    book = tariff_create_draft(actor=officer, city=city, year=YEAR, rules=rules or sample())
    tariff_approve(actor=officer, book=book, approval_number="1404/55", approval_date=dt.date(2026, 3, 1))
    return tariff_put_in_force(actor=officer, book=book)


@pytest.fixture
def officer(staff):
    return staff("revenue")


@pytest.fixture
def book(registry, officer):
    return install(registry.city, officer)


def lines_of(bill: Bill) -> dict[str, int]:
    return {line.kind: line.amount for line in bill.lines.all()}


def live(subject: str) -> Bill:
    return Bill.objects.get(subject_code=subject, status__in=["open", "paid"])


def test_property_bill_of_a_single_house_is_computed_as_by_hand(registry, book):
    run = assess(actor=None, district=registry, year=YEAR)
    assert run.status == "done" and not run.dry_run
    bill = live("1-1-100-1-1-1-0")
    # parcel 1-1-100-1: land 275.44 m², regional value 2,500,000; one unit of 165.26 m², so all the land.
    # building: concrete, built 1400 → age 5 → band 0-5: 18,000,000 per m².
    land = 688_600_000  # 275.44 × 2,500,000
    building = 2_974_680_000  # 165.26 × 18,000,000
    duty = (land + building) * 25 // 10_000  # 2.5‰ → 9,158,200
    waste = 1_200_000 + 400_000 * 5  # household of 5
    assert lines_of(bill) == {"property_duty": duty, "residential_waste": waste}
    assert duty == 9_158_200 and bill.gross == 12_358_200
    # two owners with 3 dang each: the lower national code pays.
    assert bill.payer.national_code == "3231948754"
    assert bill.kind == "property" and bill.unit.code == "1-1-100-1-1-1-0" and bill.tariff_id == book.pk
    assert bill.due_date == dt.date(2027, 3, 20)
    assert (bill.discount_percent, bill.discount_until, bill.discount_base) == (
        Decimal("10"),
        dt.date(2027, 3, 20),
        bill.gross,
    )
    assert (bill.penalty_monthly_percent, bill.penalty_cap_percent) == (Decimal("1.5"), Decimal("30"))
    line = bill.lines.get(kind="property_duty")
    assert line.inputs["land_value"] == land and line.inputs["building_value"] == building
    assert line.inputs["age_band"] == "0-5" and line.inputs["tariff"]["version"] == 1
    assert line.label_fa == "عوارض نوسازی" and "2.5‰ = 9,158,200" in line.formula
    # What the citizen pays within the year: 10% off, rounded down to 1,000 Rials.
    assert payable(bill, dt.date(2026, 5, 1)).amount == 11_122_000  # 12,358,200 − 1,235,820 = 11,122,380


def test_land_is_shared_between_units_by_area(registry, book):
    assess(actor=None, district=registry, year=YEAR)
    bill = live("1-1-100-3-1-2-0")
    # parcel 3: 232 m² at 9,000,000; two units of 139.2 m² → 116 m² each. masonry, 1395 → age 10 → 10,000,000.
    value = 116 * 9_000_000 + 1_392_000_000
    assert lines_of(bill) == {"property_duty": value * 25 // 10_000, "residential_waste": 1_200_000 + 400_000 * 4}
    assert bill.lines.get(kind="property_duty").inputs["land_share_m2"] == "116"


def test_business_bill_by_guild_class_location_and_area(registry, book):
    assess(actor=None, district=registry, year=YEAR)
    bill = live("B1000003")  # supermarket 5211 → class B, 55.15 m², parcel 8 at 9,000,000 → coefficient 1.2
    duty = int((4_000_000 + Decimal("55.15") * 80_000) * Decimal("1.2"))
    assert duty == 10_094_400
    assert lines_of(bill) == {"business_duty": duty, "non_residential_waste": duty // 2}
    assert bill.kind == "business" and bill.payer.national_code == "8365461072"  # the operator
    assert bill.business.business_code == "B1000003"
    assert (bill.discount_percent, bill.discount_until, bill.discount_base) == (
        Decimal("5"),
        dt.date(2026, 9, 22),  # 1405/06/31
        duty,
    )


def test_every_current_unit_and_business_is_assessed_once(registry, book):
    run = assess(actor=None, district=registry, year=YEAR)
    units = Unit.objects.filter(district=registry).count()
    businesses = Business.objects.filter(district=registry).count()
    owned = set(Ownership.objects.filter(unit__isnull=False).values_list("unit_id", flat=True))
    unowned = Unit.objects.filter(district=registry).exclude(pk__in=owned).count()
    assert run.counts["subjects"] == units + businesses
    assert run.total == run.done == units + businesses
    assert run.counts["no_payer"] == unowned
    assert Bill.objects.filter(kind="property").count() == units - unowned - run.counts["below_minimum"]
    assert Bill.objects.filter(kind="business").count() == businesses
    assert run.counts["new"] == Bill.objects.count() == run.counts["written"]
    assert BillLine.objects.filter(bill__kind="business").count() == 2 * businesses
    assert len({b.bill_id for b in Bill.objects.all()}) == Bill.objects.count()
    book.refresh_from_db()
    assert book.used_at is not None
    (entry,) = AuditEntry.objects.filter(action="revenue.assessment_run")
    assert entry.payload["counts"]["new"] == run.counts["new"]


def test_rerun_with_unchanged_inputs_changes_nothing(registry, book):
    first = assess(actor=None, district=registry, year=YEAR)
    before = list(Bill.objects.values_list("bill_id", "status", "gross").order_by("bill_id"))
    second = assess(actor=None, district=registry, year=YEAR)
    assert second.counts["new"] == second.counts["superseded"] == second.counts["written"] == 0
    assert second.counts["unchanged"] == first.counts["new"]
    assert list(Bill.objects.values_list("bill_id", "status", "gross").order_by("bill_id")) == before


def test_changed_inputs_supersede_the_open_bill_and_report_the_difference(registry, book):
    assess(actor=None, district=registry, year=YEAR)
    old = live("1-1-100-1-1-1-0")
    Unit.objects.filter(code="1-1-100-1-1-1-0").update(household_size=2)
    run = assess(actor=None, district=registry, year=YEAR)
    assert run.counts["superseded"] == 1 and run.counts["new"] == 0 and run.counts["written"] == 1
    old.refresh_from_db()
    new = live("1-1-100-1-1-1-0")
    assert old.status == "superseded" and old.closed_at is not None
    assert new.supersedes_id == old.pk and new.bill_id != old.bill_id
    assert new.gross == old.gross - 3 * 400_000
    (problem,) = [p for p in run.problems if p["code"] == "superseded"]
    assert problem["difference"] == -1_200_000 and problem["bill_id"] == old.bill_id


def test_a_rebuilt_building_is_exempt_from_property_duty_for_three_years(registry, book):
    Building.objects.filter(code="1-1-100-1-1-0-0").update(construction_year=1403)
    assess(actor=None, district=registry, year=YEAR)
    bill = live("1-1-100-1-1-1-0")
    assert lines_of(bill) == {"property_duty": 0, "residential_waste": 3_200_000}
    assert bill.lines.get(kind="property_duty").inputs["exempt_rebuilt"] is True


def test_paid_bills_are_never_touched(registry, book):
    assess(actor=None, district=registry, year=YEAR)
    bill = live("1-1-100-1-1-1-0")
    paid_at = timezone.now()
    from shahrvand.core import jalali

    amount = payable(bill, jalali.to_tehran(paid_at).date()).amount
    bill_settle(bill=bill, amount=amount, paid_at=paid_at, source="counter", reference="C-1")
    Unit.objects.filter(code="1-1-100-1-1-1-0").update(household_size=1)
    run = assess(actor=None, district=registry, year=YEAR)
    bill.refresh_from_db()
    assert bill.status == "paid" and Bill.objects.filter(subject_code="1-1-100-1-1-1-0").count() == 1
    assert run.counts["changed_but_settled"] == 1 and run.counts["written"] == 0
    (problem,) = [p for p in run.problems if p["code"] == "changed_but_settled"]
    assert problem["difference"] == -1_600_000


def test_a_parcel_without_units_pays_on_its_land_only(registry, book):
    delivery = Unit.objects.first().first_delivery
    parcel = Parcel.objects.create(
        district=registry,
        code="1-1-100-99-0-0-0",
        zone_no=1,
        block_no=100,
        parcel_no=99,
        address="زمین بایر",
        land_area_m2=Decimal("300.50"),
        land_use="vacant",
        regional_value_per_m2=3_000_000,
        first_delivery=delivery,
    )
    owner = Person.objects.order_by("national_code").first()
    Ownership.objects.create(
        district=registry, person=owner, parcel=parcel, property_code=parcel.code, share_dang=6, deed_type="official"
    )
    assess(actor=None, district=registry, year=YEAR)
    bill = live("1-1-100-99-0-0-0")
    assert lines_of(bill) == {"property_duty": 901_500_000 * 25 // 10_000}  # 300.5 × 3,000,000 × 2.5‰
    assert bill.unit is None and bill.payer == owner


def test_parking_is_excluded_and_tiny_bills_are_not_created(registry, officer):
    rules = sample()
    rules["residential_waste"]["uses"] = []
    install(registry.city, officer, rules)
    Unit.objects.filter(code="1-1-100-1-1-1-0").update(use="parking")
    run = assess(actor=None, district=registry, year=YEAR)
    assert not Bill.objects.filter(subject_code="1-1-100-1-1-1-0").exists()
    assert run.counts["below_minimum"] == 1


def test_dry_run_writes_no_bill_but_reports_the_same_counts(registry, book):
    dry = assess(actor=None, district=registry, year=YEAR, dry_run=True)
    assert dry.dry_run and dry.status == "done" and AssessmentRun.objects.filter(pk=dry.pk).exists()
    assert not Bill.objects.exists()
    book.refresh_from_db()
    assert book.used_at is None
    real = assess(actor=None, district=registry, year=YEAR)
    assert {k: v for k, v in dry.counts.items() if k != "written"} == {
        k: v for k, v in real.counts.items() if k != "written"
    }
    assert AuditEntry.objects.filter(action="revenue.assessment_dry_run").count() == 1


def test_a_failed_run_leaves_no_bills_and_is_marked_failed(registry, book, monkeypatch):
    from shahrvand.revenue import assessment

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(assessment, "_insert_lines", broken)
    with pytest.raises(RuntimeError):
        assess(actor=None, district=registry, year=YEAR)
    run = AssessmentRun.objects.get()
    assert run.status == "failed" and "disk full" in run.error
    assert not Bill.objects.exists()


def test_unknown_guild_without_default_class_stops_before_anything(registry, officer):
    rules = sample()
    rules["business"]["default_class"] = None
    del rules["business"]["guilds"]["5211"]
    install(registry.city, officer, rules)
    with pytest.raises(AssessmentError) as caught:
        assess(actor=None, district=registry, year=YEAR)
    assert caught.value.code == "unknown_guilds" and "5211" in caught.value.message_en
    assert not AssessmentRun.objects.exists() and not Bill.objects.exists()


def test_a_clerk_may_not_run_the_assessment(registry, book, staff):
    with pytest.raises(AccessDenied):
        assess(actor=staff("clerk"), district=registry, year=YEAR)
    run = assess(actor=officer_of(staff), district=registry, year=YEAR, dry_run=True)
    assert run.started_by is not None


def officer_of(staff):
    return staff("revenue")


# --------------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------------


def test_command_runs_and_reports(registry, book):
    out, err = io.StringIO(), io.StringIO()
    call_command("assess", "--year", "1405", "--district", registry.slug, stdout=out, stderr=err)
    assert Bill.objects.exists()
    assert "new" in out.getvalue() and f"{registry.slug}: " in err.getvalue()


def test_command_dry_run_writes_nothing(registry, book):
    out = io.StringIO()
    call_command("assess", "--year", "1405", "--district", registry.slug, "--dry-run", stdout=out)
    assert "dry run" in out.getvalue() and not Bill.objects.exists()


def test_command_usage_errors_exit_2(registry, book):
    with pytest.raises(CommandError) as caught:
        call_command("assess", "--year", "1405", "--district", "nowhere-9")
    assert caught.value.returncode == 2 and "no such district" in str(caught.value)
    with pytest.raises(CommandError) as caught:
        call_command("assess", "--year", "1406", "--district", registry.slug)
    assert caught.value.returncode == 2 and "no tariff book is in force" in str(caught.value)
    assert "دفترچه تعرفه" in str(caught.value)
