"""The statistics of a crafted set: exact counts, working days, shares, and the small-cell rule."""

from __future__ import annotations

import datetime as dt

import jdatetime
import pytest

from shahrvand.cases.models import Case
from shahrvand.cases.sla import working_days_between
from shahrvand.cases.workflows import CLEARANCE, DATA_CORRECTION, PROPERTY_LINK, WORKFLOWS
from shahrvand.transparency.selectors import (
    RequestFigures,
    WorkingDayIndex,
    city_statistics_compute,
    last_months,
    promised_days,
    shown,
)

pytestmark = pytest.mark.django_db


def test_small_counts_are_hidden():
    assert [shown(n) for n in (0, 1, 4, 5, 6)] == [None, None, None, 5, 6]


def test_promised_days_come_from_the_workflow_tables():
    assert {code: promised_days(w) for code, w in WORKFLOWS.items()} == {
        DATA_CORRECTION: 5,
        PROPERTY_LINK: 8,  # 3 for the clerk's check, then 5 for the manager's approval
        CLEARANCE: 1,
        "building_permit": 29,  # shahrvand.permits: filing 3 + staff steps 5+5+1+3+5+7 (tests/permits)
        "planning_info": 1,  # shahrvand.planning: decided at filing, like the clearance
    }


def test_last_twelve_jalali_months_end_with_this_one():
    assert last_months(dt.date(2026, 4, 10)) == [
        (1404, 2), (1404, 3), (1404, 4), (1404, 5), (1404, 6), (1404, 7),
        (1404, 8), (1404, 9), (1404, 10), (1404, 11), (1404, 12), (1405, 1),
    ]  # fmt: skip


def test_working_day_index_agrees_with_sla_counting(crafted):
    city = crafted.district1.city
    index = WorkingDayIndex(city, crafted.base - dt.timedelta(days=3), crafted.base + dt.timedelta(days=40))
    for case in Case.objects.filter(closed_at__isnull=False):
        assert index.between(case.created_at, case.closed_at) == working_days_between(
            case.created_at, case.closed_at, city
        )


def test_requests_per_district_and_service(crafted):
    stats = city_statistics_compute(crafted.district1.city)

    d1, d2 = stats.districts
    assert (d1.number, d1.live, d2.number, d2.live) == (1, True, 2, False)
    assert d1.requests[DATA_CORRECTION] == RequestFigures(
        received=8,
        finished=7,
        decided=6,
        median_days=3.0,  # 0, 1, 2, 4, 5, 7 working days
        within_sla=5,
        within_sla_percent=83,
        visits_saved=5,  # 4 decided online and the one withdrawn online; 2 decided at the counter
    )
    assert d1.requests[CLEARANCE] == RequestFigures(None, None, None, None, None, None, None)
    assert d1.requests[PROPERTY_LINK] == RequestFigures(None, None, None, None, None, None, None)
    assert d2.requests[PROPERTY_LINK] == RequestFigures(
        received=5, finished=5, decided=5, median_days=1.0, within_sla=5, within_sla_percent=100, visits_saved=5
    )
    assert stats.totals[DATA_CORRECTION] == d1.requests[DATA_CORRECTION]
    assert stats.totals[PROPERTY_LINK] == d2.requests[PROPERTY_LINK]


def test_visits_saved_counts_finished_requests_without_a_visit(crafted):
    Case.objects.filter(case_type=DATA_CORRECTION, closed_at__isnull=False, needed_visit=True).update(
        needed_visit=False
    )
    stats = city_statistics_compute(crafted.district1.city)
    assert stats.districts[0].requests[DATA_CORRECTION].visits_saved == 7


def test_documents_and_duties(crafted):
    stats = city_statistics_compute(crafted.district1.city)

    d1, d2 = stats.districts
    assert (d1.documents_issued, d1.documents_revoked) == (6, None)  # 1 revoked: fewer than 5
    assert (d1.payments, d1.rials) == (5, 5_000_000)
    assert (d2.documents_issued, d2.payments, d2.rials) == (None, None, None)  # 2 payments: hidden
    assert (stats.documents_issued, stats.payments, stats.rials) == (6, 7, 9_000_000)


def test_monthly_trends(crafted):
    stats = city_statistics_compute(crafted.district1.city)

    assert len(stats.months) == 12
    j = jdatetime.date.fromgregorian(date=crafted.base)
    month = next(m for m in stats.months if (m.year, m.month) == (j.year, j.month))
    assert month.received == 8 + 3 + 5
    assert month.documents_issued == 6
    assert month.payments == 7 and month.rials == 9_000_000
    others = [m for m in stats.months if m is not month]
    assert all(m.received is None and m.rials is None for m in others)
