"""The manager dashboard's figures against a hand-counted set of requests and bills, and its page."""

from __future__ import annotations

import datetime as dt

import pytest

from shahrvand.audit.models import AuditEntry
from shahrvand.backoffice.selectors import manager_dashboard, week_starts
from shahrvand.cases.models import Holiday
from shahrvand.cases.workflows import (
    ACCEPTED,
    DATA_CORRECTION,
    DOCUMENTS_VERIFIED,
    PROPERTY_LINK,
    REJECTED,
    WITHDRAWN,
)
from shahrvand.revenue.models import Bill, Payment
from tests.backoffice.helpers import at, make_bill, make_case
from tests.factories import make_staff

pytestmark = pytest.mark.django_db

NOW = at(2026, 12, 2, 12)  # a Wednesday (1405/09/11); its Jalali week began on Saturday 2026-11-28


@pytest.fixture
def requests(district1, district2):
    """Eight requests; the comments give the week (index 0 = the oldest of the 12) and the working days."""
    return {
        "A": make_case(district1, created=at(2026, 12, 1), due=at(2026, 12, 5)),  # week 11, open
        "B": make_case(district1, created=at(2026, 11, 22), due=at(2026, 11, 29)),  # week 10, overdue
        "C": make_case(  # week 10, overdue, the manager's move
            district1,
            case_type=PROPERTY_LINK,
            status=DOCUMENTS_VERIFIED,
            created=at(2026, 11, 23),
            due=at(2026, 11, 30),
        ),
        # decided in 4 working days (Sun–Wed), within the 5 promised; filed and decided in week 10
        "D": make_case(district1, status=ACCEPTED, created=at(2026, 11, 21), closed=at(2026, 11, 25)),
        # decided in 15 working days (17 days, two Fridays): late; filed in week 7, decided in week 9
        "E": make_case(district1, status=REJECTED, created=at(2026, 11, 1), closed=at(2026, 11, 18)),
        # withdrawn: finished (week 11) but not a decision
        "F": make_case(district1, status=WITHDRAWN, created=at(2026, 11, 29), closed=at(2026, 11, 30)),
        # decided long before the 12 weeks
        "G": make_case(district1, status=ACCEPTED, created=at(2026, 6, 1), closed=at(2026, 6, 10)),
        # District 2: open and overdue
        "H": make_case(district2, created=at(2026, 12, 1), due=at(2026, 11, 30)),
    }


def test_weeks_are_jalali_weeks_from_saturday():
    starts = week_starts(NOW.date())
    assert len(starts) == 12
    assert starts[-1] == dt.date(2026, 11, 28) and starts[0] == dt.date(2026, 9, 12)
    assert all(s.weekday() == 5 for s in starts)


def test_the_district_managers_figures(staff, requests):
    board = manager_dashboard(actor=staff("manager"), now=NOW)
    assert [d.number for d in board.districts] == [1]
    assert (board.open_total, board.overdue_total) == (3, 2)
    assert (board.decided_total, board.closed_late_total, board.median_days) == (2, 1, 9.5)
    assert [(r.case_type, r.status, r.open, r.overdue) for r in board.statuses] == [
        (DATA_CORRECTION, "submitted", 2, 1),
        (PROPERTY_LINK, DOCUMENTS_VERIFIED, 1, 1),
    ]
    types = {t.case_type: t for t in board.types}
    correction, link = types[DATA_CORRECTION], types[PROPERTY_LINK]
    assert (correction.open, correction.overdue, correction.decided, correction.closed_late) == (2, 1, 2, 1)
    assert (correction.median_days, correction.promised_days) == (9.5, 5)
    assert (link.open, link.overdue, link.decided, link.median_days, link.promised_days) == (1, 1, 0, None, 8)
    assert [w.received for w in board.weeks] == [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 3, 2]
    assert [w.finished for w in board.weeks] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1]
    assert board.weeks[-1].start == dt.date(2026, 11, 28) and board.weeks[-1].end == dt.date(2026, 12, 4)


def test_a_holiday_counts_as_no_working_day(staff, city, requests):
    Holiday.objects.create(city=city, date=dt.date(2026, 11, 24), name="تعطیل")
    board = manager_dashboard(actor=staff("manager"), now=NOW)
    assert board.median_days == 9.0  # D now took 3 working days, E still 15 (the holiday is after neither)


def test_a_city_wide_role_sees_every_district_and_can_narrow_to_one(city, district1, district2, requests):
    admin = make_staff("city_admin", None, city=city)
    board = manager_dashboard(actor=admin, now=NOW)
    assert (board.open_total, board.overdue_total) == (4, 3)
    narrowed = manager_dashboard(actor=admin, district=district2, now=NOW)
    assert (narrowed.open_total, narrowed.overdue_total, narrowed.decided_total) == (1, 1, 0)


def test_revenue_of_this_jalali_year_by_source(staff, district1, district2):
    make_bill(district1, year=1405, gross=1_000_000, status=Bill.Status.PAID, paid=1_000_000)
    make_bill(district1, year=1405, gross=2_500_000)
    make_bill(
        district1, year=1405, gross=500_000, status=Bill.Status.PAID, paid=500_000, source=Payment.Source.BANK_FILE
    )
    make_bill(district1, year=1405, gross=9_999, status=Bill.Status.CANCELLED)
    make_bill(district1, year=1404, gross=7_000_000, status=Bill.Status.PAID, paid=7_000_000)
    make_bill(
        district2, year=1405, gross=3_000_000, status=Bill.Status.PAID, paid=3_000_000, source=Payment.Source.COUNTER
    )
    board = manager_dashboard(actor=staff("manager"), now=NOW)
    assert board.year == 1405
    (row,) = board.revenue
    assert (row.assessed, row.collected, row.online, row.bank_file, row.counter) == (
        4_000_000,
        1_500_000,
        1_000_000,
        500_000,
        0,
    )
    assert row.collected_percent == 38


def test_the_dashboard_is_built_from_a_fixed_number_of_queries(staff, requests, django_assert_max_num_queries):
    manager = staff("manager")
    with django_assert_max_num_queries(12):
        manager_dashboard(actor=manager, now=NOW)


# --- the page -----------------------------------------------------------------------------------


def test_the_page_draws_the_charts_with_their_tables(client, staff, requests):
    client.force_login(staff("manager"))
    response = client.get("/staff/dashboard/")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<svg") == 2 and page.count("<table") == 4
    assert "درخواست‌های دریافت‌شده و پایان‌یافته در هر هفته" in page
    assert "۴٬۰۰۰٬۰۰۰ ریال" not in page  # no bills in this set
    assert "<script" not in page.split("</head>")[1] and 'style="' not in page


def test_only_the_dashboard_roles_may_open_it(client, staff):
    client.force_login(staff("clerk"))
    assert client.get("/staff/dashboard/").status_code == 403


def test_another_districts_dashboard_is_refused_and_audited(client, staff, district2):
    manager = staff("manager")
    client.force_login(manager)
    response = client.get("/staff/dashboard/", {"district": district2.slug})
    assert response.status_code == 403
    entry = AuditEntry.objects.filter(action="access.denied").latest("seq")
    assert entry.actor == manager and entry.district == district2


def test_an_unknown_district_shows_all_of_mine_with_a_message(client, city, district1, district2):
    auditor = make_staff("auditor", None, city=city)
    client.force_login(auditor)
    page = client.get("/staff/dashboard/", {"district": "nowhere"}).content.decode()
    assert "چنین منطقه‌ای نیست" in page
    page = client.get("/staff/dashboard/", {"district": district2.slug}).content.decode()
    assert 'id="district-filter"' in page


def test_days_are_tehran_days_not_utc_days(staff, district1):
    # Filed at 01:00 on Sunday in Tehran (still Saturday in UTC), decided on Tuesday at 23:00 (Tuesday in UTC):
    # Monday and Tuesday, 2 working days (3 if the filing day were read in UTC).
    make_case(district1, status=ACCEPTED, created=at(2026, 11, 22, 1), closed=at(2026, 11, 24, 23))
    board = manager_dashboard(actor=staff("manager"), now=NOW)
    assert (board.decided_total, board.median_days) == (1, 2.0)
