"""The permit pages: the portal application with its pre-check and co-owners, the citizen's timeline,
the staff file on one page (access, and a constant number of queries), and the SMS at every change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shahrvand.cases.models import Attachment, CaseEvent
from shahrvand.core.identifiers import parse_mobile
from shahrvand.core.models import Role
from shahrvand.permits import services
from shahrvand.permits import workflow as wf
from shahrvand.permits.models import Permit, PermitFile
from shahrvand.sms.models import OutboxMessage
from tests.citizens.conftest import activate, enroll
from tests.factories import make_staff
from tests.identity.helpers import force_login_verified
from tests.permits.conftest import APPLICANT, CO_OWNER, PARCEL, PDF, STRANGER, submitted, walk

pytestmark = pytest.mark.django_db

FORM = {
    "parcel": PARCEL,
    "kind": "new",
    "floor-0-number": "0",
    "floor-0-use": "residential",
    "floor-0-area": "۱۵۰",
    "floor-0-units": "1",
    "floor-1-number": "1",
    "floor-1-use": "residential",
    "floor-1-area": "150",
    "floor-1-units": "1",
    "parking": "2",
    "setback": "0",
    "designer_name": "مهندس علی طراحی",
    "designer_licence": "1-23-4567",
}


def _citizen(world, national_code):
    citizen = activate(enroll(world.clerk, world.clerk.role_grants.first().district, national_code))
    client = Client()
    client.force_login(citizen.user)
    return citizen, client


def _staff(user):
    client = Client()
    force_login_verified(client, user)
    return client


def test_apply_precheck_co_owner_approval_and_submit_through_the_portal(world, district1):
    _, portal = _citizen(world, APPLICANT)
    co_owner, co_portal = _citizen(world, CO_OWNER)
    response = portal.get("/portal/permits/new/")
    assert response.status_code == 200 and PARCEL in response.content.decode()
    response = portal.post("/portal/permits/new/", FORM)
    assert response.status_code == 302
    permit = Permit.objects.get()
    page = portal.get(response["Location"]).content.decode()
    assert 'data-precheck="passed"' in page and co_owner.person.full_name in page
    refused = portal.post(f"/portal/permits/draft/{permit.pk}/", {"action": "submit"})
    assert refused.status_code == 400 and "وکالت" in refused.content.decode()
    assert f"/portal/permits/approve/{permit.pk}/" in co_portal.get("/portal/permits/").content.decode()
    assert co_portal.post(f"/portal/permits/approve/{permit.pk}/", {"decision": "approve"}).status_code == 302
    response = portal.post(f"/portal/permits/draft/{permit.pk}/", {"action": "submit"})
    permit.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == f"/portal/permits/{permit.case.tracking_code}/"
    page = portal.get(response["Location"]).content.decode()
    assert "timeline__item--submit" in page
    # Another citizen cannot open it.
    assert co_portal.get(response["Location"]).status_code == 404


def test_a_failing_precheck_shows_its_reasons_and_blocks_submission(world, district1):
    _, portal = _citizen(world, APPLICANT)
    form = {**FORM, "floor-2-number": "2", "floor-2-use": "residential", "floor-2-area": "150", "floor-2-units": "1"}
    response = portal.post("/portal/permits/new/", form)
    permit = Permit.objects.get()
    page = portal.get(response["Location"]).content.decode()
    assert 'data-precheck="failed"' in page and 'data-rule="floors"' in page
    assert "حداکثر مجاز ۲ طبقه" in page
    refused = portal.post(f"/portal/permits/draft/{permit.pk}/", {"action": "submit"})
    assert refused.status_code == 400 and "ضوابط" in refused.content.decode()
    assert permit.case_id is None


def test_a_parcel_not_owned_is_refused_on_the_page(world, district1):
    _, portal = _citizen(world, STRANGER)
    response = portal.post("/portal/permits/new/", FORM)
    assert response.status_code == 400 and "مالک ثبت‌شده" in response.content.decode()
    assert not Permit.objects.exists()


def test_every_change_sends_the_requester_an_sms(world, district1):
    applicant, _ = _citizen(world, APPLICANT)
    mobile = parse_mobile(applicant.mobile)
    before = OutboxMessage.objects.filter(to=mobile).count()
    permit = walk(world, submitted(world, district1), wf.SITE_VISITED)
    texts = list(OutboxMessage.objects.filter(to=mobile).order_by("pk").values_list("purpose", flat=True))[before:]
    assert texts == ["case.submit", "case.check_documents", "case.record_visit"]
    from shahrvand.cases.tracking import tracking_code_fa

    assert (
        tracking_code_fa(permit.case.tracking_code)
        in OutboxMessage.objects.filter(to=mobile).order_by("pk").last().text
    )


def test_the_staff_file_is_one_page_with_access_checks(world, district1, district2):
    permit = walk(world, submitted(world, district1), wf.SITE_VISITED)
    url = f"/staff/permits/{permit.case.tracking_code}/"
    page = _staff(world.planning).get(url).content.decode()
    for part in (
        "application-title",
        "precheck-title",
        "owners-title",
        "findings-title",
        "uploads-title",
        "timeline-title",
    ):
        assert part in page, part
    assert 'data-action="issue_brief"' in page and "site.jpg" in page
    outsider = make_staff(Role.PLANNING, district2)
    assert _staff(outsider).get(url).status_code == 403
    # The inspector has nothing to do now; the clerk neither.
    assert 'data-action="issue_brief"' not in _staff(world.inspector).get(url).content.decode()


def test_staff_move_through_the_page_and_a_refusal_is_a_message(world, district1):
    permit = submitted(world, district1)
    client = _staff(world.clerk)
    url = f"/staff/permits/{permit.case.tracking_code}/"
    response = client.post(url + "act/", {"action": "issue_permit", "role": "clerk"}, follow=True)
    assert response.status_code == 200 and "ممکن نیست" in response.content.decode()
    client.post(url + "act/", {"action": "check_documents", "role": "clerk"})
    permit.case.refresh_from_db()
    assert permit.case.status == wf.DOCUMENTS_CHECKED


def _grow(permit: Permit, events: int, uploads: int) -> None:
    now = timezone.now()
    case = permit.case
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(case=case, at=now + dt.timedelta(seconds=i), actor=None, role="citizen", action="attach",
                      from_status=case.status, to_status=case.status, comment=f"n{i}")
            for i in range(events - case.events.count())
        ]
    )  # fmt: skip
    for i in range(uploads - case.attachments.count()):
        attachment = Attachment.objects.create(
            case=case, role="citizen", name=f"photo-{i}.jpg", content_type="image/jpeg", size=10,
            sha256=f"{i:064d}", path=f"attachments/00/{i:064d}", created_at=now,
        )  # fmt: skip
        PermitFile.objects.create(permit=permit, attachment=attachment, kind=PermitFile.Kind.SITE_PHOTO)


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_staff_page_reads_a_constant_number_of_queries(world, district1):
    permit = submitted(world, district1)
    services.permit_act(actor=world.clerk, permit=permit, action="check_documents", role=wf.CLERK)
    client = _staff(world.inspector)
    url = f"/staff/permits/{permit.case.tracking_code}/"
    _grow(permit, 10, 20)
    small = _queries(client, url)
    _grow(permit, 50, 20)
    assert permit.case.events.count() == 50
    assert _queries(client, url) == small


def test_files_are_served_only_to_those_with_access(world, district1, district2):
    _, portal = _citizen(world, APPLICANT)
    _, other = _citizen(world, CO_OWNER)
    permit = walk(world, submitted(world, district1), wf.PLANS_UPLOADED)
    plan = PermitFile.objects.get(permit=permit, kind="plan").attachment
    code = permit.case.tracking_code
    response = portal.get(f"/portal/permits/{code}/files/{plan.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert other.get(f"/portal/permits/{code}/files/{plan.pk}/").status_code == 404
    staff = _staff(world.planning)
    assert staff.get(f"/staff/cases/{code}/files/{plan.pk}/").status_code == 200
    assert _staff(make_staff(Role.PLANNING, district2)).get(f"/staff/cases/{code}/files/{plan.pk}/").status_code == 403
