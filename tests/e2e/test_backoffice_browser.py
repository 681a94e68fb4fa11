"""The back office in a real browser: a district manager signs in, opens the staff home, filters the queue
to overdue requests, ticks two and gives them to a clerk, sees the result; then opens the dashboard and
sees its charts.

Screenshots land in docs/screenshots/staff-home.png, staff-queue.png and staff-dashboard.png.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from shahrvand.cases.models import Case
from shahrvand.cases.workflows import ACCEPTED, DOCUMENTS_VERIFIED, PROPERTY_LINK, REJECTED, WITHDRAWN
from shahrvand.core.text import to_persian_digits
from shahrvand.revenue.models import Bill, Payment
from tests.backoffice.helpers import make_bill, make_case, person
from tests.e2e.staff import sign_in_staff
from tests.factories import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def _seed(district1, district2) -> dict[str, object]:
    now = timezone.now()
    names = ["مریم احمدی", "علی رضایی", "فاطمه محمدی", "حسین کاظمی", "زهرا نوری", "رضا حسینی"]
    people = [person(district1, name=n.split()[0]) for n in names]
    for p, n in zip(people, names, strict=True):
        p.last_name = n.split()[1]
        p.save(update_fields=["last_name"])
    overdue = [
        make_case(district1, requester=people[0], created=now - dt.timedelta(days=12), due=now - dt.timedelta(days=4)),
        make_case(
            district1,
            case_type=PROPERTY_LINK,
            status=DOCUMENTS_VERIFIED,
            requester=people[1],
            subject_ref="1-25-156-15-1-7-0",
            created=now - dt.timedelta(days=10),
            due=now - dt.timedelta(days=2),
        ),
        make_case(district1, requester=people[2], created=now - dt.timedelta(days=9), due=now - dt.timedelta(days=1)),
    ]
    for i in range(7):
        make_case(
            district1,
            requester=people[(i + 3) % len(people)],
            created=now - dt.timedelta(days=i + 1),
            due=now + dt.timedelta(days=i + 1),
        )
    for weeks_ago in range(11):
        for j in range(weeks_ago % 4 + 1):
            created = now - dt.timedelta(weeks=weeks_ago, days=j + 3)
            make_case(
                district1,
                status=[ACCEPTED, ACCEPTED, REJECTED, WITHDRAWN][j % 4],
                requester=people[j],
                created=created,
                closed=created + dt.timedelta(days=2 + j),
            )
    make_case(district2)
    make_bill(district1, year=1405, gross=12_500_000, status=Bill.Status.PAID, paid=12_500_000)
    make_bill(
        district1,
        year=1405,
        gross=8_400_000,
        status=Bill.Status.PAID,
        paid=8_400_000,
        source=Payment.Source.BANK_FILE,
    )
    make_bill(district1, year=1405, gross=20_000_000)
    return {"overdue": overdue}


def test_a_manager_assigns_overdue_requests_and_reads_the_dashboard(page, city, district1, district2):
    facts = _seed(district1, district2)
    make_staff("manager", district1, username="manager1", first_name="سارا", last_name="مدیری")
    clerk = make_staff("clerk", district1, username="clerk1", first_name="زهرا", last_name="کریمی")
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    sign_in_staff(page, "manager1")
    page.goto("/staff/")
    assert page.locator("h1").inner_text() == "خانهٔ کارکنان"
    assert page.locator(".bo-tile--dashboard").is_visible()
    overdue_figure = page.locator(".bo-tile--queue .bo-figure--alert .bo-figure__n").inner_text()
    assert overdue_figure == "۳"
    _screenshot(page, "staff-home.png")

    # The queue, overdue only
    page.locator(".bo-tile--queue .bo-tile__title a").click()
    page.wait_for_url("**/staff/cases/")
    page.locator(".bo-scope--overdue").click()
    page.wait_for_url("**scope=overdue")
    rows = page.locator("tr.queue__row")
    assert rows.count() == 3
    # Tick two and give them to the clerk
    first, second = facts["overdue"][0], facts["overdue"][1]
    page.check(f'input[name="cases"][value="{first.tracking_code}"]')
    page.check(f'input[name="cases"][value="{second.tracking_code}"]')
    page.select_option("#bulk-assignee", str(clerk.pk))
    page.locator("#bulk-form button[type=submit]").click()
    page.wait_for_url("**scope=overdue")
    assert "۲ درخواست به زهرا کریمی سپرده شد." in page.locator(".messages").inner_text()
    assert set(Case.objects.filter(assigned_to=clerk).values_list("pk", flat=True)) == {first.pk, second.pk}
    row = page.locator("tr.queue__row", has_text=to_persian_digits(first.tracking_code))
    assert "زهرا کریمی" in row.inner_text()
    # "Tick all" shows once the script runs
    assert page.locator("input[data-select-all]").is_visible()
    _screenshot(page, "staff-queue.png")

    # The dashboard
    page.goto("/staff/dashboard/")
    assert page.locator("h1").inner_text() == "داشبورد مدیر"
    assert page.locator("svg.bo-chart__svg").count() == 2
    assert page.locator(".bo-stat").first.inner_text().startswith("۱۰")  # 10 open requests in District 1
    labels = page.locator("svg.bo-chart__svg").first.locator(".bo-chart__label")
    assert labels.count() == 12
    xs = [float(labels.nth(i).get_attribute("x")) for i in range(12)]
    assert xs == sorted(xs, reverse=True)  # the oldest week on the right, the newest on the left
    assert all(ch in "۰۱۲۳۴۵۶۷۸۹/" for ch in labels.nth(0).text_content())
    page.locator(".bo-chart__figures summary").first.click()
    _screenshot(page, "staff-dashboard.png")
    assert not problems, problems
