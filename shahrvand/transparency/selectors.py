"""Public service statistics: counts and sums per district, service and Jalali month — never a person.

Everything here is an aggregate of the city's own records, read with a few grouped queries:

- requests (the types of :mod:`shahrvand.cases.workflows`): received (filed), finished (closed,
  withdrawn included), decided (closed with a decision, i.e. not withdrawn), the median working
  days from filing to the decision, how many were decided within the promised time, and the
  visits saved (finished without the requester coming to the municipality);
- documents: issued and revoked (verification look-ups are not recorded anywhere, so they are not
  published);
- duties: payments and the Rials collected, per district of the bill.

Working days are those of :mod:`shahrvand.cases.sla` (the weekend and the city's holidays); the
promised time of a request type is read from its workflow table (:func:`promised_days`).

The statistics are computed once per city and kept in the cache (:data:`CACHE_SECONDS`) as plain,
language-independent data; pages and the CSV render from it. Small numbers are not published:
:func:`shown` turns any count below :data:`SMALL_CELL` into ``None`` ("fewer than 5"), and a figure
derived from fewer than :data:`SMALL_CELL` records (a median, a share, a sum of Rials) is hidden too.
"""

from __future__ import annotations

import datetime as dt
import statistics
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import jdatetime
from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Sum

from shahrvand.cases.models import Case
from shahrvand.cases.sla import WorkingCalendar
from shahrvand.cases.workflows import CITIZEN, START, WITHDRAWN, WORKFLOWS, Workflow
from shahrvand.core.jalali import TEHRAN, to_tehran
from shahrvand.core.jalali import today as tehran_today
from shahrvand.core.models import City
from shahrvand.documents.models import Document
from shahrvand.revenue.models import Payment

SMALL_CELL: Final = 5  # counts below this are published as "fewer than 5"
CACHE_SECONDS: Final = 600
CACHE_VERSION: Final = 1
MONTHS: Final = 12  # the trends cover the last 12 Jalali months, this one included


def request_services() -> tuple[str, ...]:
    """Every request type, including those other packages register when the apps are ready."""
    return tuple(WORKFLOWS)


def shown(count: int | None) -> int | None:
    """The count as published: ``None`` (shown as "fewer than 5") below :data:`SMALL_CELL`."""
    if count is None or count < SMALL_CELL:
        return None
    return count


def promised_days(workflow: Workflow) -> int:
    """The working days a request of this type is promised to take from filing to decision.

    The SLA of filing plus those of the further staff steps (e.g. a property link: 3 days for the
    clerk's check, then 5 for the manager's approval). A step back to the requester (return,
    resubmit) promises nothing new: time the request spends with the requester still counts.
    """
    total = workflow.filing.sla_working_days or 0
    for (status, _action), transition in workflow.table.items():
        if status == START or transition.sla_working_days is None:
            continue
        if transition.roles - {CITIZEN}:
            total += transition.sla_working_days
    return total


@dataclass(frozen=True)
class RequestFigures:
    received: int | None
    finished: int | None
    decided: int | None
    median_days: float | None  # working days from filing to decision
    within_sla: int | None  # decided within the promised time
    within_sla_percent: int | None
    visits_saved: int | None


@dataclass(frozen=True)
class DistrictStats:
    pk: int
    number: int
    slug: str
    name: str  # Persian; English pages say "District N"
    live: bool
    requests: dict[str, RequestFigures]  # per request type, in request_services() order
    documents_issued: int | None
    documents_revoked: int | None
    payments: int | None
    rials: int | None  # hidden with fewer than SMALL_CELL payments


@dataclass(frozen=True)
class MonthStats:
    year: int
    month: int  # Jalali
    received: int | None
    finished: int | None
    documents_issued: int | None
    payments: int | None
    rials: int | None

    @property
    def label(self) -> str:
        return f"{self.year}/{self.month:02d}"


@dataclass(frozen=True)
class CityStats:
    pk: int
    slug: str
    name: str
    name_en: str
    computed_at: dt.datetime
    districts: list[DistrictStats]
    totals: dict[str, RequestFigures]  # the whole city, per request type
    documents_issued: int | None
    documents_revoked: int | None
    payments: int | None
    rials: int | None
    months: list[MonthStats]  # oldest first
    promised: dict[str, int]  # request type → promised working days


# --------------------------------------------------------------------------------------------------
# Working days, set-based
# --------------------------------------------------------------------------------------------------


class WorkingDayIndex:
    """Working days between two instants in O(log n): a sorted list of the working days of a range.

    Built once per computation from :class:`~shahrvand.cases.sla.WorkingCalendar` (the same weekend
    and holidays as the SLAs), so ``between(a, b)`` equals ``sla.working_days_between(a, b, city)``.
    """

    def __init__(self, city: City, first: dt.date, last: dt.date) -> None:
        calendar = WorkingCalendar(city)
        days = []
        day = first
        while day <= last:
            if calendar.is_working(day):
                days.append(day.toordinal())
            day += dt.timedelta(days=1)
        self.days = days

    def days_between(self, first: dt.date, last: dt.date) -> int:
        """Working days after ``first`` up to and including ``last`` (not earlier than ``first``)."""
        return bisect_right(self.days, last.toordinal()) - bisect_right(self.days, first.toordinal())

    def between(self, a: dt.datetime, b: dt.datetime) -> int:
        """Working days after the (Tehran) day of ``a`` up to and including the day of ``b``."""
        return self.days_between(to_tehran(a).date(), to_tehran(b).date())


# --------------------------------------------------------------------------------------------------
# Months
# --------------------------------------------------------------------------------------------------


def last_months(today: dt.date, count: int = MONTHS) -> list[tuple[int, int]]:
    """The last ``count`` Jalali (year, month) pairs ending with the month of ``today``, oldest first."""
    j = jdatetime.date.fromgregorian(date=today)
    year, month = j.year, j.month
    months = []
    for _ in range(count):
        months.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


def _month_start(year: int, month: int) -> dt.datetime:
    return dt.datetime.combine(jdatetime.date(year, month, 1).togregorian(), dt.time(0, 0), tzinfo=TEHRAN)


def _month_bounds(months: list[tuple[int, int]]) -> list[dt.datetime]:
    """The first instant (Tehran) of each month, and the end of the last one."""
    year, month = months[-1]
    following = (year + 1, 1) if month == 12 else (year, month + 1)
    return [_month_start(y, m) for y, m in [*months, following]]


def _per_month(
    queryset: QuerySet[Any], field: str, bounds: list[dt.datetime], *, rials: str = ""
) -> tuple[list[int], list[int]]:
    """Counts (and sums of ``rials``) per month in one query: comparisons only, no date functions per row."""
    aggregates: dict[str, Any] = {}
    for i in range(len(bounds) - 1):
        in_month = Q(**{f"{field}__gte": bounds[i], f"{field}__lt": bounds[i + 1]})
        aggregates[f"n{i}"] = Count("id", filter=in_month)
        if rials:
            aggregates[f"s{i}"] = Sum(rials, filter=in_month)
    row = queryset.filter(**{f"{field}__gte": bounds[0], f"{field}__lt": bounds[-1]}).aggregate(**aggregates)
    counts = [int(row[f"n{i}"] or 0) for i in range(len(bounds) - 1)]
    sums = [int(row[f"s{i}"] or 0) for i in range(len(bounds) - 1)] if rials else []
    return counts, sums


# --------------------------------------------------------------------------------------------------
# The computation
# --------------------------------------------------------------------------------------------------


def _request_figures(received: int, finished: int, saved: int, durations: list[int], promised: int) -> RequestFigures:
    decided = len(durations)
    within = sum(1 for d in durations if d <= promised)
    enough = decided >= SMALL_CELL
    return RequestFigures(
        received=shown(received),
        finished=shown(finished),
        decided=shown(decided),
        median_days=round(float(statistics.median(durations)), 1) if enough else None,
        within_sla=shown(within) if enough else None,
        within_sla_percent=round(100 * within / decided) if enough else None,
        visits_saved=shown(saved),
    )


def city_statistics_compute(city: City, *, today: dt.date | None = None) -> CityStats:
    """Compute the statistics of ``city``: grouped aggregates, and the two instants of each decided request."""
    today = today or tehran_today()
    promised = {code: promised_days(w) for code, w in WORKFLOWS.items()}
    districts = list(city.districts.order_by("number"))
    cases = Case.objects.filter(city=city, case_type__in=request_services())
    key = ("district_id", "case_type")

    received: dict[tuple[int, str], int] = defaultdict(int)
    for row in cases.values(*key).annotate(n=Count("id")).order_by():
        received[(row["district_id"], row["case_type"])] = row["n"]
    finished: dict[tuple[int, str], int] = defaultdict(int)
    saved: dict[tuple[int, str], int] = defaultdict(int)
    closed = cases.filter(closed_at__isnull=False)
    for row in closed.values(*key).annotate(n=Count("id"), saved=Count("id", filter=Q(needed_visit=False))).order_by():
        finished[(row["district_id"], row["case_type"])] = row["n"]
        saved[(row["district_id"], row["case_type"])] = row["saved"]

    # Durations need working days, which SQL does not know: read the two instants of each decided
    # request (four columns, no model instances) and count with a sorted index of working days.
    decided_rows = [
        (district_id, case_type, to_tehran(created_at).date(), to_tehran(closed_at).date())
        for district_id, case_type, created_at, closed_at in closed.exclude(outcome=WITHDRAWN)
        .values_list("district_id", "case_type", "created_at", "closed_at")
        .order_by()
        .iterator(chunk_size=5000)
        if closed_at is not None
    ]
    durations: dict[tuple[int, str], list[int]] = defaultdict(list)
    if decided_rows:
        index = WorkingDayIndex(city, min(r[2] for r in decided_rows), max(r[3] for r in decided_rows))
        for district_id, case_type, filed_on, decided_on in decided_rows:
            durations[(district_id, case_type)].append(index.days_between(filed_on, decided_on))

    documents = {
        row["district_id"]: row
        for row in Document.objects.filter(city=city)
        .values("district_id")
        .annotate(issued=Count("id"), revoked=Count("id", filter=Q(status=Document.Status.REVOKED)))
        .order_by()
    }
    duties = {
        row["bill__district_id"]: row
        for row in Payment.objects.filter(bill__city=city)
        .values("bill__district_id")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by()
    }

    def figures(district_ids: list[int], case_type: str) -> RequestFigures:
        keys = [(d, case_type) for d in district_ids]
        return _request_figures(
            sum(received[k] for k in keys),
            sum(finished[k] for k in keys),
            sum(saved[k] for k in keys),
            [x for k in keys for x in durations.get(k, [])],
            promised[case_type],
        )

    district_stats = []
    for d in districts:
        doc: Mapping[str, Any] = documents.get(d.pk, {})
        duty: Mapping[str, Any] = duties.get(d.pk, {})
        payments = int(duty.get("n", 0))
        district_stats.append(
            DistrictStats(
                pk=d.pk,
                number=d.number,
                slug=d.slug,
                name=d.name,
                live=d.eservices_enabled,
                requests={t: figures([d.pk], t) for t in request_services()},
                documents_issued=shown(int(doc.get("issued", 0))),
                documents_revoked=shown(int(doc.get("revoked", 0))),
                payments=shown(payments),
                rials=int(duty.get("total") or 0) if payments >= SMALL_CELL else None,
            )
        )
    all_ids = [d.pk for d in districts]
    issued_all = sum(int(r["issued"]) for r in documents.values())
    revoked_all = sum(int(r["revoked"]) for r in documents.values())
    payments_all = sum(int(r["n"]) for r in duties.values())

    months = last_months(today)
    bounds = _month_bounds(months)
    received_m, _ = _per_month(cases, "created_at", bounds)
    finished_m, _ = _per_month(closed, "closed_at", bounds)
    issued_m, _ = _per_month(Document.objects.filter(city=city), "issued_at", bounds)
    payments_m, rials_m = _per_month(Payment.objects.filter(bill__city=city), "paid_at", bounds, rials="amount")

    return CityStats(
        pk=city.pk,
        slug=city.slug,
        name=city.name,
        name_en=city.name_en,
        computed_at=dt.datetime.now(tz=dt.UTC),
        districts=district_stats,
        totals={t: figures(all_ids, t) for t in request_services()},
        documents_issued=shown(issued_all),
        documents_revoked=shown(revoked_all),
        payments=shown(payments_all),
        rials=sum(int(r["total"] or 0) for r in duties.values()) if payments_all >= SMALL_CELL else None,
        months=[
            MonthStats(
                year=y,
                month=m,
                received=shown(received_m[i]),
                finished=shown(finished_m[i]),
                documents_issued=shown(issued_m[i]),
                payments=shown(payments_m[i]),
                rials=rials_m[i] if payments_m[i] >= SMALL_CELL else None,
            )
            for i, (y, m) in enumerate(months)
        ],
        promised=promised,
    )


def _cache_key(city_pk: int) -> str:
    return f"transparency:v{CACHE_VERSION}:city:{city_pk}"


INDEX_KEY: Final = f"transparency:v{CACHE_VERSION}:cities"


def city_statistics(city: City) -> CityStats:
    """The statistics of ``city``, from the cache when they are there (computed at most every 10 minutes)."""
    stats = cache.get(_cache_key(city.pk))
    if stats is None:
        stats = city_statistics_compute(city)
        cache.set(_cache_key(city.pk), stats, CACHE_SECONDS)
    return stats


def published_statistics() -> list[CityStats]:
    """Every city's statistics; a request with everything in the cache reads no table at all."""
    city_pks = cache.get(INDEX_KEY)
    if city_pks is None:
        city_pks = list(City.objects.order_by("name").values_list("pk", flat=True))
        cache.set(INDEX_KEY, city_pks, CACHE_SECONDS)
    out = []
    for pk in city_pks:
        stats = cache.get(_cache_key(pk))
        if stats is None:
            city = City.objects.filter(pk=pk).first()
            if city is None:
                continue
            stats = city_statistics(city)
        out.append(stats)
    return out
