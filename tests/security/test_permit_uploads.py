"""Upload limits on the portal's building-permit forms (the only files citizens send).

The power of attorney on the draft page: an executable renamed .pdf and a file over 10 MB are refused
with their specific message, the application stays a draft and nothing is stored.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from shahrvand.cases import files as case_files
from shahrvand.cases.models import Attachment
from shahrvand.permits.models import Permit, PermitFile
from tests.citizens.conftest import activate, enroll
from tests.permits.conftest import APPLICANT, EXE, draft, world  # noqa: F401  (the permits tests' world)

pytestmark = pytest.mark.django_db


def _applicant(world, district):  # noqa: F811
    citizen = activate(enroll(world.clerk, district, APPLICANT))
    client = Client()
    client.force_login(citizen.user)
    return client


def _nothing_stored(permit: Permit) -> None:
    permit.refresh_from_db()
    assert permit.case is None  # still a draft
    assert PermitFile.objects.count() == 0
    assert Attachment.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "data", "refusal"),
    [
        ("vekalat.pdf", EXE, case_files.sniff),
        ("vekalat.pdf", b"%PDF-1.7\n" + b"0" * case_files.MAX_ATTACHMENT_BYTES, None),
    ],
    ids=["executable-renamed-pdf", "over-10-MB"],
)
def test_power_of_attorney_refusals(world, district1, name, data, refusal):  # noqa: F811
    permit = draft(world, district1)  # the co-owner has not approved: a power of attorney is asked for
    client = _applicant(world, district1)
    response = client.post(
        f"/portal/permits/draft/{permit.pk}/",
        {"action": "submit", "power_of_attorney": SimpleUploadedFile(name, data, content_type="application/pdf")},
    )
    assert response.status_code == 400
    if refusal is None:
        expected = case_files.too_large().message_fa
    else:
        with pytest.raises(case_files.AttachmentRejected) as refused:
            refusal(data)
        expected = refused.value.message_fa
    assert expected in response.content.decode()
    _nothing_stored(permit)


BAD_FILES = [
    ("site.jpg", EXE, "attachment.type"),
    ("site.pdf", b"%PDF-1.7\n" + b"0" * case_files.MAX_ATTACHMENT_BYTES, "attachment.too_large"),
]


def _message(code: str) -> str:
    if code == "attachment.too_large":
        return case_files.too_large().message_fa
    with pytest.raises(case_files.AttachmentRejected) as refused:
        case_files.sniff(EXE)
    return refused.value.message_fa


@pytest.mark.parametrize(("name", "data", "code"), BAD_FILES, ids=["executable-renamed-jpg", "over-10-MB"])
def test_site_visit_photo_refusals(world, district1, name, data, code):  # noqa: F811
    from shahrvand.permits import workflow as wf
    from tests.identity.helpers import force_login_verified
    from tests.permits.conftest import submitted, walk

    permit = walk(world, submitted(world, district1), wf.DOCUMENTS_CHECKED)
    files_before, status_before = Attachment.objects.count(), permit.case.status
    client = Client()
    force_login_verified(client, world.inspector)
    code_url = f"/staff/permits/{permit.case.tracking_code}/"
    response = client.post(
        code_url + "visit/",
        {"findings": "زمین خالی", "photos": SimpleUploadedFile(name, data, content_type="image/jpeg")},
        follow=True,
    )
    assert response.status_code == 200
    assert _message(code) in response.content.decode()
    permit.refresh_from_db()
    assert (Attachment.objects.count(), permit.case.status) == (files_before, status_before)


@pytest.mark.parametrize(("name", "data", "code"), BAD_FILES, ids=["executable-renamed-pdf", "over-10-MB"])
def test_plans_refusals(world, district1, name, data, code):  # noqa: F811
    from shahrvand.permits import workflow as wf
    from tests.permits.conftest import submitted, walk

    permit = walk(world, submitted(world, district1), wf.BRIEF_ISSUED)
    files_before, status_before = Attachment.objects.count(), permit.case.status
    client = _applicant(world, district1)
    response = client.post(
        f"/portal/permits/{permit.case.tracking_code}/",
        {
            "step": "plans",
            "plans": SimpleUploadedFile(name.replace(".jpg", ".pdf"), data, content_type="application/pdf"),
        },
        follow=True,
    )
    assert response.status_code in (200, 400)
    assert _message(code) in response.content.decode()
    permit.refresh_from_db()
    assert (Attachment.objects.count(), permit.case.status) == (files_before, status_before)
