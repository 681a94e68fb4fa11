"""Reads of the back office: the manager dashboard's figures and the staff home's tiles.

Every figure is an aggregate computed by the database (grouped counts and sums, conditional counts
per week); Python only walks the groups, never the cases. Scope: the districts where the actor may
``DASHBOARD_VIEW`` (a district manager: theirs; an auditor or the city admin: the whole city),
narrowed to one district on request (``AccessDenied`` outside the scope).

Definitions (the same as the public transparency page where both speak of the same thing):

- *open*: a request not closed; *overdue now*: open and its current step's deadline has passed;
- *decided*: closed with a decision (withdrawn requests are finished but not decided);
- *working days to a decision*: working days after the day of filing up to the day of the decision
  (:class:`shahrvand.transparency.selectors.WorkingDayIndex`: the weekend and the city's holidays);
- *closed late*: decided in the last 12 weeks after more working days than its type promises
  (:func:`shahrvand.transparency.selectors.promised_days`: filing SLA plus the staff steps' SLAs);
- *weeks*: Jalali weeks, Saturday to Friday (Tehran), the current one included;
- *revenue*: the annual bills of this Jalali year (not superseded or cancelled) before discount and
  penalty — the revenue dashboard's "assessed" — and the payments on them, by source (online gateway,
  the bank's settlement file, the counter).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Final

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django_stubs_ext import StrOrPromise

from shahrvand.cases.models import Case
from shahrvand.cases.workflows import WITHDRAWN, WORKFLOWS, status_label
from shahrvand.core.access import Action, districts_for, require
from shahrvand.core.jalali import TEHRAN, format_jalali, jalali_year, to_tehran
from shahrvand.core.models import City, District, User
from shahrvand.core.text import to_latin_digits
from shahrvand.revenue.models import Bill, BillKind, Payment
from shahrvand.transparency.selectors import WorkingDayIndex, promised_days

WEEKS: Final = 12
SATURDAY: Final = 5  # Python's weekday number of the first day of the Jalali week


def dashboard_districts(*, actor: User) -> QuerySet[District]:
    return districts_for(actor, Action.DASHBOARD_VIEW).order_by("city__name", "number")


def dashboard_district(*, actor: User, value: str) -> District | None:
    """The district of the dashboard's filter (id or slug): ``AccessDenied`` for one outside the actor's
    scope (audited, 403), ``None`` when there is no such district."""
    value = to_latin_digits(value).strip()
    lookup = Q(pk=int(value)) if value.isdigit() and len(value) < 10 else Q(slug=value)
    district = District.objects.select_related("city").filter(lookup).first()
    if district is not None:
        require(actor, Action.DASHBOARD_VIEW, district)
    return district


# --------------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusRow:
    case_type: str
    type_label: StrOrPromise
    status: str
    status_label: StrOrPromise
    open: int
    overdue: int


@dataclass(frozen=True)
class TypeRow:
    case_type: str
    label: StrOrPromise
    open: int
    overdue: int
    decided: int  # in the last 12 weeks
    closed_late: int  # of those
    median_days: float | None
    promised_days: int


@dataclass(frozen=True)
class Week:
    start: dt.date  # Saturday
    end: dt.date  # Friday
    received: int
    finished: int

    @property
    def label(self) -> str:
        """The week's Saturday as Jalali month/day (the chart's axis)."""
        return format_jalali(self.start, "%m/%d")

    @property
    def span(self) -> str:
        return f"{format_jalali(self.start)} – {format_jalali(self.end)}"


@dataclass(frozen=True)
class RevenueRow:
    district: District | None  # None: the total
    assessed: int
    collected: int
    online: int
    bank_file: int
    counter: int

    @property
    def collected_percent(self) -> int:
        return round(100 * self.collected / self.assessed) if self.assessed else 0


@dataclass(frozen=True)
class Dashboard:
    districts: list[District]  # in scope (one when a district was chosen)
    now: dt.datetime
    statuses: list[StatusRow]
    types: list[TypeRow]
    open_total: int
    overdue_total: int
    decided_total: int
    closed_late_total: int
    median_days: float | None
    weeks: list[Week]  # oldest first
    year: int  # Jalali
    revenue: list[RevenueRow]  # per district, then the total
    revenue_total: RevenueRow = field(repr=False)


def week_starts(today: dt.date, count: int = WEEKS) -> list[dt.date]:
    """The Saturdays of the last ``count`` Jalali weeks, the current one last."""
    this_week = today - dt.timedelta(days=(today.weekday() - SATURDAY) % 7)
    return [this_week - dt.timedelta(weeks=count - 1 - i) for i in range(count)]


def _instant(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=TEHRAN)


def _per_week(cases: QuerySet[Case], field_name: str, bounds: list[dt.datetime]) -> list[int]:
    """Counts per week in one query: comparisons only, no date function per row."""
    aggregates = {
        f"w{i}": Count("pk", filter=Q(**{f"{field_name}__gte": bounds[i], f"{field_name}__lt": bounds[i + 1]}))
        for i in range(len(bounds) - 1)
    }
    row = cases.filter(**{f"{field_name}__gte": bounds[0], f"{field_name}__lt": bounds[-1]}).aggregate(**aggregates)
    return [int(row[f"w{i}"] or 0) for i in range(len(bounds) - 1)]


def _weighted_median(counts: dict[int, int]) -> float | None:
    """The median of values given as ``value → how many`` (the middle two averaged for an even total)."""
    total = sum(counts.values())
    if not total:
        return None
    values = sorted(counts)
    low_rank, high_rank = (total - 1) // 2, total // 2
    seen = 0
    low = high = None
    for value in values:
        seen += counts[value]
        if low is None and seen > low_rank:
            low = value
        if seen > high_rank:
            high = value
            break
    assert low is not None and high is not None
    return (low + high) / 2


class TehranDate(TruncDate):
    """The Tehran day of an instant. PostgreSQL converts natively (``AT TIME ZONE``); on SQLite Django would
    call a Python function per row, so the native ``date()`` is used with Tehran's UTC offset of today
    (+03:30: Iran has kept no daylight saving time since 2022)."""

    def __init__(self, expression: str, *, at: dt.datetime) -> None:
        super().__init__(expression, tzinfo=TEHRAN)
        offset = to_tehran(at).utcoffset() or dt.timedelta(0)
        self.offset_minutes = int(offset.total_seconds() // 60)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, tuple[str | int, ...]]:
        sql, params = compiler.compile(self.lhs)
        return f"date({sql}, '{self.offset_minutes:+d} minutes')", tuple(params)


def _decisions(cases: QuerySet[Case], since: dt.datetime, cities: dict[int, City]) -> dict[str, dict[int, int]]:
    """Per request type: working days to a decision → how many decided since ``since``.

    One grouped query by (city, type, filing day, decision day) — at most a few thousand groups —
    then working days per group from each city's calendar.
    """
    rows = list(
        cases.filter(closed_at__gte=since)
        .exclude(outcome=WITHDRAWN)
        .values(
            "city_id",
            "case_type",
            filed=TehranDate("created_at", at=since),
            decided=TehranDate("closed_at", at=since),
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_type: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    by_city: dict[int, list[tuple[str, dt.date, dt.date, int]]] = defaultdict(list)
    for row in rows:
        by_city[int(row["city_id"])].append(
            (str(row["case_type"]), _as_date(row["filed"]), _as_date(row["decided"]), int(row["n"]))
        )
    for city_id, city_rows in by_city.items():
        first = min(filed for _, filed, _, _ in city_rows)
        last = max(decided for _, _, decided, _ in city_rows)
        index = WorkingDayIndex(cities[city_id], first, last)
        for case_type, filed, decided, n in city_rows:
            by_type[case_type][index.days_between(filed, decided)] += n
    return by_type


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return to_tehran(value).date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _revenue(districts: list[District], year: int) -> tuple[list[RevenueRow], RevenueRow]:
    ids = [d.pk for d in districts]
    live = Q(status__in=[Bill.Status.OPEN, Bill.Status.PAID, Bill.Status.IN_INSTALMENTS]) & ~Q(kind=BillKind.INSTALMENT)
    assessed = {
        row["district_id"]: int(row["assessed"] or 0)
        for row in Bill.objects.filter(district_id__in=ids, year=year)
        .values("district_id")
        .annotate(assessed=Sum("gross", filter=live))
        .order_by()
    }
    paid: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in (
        Payment.objects.filter(bill__district_id__in=ids, bill__year=year)
        .values("bill__district_id", "source")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        paid[row["bill__district_id"]][row["source"]] += int(row["total"] or 0)
    rows = []
    for d in districts:
        sources = paid.get(d.pk, {})
        rows.append(
            RevenueRow(
                district=d,
                assessed=assessed.get(d.pk, 0),
                collected=sum(sources.values()),
                online=sources.get(Payment.Source.GATEWAY, 0),
                bank_file=sources.get(Payment.Source.BANK_FILE, 0),
                counter=sources.get(Payment.Source.COUNTER, 0),
            )
        )
    total = RevenueRow(
        district=None,
        assessed=sum(r.assessed for r in rows),
        collected=sum(r.collected for r in rows),
        online=sum(r.online for r in rows),
        bank_file=sum(r.bank_file for r in rows),
        counter=sum(r.counter for r in rows),
    )
    return rows, total


def manager_dashboard(*, actor: User, district: District | None = None, now: dt.datetime | None = None) -> Dashboard:
    """The dashboard's figures for the actor's districts (or ``district``; ``AccessDenied`` outside them)."""
    now = now or timezone.now()
    scope = dashboard_districts(actor=actor)
    if district is not None:
        require(actor, Action.DASHBOARD_VIEW, district)
        scope = scope.filter(pk=district.pk)
    districts = list(scope)
    cities = {d.city_id: d.city for d in districts}
    cases = Case.objects.filter(district_id__in=[d.pk for d in districts]).order_by()

    statuses = []
    open_by_type: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in (
        cases.filter(closed_at__isnull=True)
        .values("case_type", "status")
        .annotate(n=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now)))
        .order_by("case_type", "status")
    ):
        workflow = WORKFLOWS.get(row["case_type"])
        statuses.append(
            StatusRow(
                case_type=row["case_type"],
                type_label=workflow.label if workflow is not None else row["case_type"],
                status=row["status"],
                status_label=status_label(row["status"]),
                open=row["n"],
                overdue=row["overdue"],
            )
        )
        open_by_type[row["case_type"]][0] += row["n"]
        open_by_type[row["case_type"]][1] += row["overdue"]

    today = to_tehran(now).date()
    starts = week_starts(today)
    bounds = [_instant(s) for s in starts] + [_instant(starts[-1] + dt.timedelta(days=7))]
    received = _per_week(cases, "created_at", bounds)
    finished = _per_week(cases, "closed_at", bounds)
    weeks = [
        Week(start=s, end=s + dt.timedelta(days=6), received=received[i], finished=finished[i])
        for i, s in enumerate(starts)
    ]

    decisions = _decisions(cases, bounds[0], cities)
    types = []
    all_days: dict[int, int] = defaultdict(int)
    for code, workflow in WORKFLOWS.items():
        days = decisions.get(code, {})
        promised = promised_days(workflow)
        for d, n in days.items():
            all_days[d] += n
        open_n, overdue_n = open_by_type.get(code, [0, 0])
        types.append(
            TypeRow(
                case_type=code,
                label=workflow.label,
                open=open_n,
                overdue=overdue_n,
                decided=sum(days.values()),
                closed_late=sum(n for d, n in days.items() if d > promised),
                median_days=_weighted_median(days),
                promised_days=promised,
            )
        )

    year = jalali_year(today)
    revenue, revenue_total = _revenue(districts, year)
    return Dashboard(
        districts=districts,
        now=now,
        statuses=statuses,
        types=types,
        open_total=sum(t.open for t in types),
        overdue_total=sum(t.overdue for t in types),
        decided_total=sum(t.decided for t in types),
        closed_late_total=sum(t.closed_late for t in types),
        median_days=_weighted_median(all_days),
        weeks=weeks,
        year=year,
        revenue=revenue,
        revenue_total=revenue_total,
    )
