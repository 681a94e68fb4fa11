"""Cases, people and bills built straight in the database, with exactly the dates the figures need.

The queue and dashboard read what ``case_file``/``case_act`` leave behind (status, deadlines,
closing); building the rows directly keeps the hand-counted sets exact and the tests fast.
"""

from __future__ import annotations

import datetime as dt
import itertools

from shahrvand.cases.models import Case, Channel
from shahrvand.cases.tracking import make_tracking_code
from shahrvand.cases.workflows import SUBMITTED
from shahrvand.core.identifiers import national_code_check_digit
from shahrvand.core.jalali import TEHRAN
from shahrvand.core.models import District, User
from shahrvand.registry.models import Parcel, Person
from shahrvand.revenue.models import Bill, BillKind, Payment

_bodies = itertools.count(1)
_people = itertools.count(100)


def at(y: int, m: int, d: int, hour: int = 10) -> dt.datetime:
    """A Tehran instant (Gregorian date)."""
    return dt.datetime(y, m, d, hour, 0, tzinfo=TEHRAN)


def national_code(n: int) -> str:
    first9 = f"{n:09d}"
    return f"{first9}{national_code_check_digit(first9)}"


def person(district: District, code: str | None = None, name: str = "متقاضی") -> Person:
    return Person.objects.create(
        home_district=district,
        national_code=code or national_code(next(_people)),
        first_name=name,
        last_name="آزمون",
    )


def make_case(
    district: District,
    *,
    case_type: str = "data_correction",
    status: str = SUBMITTED,
    created: dt.datetime | None = None,
    due: dt.datetime | None = None,
    closed: dt.datetime | None = None,
    outcome: str = "",
    requester: Person | None = None,
    assigned_to: User | None = None,
    subject_ref: str = "",
) -> Case:
    created = created or dt.datetime.now(tz=TEHRAN) - dt.timedelta(days=1)
    return Case.objects.create(
        city=district.city,
        district=district,
        tracking_code=make_tracking_code(district.city.company_code, next(_bodies)),
        case_type=case_type,
        status=status,
        channel=Channel.ONLINE,
        requester=requester or person(district),
        subject_ref=subject_ref,
        created_at=created,
        step_started_at=closed or created,
        due_at=None if closed else due,
        closed_at=closed,
        outcome=outcome or (status if closed else ""),
        assigned_to=assigned_to,
    )


def make_bill(
    district: District,
    *,
    year: int,
    gross: int,
    status: str = Bill.Status.OPEN,
    paid: int = 0,
    source: str = Payment.Source.GATEWAY,
) -> Bill:
    n = next(_bodies)
    parcel = Parcel.objects.filter(district=district).first() or Parcel.objects.create(
        district=district,
        code=f"{district.number}-1-1-1-0-0-0",
        zone_no=1,
        block_no=1,
        parcel_no=1,
        address="-",
        land_area_m2=100,
        land_use="residential",
        regional_value_per_m2=1,
    )
    bill = Bill.objects.create(
        city=district.city,
        district=district,
        year=year,
        kind=BillKind.PROPERTY,
        status=status,
        subject_code=f"S{n}",
        parcel=parcel,
        payer=person(district),
        file_number=n,
        bill_id=f"B{n:012d}",
        gross=gross,
        due_date=dt.date(2026, 12, 1),
        inputs_sha256="0" * 64,
    )
    if paid:
        Payment.objects.create(
            bill=bill, amount=paid, paid_at=dt.datetime.now(tz=TEHRAN), source=source, reference=f"R{n}"
        )
    return bill
