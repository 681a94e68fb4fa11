"""The staff pages of requests over HTTP: queue, one request, moves, files, holidays, district walls."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from shahrvand.audit.models import AuditEntry
from shahrvand.cases.files import Upload
from shahrvand.cases.models import Attachment, Case, CaseEvent, Holiday
from shahrvand.cases.services import case_file
from shahrvand.cases.workflows import DATA_CORRECTION, PROPERTY_LINK
from shahrvand.core.jalali import parse_jalali_date
from shahrvand.core.text import to_persian_digits
from shahrvand.registry.models import Unit
from tests.cases.conftest import EXE, PDF, REASON, file_case, link_data
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(staff):
    return staff("clerk", password=None)


@pytest.fixture
def correction(registry, district1, citizen_user):
    return file_case(DATA_CORRECTION, registry, district1, citizen_user)


def detail_url(case) -> str:
    return reverse("cases:detail", kwargs={"tracking_code": case.tracking_code})


def test_anonymous_visitors_are_sent_to_sign_in(client, correction):
    response = client.get(reverse("cases:queue"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.get(detail_url(correction)).status_code == 302


def test_queue_lists_the_districts_cases_soonest_first_and_marks_overdue_ones(
    client, clerk, registry, district1, citizen_user
):
    late = file_case(DATA_CORRECTION, registry, district1, citizen_user)
    fresh = file_case(DATA_CORRECTION, registry, district1, citizen_user)
    Case.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(days=9))
    client.force_login(clerk)
    response = client.get(reverse("cases:queue"))
    assert response.status_code == 200
    page = response.content.decode()
    assert [row.case for row in response.context["rows"]] == [Case.objects.get(pk=late.pk), fresh]
    assert response.context["rows"][0].overdue and not response.context["rows"][1].overdue
    assert page.count("queue__row--overdue") == 1
    assert to_persian_digits(late.tracking_code) in page
    assert "روز کاری" in page  # SLA left, in working days
    assert 'href="/static/css/cases.css"' in page

    overdue = client.get(reverse("cases:queue"), {"scope": "overdue"})
    assert [row.case.pk for row in overdue.context["rows"]] == [late.pk]


def test_queue_finds_a_tracking_code_typed_with_persian_digits(client, clerk, correction):
    client.force_login(clerk)
    typed = to_persian_digits(correction.tracking_code.replace("-", " "))
    response = client.get(reverse("cases:queue"), {"q": typed})
    assert response.status_code == 302 and response["Location"] == detail_url(correction)
    wrong = client.get(reverse("cases:queue"), {"q": "217-00000000-1"})
    assert wrong.status_code == 200 and wrong.context["form"].errors["q"]


def test_staff_who_do_not_handle_cases_are_refused_the_queue(client, staff):
    client.force_login(staff("auditor", password=None))
    assert client.get(reverse("cases:queue")).status_code == 403
    assert AuditEntry.objects.filter(action="access.denied").count() == 1


def test_the_case_page_shows_the_file_and_only_the_moves_the_table_allows(client, clerk, correction, registry):
    client.force_login(clerk)
    response = client.get(detail_url(correction))
    assert response.status_code == 200
    page = response.content.decode()
    assert [m["action"] for m in response.context["moves"]] == ["accept", "reject", "return"]
    assert 'name="action" value="withdraw"' not in page
    assert "درخواست‌دهنده" in page or registry.owner.full_name in page
    assert response.context["changes"][0].requested == correction.data["changes"]["area_m2"]
    entry = AuditEntry.objects.filter(action="case.read").get()
    assert entry.actor == clerk and entry.payload["tracking_code"] == correction.tracking_code
    # Persian digits in the address redirect to the canonical one.
    persian = client.get(reverse("cases:detail", kwargs={"tracking_code": to_persian_digits(correction.tracking_code)}))
    assert persian.status_code == 302 and persian["Location"] == detail_url(correction)
    assert client.get(reverse("cases:detail", kwargs={"tracking_code": "217-00000000-1"})).status_code == 404


def test_accepting_on_the_page_corrects_the_registry(client, clerk, correction, registry, district1):
    client.force_login(clerk)
    url = reverse("cases:act", kwargs={"tracking_code": correction.tracking_code})
    response = client.post(url, {"action": "accept", "role": "clerk", "comment": ""}, follow=True)
    assert response.status_code == 200
    correction.refresh_from_db()
    assert correction.status == "accepted"
    unit = Unit.objects.get(district=district1, code=registry.owner_unit)
    assert to_persian_digits(f"{unit.area_m2:.2f}").replace(".", "٫") == correction.data["changes"]["area_m2"]
    assert response.context["moves"] == []


def test_a_refused_move_is_explained_and_changes_nothing(client, clerk, correction):
    client.force_login(clerk)
    url = reverse("cases:act", kwargs={"tracking_code": correction.tracking_code})
    response = client.post(url, {"action": "reject", "role": "clerk", "comment": " "}, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["برای «رد» باید دلیل را در توضیح بنویسید"]
    response = client.post(url, {"action": "resubmit", "role": "clerk", "comment": REASON}, follow=True)
    assert "ممکن نیست" in next(str(m) for m in response.context["messages"])
    correction.refresh_from_db()
    assert correction.status == "submitted" and correction.events.count() == 1


def test_staff_of_another_district_get_403_everywhere_and_it_is_audited(client, staff, district2, correction):
    correction = Case.objects.get(pk=correction.pk)
    outsider = staff("clerk", district=district2, password=None)
    client.force_login(outsider)
    assert client.get(detail_url(correction)).status_code == 403
    act = client.post(
        reverse("cases:act", kwargs={"tracking_code": correction.tracking_code}),
        {"action": "accept", "role": "clerk"},
    )
    assert act.status_code == 403
    attachment_url = reverse("cases:attachment", kwargs={"tracking_code": correction.tracking_code, "attachment_id": 1})
    assert client.get(attachment_url).status_code == 403
    assert client.get(reverse("cases:queue")).context["rows"] == []
    denied = AuditEntry.objects.filter(action="access.denied", actor=outsider)
    assert denied.count() == 3
    assert {e.payload["action"] for e in denied} == {"cases.handle"}
    correction.refresh_from_db()
    assert correction.status == "submitted"
    assert not AuditEntry.objects.filter(action="case.read").exists()


def test_attachments_download_for_staff_only_as_files(client, clerk, registry, district1, heir_user, staff, district2):
    case = case_file(
        requester=registry.heir,
        filed_by=heir_user,
        case_type=PROPERTY_LINK,
        district=district1,
        data=link_data(registry),
        attachments=[Upload("گواهی.pdf", PDF)],
    )
    attachment = case.attachments.get()
    url = reverse("cases:attachment", kwargs={"tracking_code": case.tracking_code, "attachment_id": attachment.pk})
    client.force_login(clerk)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert AuditEntry.objects.filter(action="case.attachment_read", actor=clerk).count() == 1
    missing = reverse("cases:attachment", kwargs={"tracking_code": case.tracking_code, "attachment_id": 9999})
    assert client.get(missing).status_code == 404


def test_staff_attach_a_scanned_document_checked_by_content(client, clerk, correction):
    client.force_login(clerk)
    url = reverse("cases:attach", kwargs={"tracking_code": correction.tracking_code})
    renamed = io.BytesIO(EXE)
    renamed.name = "sanad.pdf"
    response = client.post(url, {"file": renamed}, follow=True)
    assert "PDF" in next(str(m) for m in response.context["messages"])
    assert Attachment.objects.count() == 0
    scan = io.BytesIO(PDF)
    scan.name = "scan.pdf"
    client.post(url, {"file": scan})
    attachment = Attachment.objects.get()
    assert (attachment.role, attachment.uploaded_by) == ("clerk", clerk)
    assert CaseEvent.objects.filter(case=correction, action="attach").count() == 1


def test_a_clerk_takes_a_case_and_the_manager_reassigns_it(client, clerk, staff, correction):
    client.force_login(clerk)
    url = reverse("cases:assign", kwargs={"tracking_code": correction.tracking_code})
    client.post(url, {"assignee": "me"})
    correction.refresh_from_db()
    assert correction.assigned_to == clerk
    manager = staff("manager", password=None)
    other = staff("clerk", password=None)
    client.force_login(manager)
    page = client.get(detail_url(correction))
    assert other in page.context["assignable"]
    client.post(url, {"assignee": str(other.pk)})
    correction.refresh_from_db()
    assert correction.assigned_to == other


def test_holidays_page_for_the_city_administrator(client, city, district1, clerk):
    admin = make_staff("city_admin", None, city=city, password=None)
    client.force_login(admin)
    url = reverse("cases:holidays")
    assert client.get(url, {"year": 1405}).status_code == 200
    response = client.post(url, {"date": "۱۴۰۵/۰۱/۱۲", "name": "روز جمهوری اسلامی"})
    assert response.status_code == 302
    holiday = Holiday.objects.get()
    assert holiday.date == parse_jalali_date("1405/01/12") and holiday.city == city
    listing = client.get(url, {"year": 1405})
    assert "روز جمهوری اسلامی" in listing.content.decode()
    bad = client.post(url, {"date": "1405/13/01", "name": "x"})
    assert bad.status_code == 400
    client.post(reverse("cases:holiday_remove", kwargs={"holiday_id": holiday.pk}))
    assert not Holiday.objects.exists()

    client.force_login(clerk)
    assert client.get(url).status_code == 403
