"""The queue page over HTTP: the search box's messages, "waiting for my role", bulk assignment, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shahrvand.audit.models import AuditEntry
from shahrvand.cases.models import Case
from shahrvand.cases.workflows import DOCUMENTS_VERIFIED, PROPERTY_LINK
from shahrvand.core.text import to_persian_digits
from tests.backoffice.helpers import make_case, national_code, person

pytestmark = pytest.mark.django_db
QUEUE = "/staff/cases/"


@pytest.fixture
def clerk(staff):
    return staff("clerk", first_name="زهرا", last_name="کریمی")


@pytest.fixture
def manager(staff):
    return staff("manager")


def test_a_bad_national_code_is_said_on_the_page_in_persian(client, clerk, district1):
    client.force_login(clerk)
    response = client.get(QUEUE, {"q": "۱۲۳۴۵۶۷۸۹۰"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "کد ملی: رقم کنترل (رقم آخر) درست نیست" in page
    assert 'aria-invalid="true"' in page


def test_anything_else_says_what_the_box_accepts(client, clerk, district1):
    client.force_login(clerk)
    page = client.get(QUEUE, {"q": "سلام"}).content.decode()
    assert "نه کد رهگیری" in page and "نه کد نوسازی" in page


def test_a_tracking_code_opens_the_request(client, clerk, district1):
    case = make_case(district1)
    client.force_login(clerk)
    response = client.get(QUEUE, {"q": to_persian_digits(case.tracking_code.replace("-", ""))})
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", kwargs={"tracking_code": case.tracking_code})


def test_a_national_code_lists_the_persons_requests_and_is_audited(client, clerk, district1):
    someone = person(district1, national_code(4242))
    theirs = make_case(district1, requester=someone)
    other = make_case(district1)
    client.force_login(clerk)
    closed = make_case(district1, requester=someone, status="accepted", closed=timezone.now())
    response = client.get(QUEUE, {"q": to_persian_digits(someone.national_code)})
    assert response.context["scope"] == "all"  # a search shows the person's closed requests too
    assert {row.case for row in response.context["rows"]} == {theirs, closed}
    assert other.tracking_code not in response.content.decode()
    entry = AuditEntry.objects.get(action="case.search")
    assert entry.actor == clerk and entry.payload == {
        "kind": "national_code",
        "national_code": someone.national_code,
        "found": 2,
    }


def test_waiting_for_my_role_scope(client, clerk, manager, district1):
    verified = make_case(district1, case_type=PROPERTY_LINK, status=DOCUMENTS_VERIFIED)  # manager's move only
    client.force_login(clerk)
    response = client.get(QUEUE, {"scope": "waiting"})
    assert response.context["rows"] == []
    client.force_login(manager)
    response = client.get(QUEUE, {"scope": "waiting"})
    assert [row.case for row in response.context["rows"]] == [verified]
    assert response.context["counts"].waiting == 1


def test_bulk_assignment_by_a_manager(client, clerk, manager, district1):
    cases = [make_case(district1) for _ in range(3)]
    client.force_login(manager)
    page = client.get(QUEUE).content.decode()
    assert 'name="cases"' in page and f'value="{clerk.pk}"' in page and "csrfmiddlewaretoken" in page
    response = client.post(
        reverse("cases:bulk_assign"),
        {"cases": [c.tracking_code for c in cases[:2]], "assignee": str(clerk.pk), "back": "scope=open"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"{QUEUE}?scope=open"
    assert "۲ درخواست به زهرا کریمی سپرده شد." in response.content.decode()
    assert set(Case.objects.filter(assigned_to=clerk).values_list("pk", flat=True)) == {cases[0].pk, cases[1].pk}


def test_a_refused_bulk_assignment_names_the_requests_and_changes_nothing(client, clerk, district1, district2):
    mine = make_case(district1)
    theirs = make_case(district2)
    client.force_login(clerk)
    response = client.post(
        reverse("cases:bulk_assign"),
        {"cases": [mine.tracking_code, theirs.tracking_code], "assignee": "me"},
        follow=True,
    )
    page = response.content.decode()
    assert "هیچ درخواستی سپرده نشد" in page and to_persian_digits(theirs.tracking_code) in page
    assert not Case.objects.filter(assigned_to__isnull=False).exists()


def test_a_clerk_cannot_name_another_assignee(client, clerk, staff, district1):
    other = staff("clerk")
    case = make_case(district1)
    client.force_login(clerk)
    page = client.get(QUEUE).content.decode()
    assert f'value="{other.pk}"' not in page  # only "me" and "back to the shared queue"
    response = client.post(reverse("cases:bulk_assign"), {"cases": [case.tracking_code], "assignee": str(other.pk)})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).assigned_to is None


def test_bulk_assignment_needs_a_post_with_csrf(clerk, district1):
    from django.test import Client

    from tests.identity.helpers import force_login_verified

    strict = Client(enforce_csrf_checks=True)
    force_login_verified(strict, clerk)
    case = make_case(district1)
    assert (
        strict.post(reverse("cases:bulk_assign"), {"cases": [case.tracking_code], "assignee": "me"}).status_code == 403
    )
    assert strict.get(reverse("cases:bulk_assign")).status_code == 405


def test_someone_without_a_queue_is_refused(client, staff, district1):
    auditor = staff("auditor")
    client.force_login(auditor)
    assert client.get(QUEUE).status_code == 403
    assert client.post(reverse("cases:bulk_assign"), {"cases": ["x"], "assignee": "me"}).status_code == 403


def _queue_queries(client, n: int, district) -> int:
    now = timezone.now()
    Case.objects.all().delete()
    for i in range(n):
        make_case(district, due=now + dt.timedelta(days=(i % 9) - 4))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(QUEUE)
    assert response.status_code == 200 and len(response.context["rows"]) == 50
    return len(queries)


def test_a_page_of_the_queue_takes_as_many_queries_for_60_as_for_200_requests(client, manager, district1):
    client.force_login(manager)
    assert _queue_queries(client, 60, district1) == _queue_queries(client, 200, district1)
