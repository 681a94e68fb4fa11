"""The demo's duties: the sample tariff book (approved, in force) and District 1's annual assessment.

``seed_demo`` calls :func:`demo_tariff_install` and then :func:`demo_assess` after the audit import,
so the demo citizen has bills. Both go through the real services, with the demo revenue officer as
the actor for the tariff (the approval number says it is a demo) and the system for the run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from shahrvand.core import jalali
from shahrvand.core.models import City, District, Role, RoleGrant, User
from shahrvand.revenue import tariff as tariff_rules
from shahrvand.revenue.assessment import assess
from shahrvand.revenue.models import AssessmentRun, TariffBook
from shahrvand.revenue.tariffs import tariff_approve, tariff_create_draft, tariff_in_force, tariff_put_in_force

SAMPLE_TARIFF: Final = Path(__file__).resolve().parents[1] / "revenue" / "data" / "tariff-bojnurd-1405.json"
DEMO_APPROVAL_NUMBER: Final = "نمایشی-۱۴۰۵"


def _revenue_officer(city: City) -> User:
    grant = (
        RoleGrant.objects.filter(role=Role.REVENUE, city=city, revoked_at__isnull=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if grant is None:
        raise ValueError(f"no revenue officer in {city.slug}: create the demo staff first")
    return grant.user


def demo_tariff_install(city: City) -> TariffBook:
    """The sample tariff of the city's slug and year, approved and in force (kept if already in force)."""
    parsed = tariff_rules.loads(SAMPLE_TARIFF.read_bytes())
    current = tariff_in_force(city=city, year=parsed.year)
    if current is not None:
        return current
    officer = _revenue_officer(city)
    rules = tariff_rules.export(parsed)
    rules["city"] = city.slug
    book = tariff_create_draft(actor=officer, city=city, year=parsed.year, rules=rules, note="Demo sample (seed_demo)")
    # The council approved it in the last month of the year before (a demo date).
    approved_on = jalali.parse_jalali_date(f"{parsed.year - 1}/12/20")
    tariff_approve(actor=officer, book=book, approval_number=DEMO_APPROVAL_NUMBER, approval_date=approved_on)
    return tariff_put_in_force(actor=officer, book=book)


def demo_assess(district: District, year: int) -> AssessmentRun:
    return assess(actor=None, district=district, year=year)


__all__ = ["DEMO_APPROVAL_NUMBER", "SAMPLE_TARIFF", "demo_assess", "demo_tariff_install"]
