"""A small crafted city: requests with known working days, documents and payments in two districts.

District 1 (e-services live), with a holiday on the Monday of the week the requests were filed:

- data correction: 6 decided after 0, 1, 2, 4, 5 and 7 working days (median 3, 5 of 6 within the
  promised 5 days), 4 of them online and 2 at the counter; 1 withdrawn, 1 still open → 8 received, 7 finished;
- clearance: 3 decided the same day (every figure hidden: fewer than 5);
- 6 documents issued, 1 of them revoked; 5 payments of 1,000,000 Rials.

District 2 (being prepared): 5 property links decided after 1 working day, all online; 2 payments
of 2,000,000 Rials (hidden: fewer than 5).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import pytest

from shahrvand.cases.models import Case, Channel, Holiday
from shahrvand.cases.workflows import ACCEPTED, CLEARANCE, DATA_CORRECTION, ISSUED, PROPERTY_LINK, SUBMITTED, WITHDRAWN
from shahrvand.core.jalali import TEHRAN
from shahrvand.core.jalali import today as tehran_today
from shahrvand.documents.models import Document, SigningKey
from shahrvand.registry.models import Person, Unit
from shahrvand.registry.services import audit_import
from shahrvand.revenue.models import Payment
from tests.registry.conftest import SAMPLE
from tests.revenue.factories import make_bill

_codes = itertools.count(1)


def base_saturday() -> dt.date:
    """A Saturday five to six weeks ago: every instant of the set is in the last twelve months."""
    day = tehran_today() - dt.timedelta(days=35)
    while day.weekday() != 5:  # Saturday
        day -= dt.timedelta(days=1)
    return day


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=TEHRAN)


def make_case(
    district, requester, case_type: str, *, filed: dt.date, closed_after: int | None, status: str, counter: bool = False
) -> Case:
    created = at(filed, 9)
    closed = at(filed + dt.timedelta(days=closed_after), 10) if closed_after is not None else None
    return Case.objects.create(
        city=district.city,
        district=district,
        tracking_code=f"T-{next(_codes)}",
        case_type=case_type,
        status=status,
        channel=Channel.COUNTER if counter else Channel.ONLINE,
        requester=requester,
        created_at=created,
        step_started_at=closed or created,
        closed_at=closed,
        outcome=status if closed else "",
        needed_visit=bool(closed and counter),
    )


@dataclass
class Crafted:
    district1: object
    district2: object
    base: dt.date
    people: list[Person]


@pytest.fixture
def crafted(district1, district2) -> Crafted:
    district1.eservices_enabled = True
    district1.save(update_fields=["eservices_enabled"])
    result = audit_import(actor=None, district=district1, path=SAMPLE)
    assert result.status == "applied"
    people = list(Person.objects.order_by("national_code")[:3])
    base = base_saturday()
    Holiday.objects.create(city=district1.city, date=base + dt.timedelta(days=2), name="تعطیل آزمایشی")

    # Calendar days after filing (Saturday) → working days: 0→0, 1→1, 3→2 (Monday a holiday),
    # 5→4, 7→5 (Friday off), 9→7.
    for i, days in enumerate([0, 1, 3, 5, 7, 9]):
        make_case(
            district1, people[i % 3], DATA_CORRECTION, filed=base, closed_after=days, status=ACCEPTED, counter=i >= 4
        )
    make_case(district1, people[0], DATA_CORRECTION, filed=base, closed_after=1, status=WITHDRAWN)
    make_case(district1, people[1], DATA_CORRECTION, filed=base, closed_after=None, status=SUBMITTED)
    for i in range(3):
        make_case(district1, people[i], CLEARANCE, filed=base, closed_after=0, status=ISSUED)
    for i in range(5):
        make_case(district2, people[i % 3], PROPERTY_LINK, filed=base, closed_after=1, status=ACCEPTED)

    key = SigningKey.objects.create(
        city=district1.city,
        key_id="test-key",
        public_key="A" * 43 + "=",
        valid_from=at(base, 0),
        valid_until=at(base + dt.timedelta(days=3650), 0),
    )
    for i in range(6):
        Document.objects.create(
            city=district1.city,
            district=district1,
            number=f"217-1405-{i:06d}-0",
            doc_type="clearance",
            issued_at=at(base, 11),
            signer_role="revenue",
            key=key,
            fields={"holder": people[0].national_code},
            digest="0" * 64,
            payload="X",
            signature="S",
            subject_national_code=people[0].national_code,
            status=Document.Status.REVOKED if i == 0 else Document.Status.VALID,
            revoked_at=at(base, 12) if i == 0 else None,
        )

    units = list(Unit.objects.filter(district=district1, use="residential").order_by("code")[:7])
    for i, unit in enumerate(units):
        district = district1 if i < 5 else district2
        bill = make_bill(district1, unit=unit)
        if district is district2:
            bill.district = district2
            bill.save(update_fields=["district"])
        Payment.objects.create(
            bill=bill,
            amount=1_000_000 if i < 5 else 2_000_000,
            paid_at=at(base + dt.timedelta(days=1), 12),
            source=Payment.Source.COUNTER,
            reference=f"ref-{i}",
        )
    return Crafted(district1, district2, base, people)
