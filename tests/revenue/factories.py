"""Bills for tests of payment channels, made through the same numbering as real ones."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from django.db import transaction

from shahrvand.core import jalali
from shahrvand.core.models import District
from shahrvand.registry.models import Ownership, Unit
from shahrvand.revenue.models import Bill, BillKind, BillLine
from shahrvand.revenue.services import allocate_file_numbers, bill_id_for


def make_bill(
    district: District,
    *,
    unit: Unit | None = None,
    gross: int = 12_345_678,
    year: int | None = None,
    due_date: dt.date | None = None,
    discount_percent: str = "10",
    discount_until: dt.date | None = None,
    penalty_monthly_percent: str = "1.5",
    penalty_cap_percent: str = "30",
    instalment_no: int = 0,
) -> Bill:
    """An open property bill for ``unit`` (default: the first residential unit of ``district``)."""
    unit = unit or Unit.objects.filter(district=district, use="residential").order_by("code").first()
    assert unit is not None, "the district has no units: import the sample delivery first"
    owner = Ownership.objects.filter(parcel=unit.parcel).select_related("person").order_by("-share_dang").first()
    assert owner is not None
    year = year or jalali.jalali_year(jalali.today())
    due = due_date or jalali.year_end(year)
    with transaction.atomic():
        (file_number,) = allocate_file_numbers(district.city, 1)
        bill = Bill.objects.create(
            city=district.city,
            district=district,
            year=year,
            kind=BillKind.PROPERTY,
            subject_code=unit.code,
            instalment_no=instalment_no,
            parcel=unit.parcel,
            unit=unit,
            payer=owner.person,
            file_number=file_number,
            bill_id=bill_id_for(district.city, file_number),
            gross=gross,
            due_date=due,
            discount_percent=Decimal(discount_percent),
            discount_until=discount_until if discount_until is not None else due,
            discount_base=gross,
            penalty_monthly_percent=Decimal(penalty_monthly_percent),
            penalty_cap_percent=Decimal(penalty_cap_percent),
            inputs_sha256=hashlib.sha256(f"{unit.code}:{gross}:{file_number}".encode()).hexdigest(),
        )
        BillLine.objects.create(
            bill=bill,
            position=1,
            kind=BillLine.Kind.PROPERTY_DUTY,
            label_fa="عوارض نوسازی",
            label_en="Property duty",
            amount=gross,
            inputs={"test": True},
            formula="test",
        )
    return bill
