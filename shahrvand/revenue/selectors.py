"""Reads on bills: a payer's bills, a property's open debts, the revenue officer's search and dashboard.

What a bill asks for is always computed for a day by :func:`shahrvand.revenue.amounts.payable`
from the bill's own snapshot. Staff reads are scoped by ``districts_for(actor, REVENUE_MANAGE)``;
the citizen's reads start from their person (:func:`payer_bills`), so another person's bill ID
answers ``None``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Final

from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum

from shahrvand.audit.services import audit_record
from shahrvand.core import jalali
from shahrvand.core.access import AccessDenied, Action, districts_for, require
from shahrvand.core.identifiers import IdentifierError, RenovationCode, parse_national_code, validate_bill_id
from shahrvand.core.models import District, User
from shahrvand.core.templatetags.persian import localize_digits, rials
from shahrvand.core.text import to_latin_digits
from shahrvand.registry.models import Parcel, Person
from shahrvand.revenue.amounts import Payable, payable, payment_id_for
from shahrvand.revenue.models import Bill, BillKind, Payment

SEARCH_LIMIT: Final = 200
OPEN: Final = Bill.Status.OPEN


def _bills() -> QuerySet[Bill]:
    return Bill.objects.select_related("parcel", "unit", "business", "payer", "district__city", "tariff")


# --------------------------------------------------------------------------------------------------
# A bill as pages show it
# --------------------------------------------------------------------------------------------------


@dataclass
class BillView:
    """A bill with what it asks for on ``on`` (open bills) and its links to the bills before and after it."""

    bill: Bill
    due: Payable | None  # open bills only
    payment_id: str  # for ``due.amount``; "" when nothing is payable
    successor: Bill | None = None  # the bill that superseded this one
    difference: int | None = None  # successor's gross − this gross
    payment: Payment | None = None

    @property
    def is_open(self) -> bool:
        return self.bill.status == OPEN

    @property
    def is_paid(self) -> bool:
        return self.bill.status == Bill.Status.PAID

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.due.months_late > 0

    def __str__(self) -> str:  # lists that print a line as text (e.g. the portal dashboard)
        amount = f" — {rials(self.due.amount)}" if self.due is not None else ""
        return f"{localize_digits(self.bill.bill_id)}{amount}"


def bill_view(bill: Bill, on: dt.date | None = None) -> BillView:
    day = on or jalali.today()
    due = payable(bill, day) if bill.status == OPEN else None
    successor = _successor(bill)
    payment = Payment.objects.filter(bill=bill).first() if bill.status == Bill.Status.PAID else None
    return BillView(
        bill=bill,
        due=due,
        payment_id=payment_id_for(bill, due.amount) if due is not None and due.amount > 0 else "",
        successor=successor,
        difference=(successor.gross - bill.gross) if successor is not None else None,
        payment=payment,
    )


def _successor(bill: Bill) -> Bill | None:
    if bill.status != Bill.Status.SUPERSEDED:
        return None
    return Bill.objects.filter(supersedes=bill).first()


def bill_views(bills: list[Bill], on: dt.date | None = None) -> list[BillView]:
    """Views of many bills in a fixed number of queries."""
    day = on or jalali.today()
    ids = [b.pk for b in bills]
    successors = {b.supersedes_id: b for b in Bill.objects.filter(supersedes_id__in=ids)}
    payments = {p.bill_id: p for p in Payment.objects.filter(bill_id__in=ids)}
    views = []
    for bill in bills:
        due = payable(bill, day) if bill.status == OPEN else None
        successor = successors.get(bill.pk)
        views.append(
            BillView(
                bill=bill,
                due=due,
                payment_id=payment_id_for(bill, due.amount) if due is not None and due.amount > 0 else "",
                successor=successor,
                difference=(successor.gross - bill.gross) if successor is not None else None,
                payment=payments.get(bill.pk),
            )
        )
    return views


def bill_chain(bill: Bill) -> list[Bill]:
    """The bills this one replaced and that replaced it, oldest first (adjustments; ``bill`` included)."""
    chain = [bill]
    current = bill
    while current.supersedes_id is not None:
        previous = _bills().filter(pk=current.supersedes_id).first()
        if previous is None:
            break
        chain.insert(0, previous)
        current = previous
    current = bill
    while True:
        following = _bills().filter(supersedes=current).first()
        if following is None:
            break
        chain.append(following)
        current = following
    return chain


def normalize_bill_id(text: str) -> str | None:
    try:
        return validate_bill_id(to_latin_digits(text or "").strip())
    except IdentifierError:
        return None


# --------------------------------------------------------------------------------------------------
# The payer (the citizen portal)
# --------------------------------------------------------------------------------------------------


def payer_bills(person: Person) -> list[Bill]:
    """Every bill whose payer is ``person``: open first, then newest."""
    bills = list(_bills().filter(payer=person).prefetch_related("lines"))
    rank: dict[str, int] = {OPEN: 0, Bill.Status.PAID: 1}
    bills.sort(key=lambda b: (rank.get(str(b.status), 2), -b.year, b.due_date, b.instalment_no, b.pk))
    return bills


def payer_open_bills(person: Person, on: dt.date | None = None) -> list[BillView]:
    """``person``'s open bills with what each asks for on ``on``, soonest due first — in one query.

    Open bills have no payment and no successor yet, so nothing else is read (the portal's dashboard).
    """
    day = on or jalali.today()
    views = []
    for bill in Bill.objects.filter(payer=person, status=OPEN).order_by("due_date", "year", "instalment_no", "pk"):
        due = payable(bill, day)
        views.append(
            BillView(bill=bill, due=due, payment_id=payment_id_for(bill, due.amount) if due.amount > 0 else "")
        )
    return views


def payer_bill(person: Person, bill_id: str) -> Bill | None:
    """One of ``person``'s bills by bill ID (any digit set); None when it is not theirs or does not exist."""
    canonical = normalize_bill_id(bill_id)
    if canonical is None:
        return None
    return _bills().filter(payer=person, bill_id=canonical).first()


# --------------------------------------------------------------------------------------------------
# Debts of a property or a person
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Debt:
    bill: Bill
    amount: int  # payable on the day asked
    payment_id: str


def property_open_bills(parcel: Parcel, code: RenovationCode | None = None) -> QuerySet[Bill]:
    """The open bills that burden a property: for the parcel, every open bill on it; for a building
    or a unit, those of its units (and businesses in them) and those of the land itself. Instalment
    bills count, by the bills they replaced."""
    level = code.level if code is not None else "parcel"
    if level == "parcel" or code is None:
        mine = Q(parcel=parcel)
    elif level == "building":
        assert code.building_code is not None
        mine = Q(parcel=parcel, unit__isnull=True) | Q(unit__code__startswith=_prefix(code))
    else:
        mine = Q(parcel=parcel, unit__isnull=True) | Q(unit__code=str(code))
    replaced = Bill.objects.filter(mine, status=Bill.Status.IN_INSTALMENTS).values("replaced_by_plan")
    return (
        _bills()
        .filter(Q(mine) | Q(kind=BillKind.INSTALMENT, plan__in=replaced), status=OPEN)
        .distinct()
        .order_by("due_date", "pk")
    )


def _prefix(code: RenovationCode) -> str:
    """The code parts of a building (``1-25-156-15-1-``) that its units' codes start with."""
    return "-".join(str(p) for p in code.parts[:5]) + "-"


def debts(bills: QuerySet[Bill] | list[Bill], on: dt.date | None = None) -> list[Debt]:
    day = on or jalali.today()
    found = []
    for bill in bills:
        amount = payable(bill, day).amount
        if amount > 0:  # a bill adjusted to nothing (written off) owes nothing
            found.append(Debt(bill, amount, payment_id_for(bill, amount)))
    return found


def property_debts(parcel: Parcel, code: RenovationCode | None = None, on: dt.date | None = None) -> list[Debt]:
    """What the property owes on ``on`` (today): its open bills with the amount each asks for."""
    return debts(property_open_bills(parcel, code), on)


# --------------------------------------------------------------------------------------------------
# Staff: access, search, pages
# --------------------------------------------------------------------------------------------------


def revenue_districts(*, actor: User) -> QuerySet[District]:
    return districts_for(actor, Action.REVENUE_MANAGE).select_related("city").order_by("city__name", "number")


def require_revenue(actor: User) -> list[District]:
    """The districts the actor manages revenue in; ``AccessDenied`` when there are none."""
    districts = list(revenue_districts(actor=actor))
    if not districts:
        raise AccessDenied(actor=actor, action=Action.REVENUE_MANAGE, district=None)
    return districts


def bill_for_staff(*, actor: User, bill_id: str) -> Bill | None:
    """A bill by ID (any digit set); None when there is none, ``AccessDenied`` outside the actor's districts."""
    canonical = normalize_bill_id(bill_id)
    if canonical is None:
        return None
    bill = _bills().filter(bill_id=canonical).first()
    if bill is None:
        return None
    require(actor, Action.REVENUE_MANAGE, bill.district)
    return bill


@dataclass
class SearchResult:
    query: str
    kind: str  # bill_id, national_code, renovation_code, business_code, none
    bills: list[BillView] = field(default_factory=list)
    person: Person | None = None
    property_code: str = ""
    property_district: District | None = None


def bill_search(*, actor: User, query: str) -> SearchResult:
    """Bills by bill ID, the payer's national code, a renovation code (the parcel: all its bills) or a
    business code, in the districts where the actor manages revenue."""
    districts = require_revenue(actor)
    text = to_latin_digits(query or "").strip()
    scope = _bills().filter(district__in=districts)
    if not text:
        return SearchResult(query=query, kind="none")
    if "-" in text or " " in text:
        try:
            code = RenovationCode.parse(text)
        except IdentifierError:
            code = None
        if code is not None:
            canonical = str(code)
            if code.level == "parcel":
                found = scope.filter(parcel__code=canonical)
            else:
                found = scope.filter(Q(subject_code=canonical) | Q(unit__code=canonical))
            bills = list(found.order_by("-year", "status", "instalment_no", "pk")[:SEARCH_LIMIT])
            parcel = bills[0].parcel if bills else None
            return SearchResult(
                query=query,
                kind="renovation_code",
                bills=bill_views(bills),
                property_code=canonical,
                property_district=parcel.district if parcel is not None else None,
            )
    if text.isdigit():
        results: list[Bill] = []
        person = None
        kind = "none"
        bill_id = normalize_bill_id(text)
        if bill_id is not None:
            results += list(scope.filter(bill_id=bill_id))
            kind = "bill_id" if results else kind
        try:
            national = parse_national_code(text)
        except IdentifierError:
            national = ""
        if national:
            payer = Person.objects.filter(national_code=national).first()
            if payer is not None:
                by_payer = list(scope.filter(payer=payer).order_by("-year", "status", "pk")[:SEARCH_LIMIT])
                if by_payer:  # a person is shown only through bills the actor may see
                    results += by_payer
                    kind = "national_code"
                    person = payer
        return SearchResult(query=query, kind=kind, bills=bill_views(results), person=person)
    found_business = list(scope.filter(business__business_code=text).order_by("-year", "pk")[:SEARCH_LIMIT])
    return SearchResult(
        query=query, kind="business_code" if found_business else "none", bills=bill_views(found_business)
    )


@dataclass(frozen=True)
class DistrictTotals:
    district: District
    assessed: int  # annual bills of the year (not superseded or cancelled), before discount and penalty
    collected: int  # payments on the year's bills
    outstanding: int  # open bills of the year, before discount and penalty
    open_count: int
    paid_count: int

    @property
    def collected_percent(self) -> int:
        return round(100 * self.collected / self.assessed) if self.assessed else 0


def revenue_summary(*, actor: User, year: int) -> list[DistrictTotals]:
    """Assessed, collected and outstanding per district the actor manages revenue in, for ``year``."""
    districts = require_revenue(actor)
    live = Q(status__in=[OPEN, Bill.Status.PAID, Bill.Status.IN_INSTALMENTS]) & ~Q(kind=BillKind.INSTALMENT)
    rows: dict[int, dict[str, Any]] = {
        row["district"]: dict(row)
        for row in Bill.objects.filter(district__in=districts, year=year)
        .values("district")
        .annotate(
            assessed=Sum("gross", filter=live),
            outstanding=Sum("gross", filter=Q(status=OPEN)),
            open_count=Count("pk", filter=Q(status=OPEN)),
            paid_count=Count("pk", filter=Q(status=Bill.Status.PAID)),
        )
    }
    collected = {
        row["bill__district"]: row["total"]
        for row in Payment.objects.filter(bill__district__in=districts, bill__year=year)
        .values("bill__district")
        .annotate(total=Sum("amount"))
    }
    totals = []
    for district in districts:
        row = rows.get(district.pk, {})
        totals.append(
            DistrictTotals(
                district=district,
                assessed=int(row.get("assessed") or 0),
                collected=int(collected.get(district.pk) or 0),
                outstanding=int(row.get("outstanding") or 0),
                open_count=int(row.get("open_count") or 0),
                paid_count=int(row.get("paid_count") or 0),
            )
        )
    return totals


def staff_property_debts(*, actor: User, district: District, code: str) -> tuple[Parcel, RenovationCode, list[Debt]]:
    """The open debts of a property of ``district``; ``LookupError`` when the code names no parcel there."""
    require(actor, Action.REVENUE_MANAGE, district)
    parsed = RenovationCode.parse(code)
    parcel = Parcel.objects.filter(district=district, code=str(parsed.parcel_code)).first()
    if parcel is None:
        raise LookupError(code)
    return parcel, parsed, property_debts(parcel, parsed)


def staff_person_debts(*, actor: User, national_code: str) -> tuple[Person, list[BillView]]:
    """A person's bills in the districts the actor manages (open first); the look is audited.

    ``LookupError`` for an unknown person, ``AccessDenied`` when the actor has no bill of theirs to see.
    """
    districts = require_revenue(actor)
    person = Person.objects.filter(national_code=parse_national_code(national_code)).first()
    if person is None:
        raise LookupError(national_code)
    bills = [b for b in payer_bills(person) if b.district_id in {d.pk for d in districts}]
    if not bills:  # nothing of theirs in the actor's districts: not even their name is shown
        raise AccessDenied(actor=actor, action=Action.REVENUE_MANAGE, district=None)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="revenue.person_debts_view",
            target=person,
            district=bills[0].district,
            payload={"bills": [b.bill_id for b in bills]},
        )
    return person, bill_views(bills)
