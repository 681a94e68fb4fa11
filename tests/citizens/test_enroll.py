"""Enrollment at the counter: the service, then the pages."""

from __future__ import annotations

import pypdfium2
import pytest
from django.contrib.auth.hashers import check_password
from django.urls import reverse
from django.utils import timezone

from shahrvand.audit.models import AuditEntry
from shahrvand.citizens.codes import parse_citizen_code
from shahrvand.citizens.models import ActivationCode, Citizen, EnrollmentLink
from shahrvand.documents.models import Document
from shahrvand.sms.models import OutboxMessage
from tests.citizens.conftest import TWO_APARTMENTS, enroll, mobile_for

pytestmark = pytest.mark.django_db


def test_enroll_makes_account_code_and_one_page_slip(registry, clerk):
    result = enroll(clerk, registry, TWO_APARTMENTS)

    citizen = Citizen.objects.select_related("user", "person").get(pk=result.citizen.pk)
    assert parse_citizen_code(citizen.citizen_code) == citizen.citizen_code
    assert citizen.person.national_code == TWO_APARTMENTS
    assert citizen.mobile == "+98" + mobile_for(TWO_APARTMENTS)[1:]
    assert citizen.activated_at is None
    assert not citizen.user.has_usable_password()
    assert citizen.enrolled_by == clerk

    code = ActivationCode.objects.get(citizen=citizen)
    assert code.code_hash != result.activation_code_plain
    assert check_password(result.activation_code_plain, code.code_hash)
    assert timezone.timedelta(days=6, hours=23) < code.expires_at - timezone.now() <= timezone.timedelta(days=7)

    links = {(link.kind, link.code, link.status) for link in EnrollmentLink.objects.filter(citizen=citizen)}
    assert links == {
        ("property", "1-1-100-3-1-2-0", "confirmed"),
        ("property", "1-1-100-6-1-4-0", "confirmed"),
    }

    slip = Document.objects.get(number=result.slip.number)
    assert slip.doc_type == "enrollment_slip"
    assert slip.subject_national_code == TWO_APARTMENTS
    pdf = pypdfium2.PdfDocument(bytes(slip.pdf))
    assert len(pdf) == 1
    assert slip.fields["activation_url"].endswith(result.activation_code_display)

    entry = AuditEntry.objects.get(action="citizens.enroll")
    assert entry.target_id == str(citizen.pk)
    assert entry.payload["slip"] == slip.number
    assert OutboxMessage.objects.filter(to=citizen.mobile, purpose="enrollment").count() == 1


# --------------------------------------------------------------------------------------------------
# The counter pages
# --------------------------------------------------------------------------------------------------


def test_counter_enrolls_over_http(registry, clerk_client):
    start = clerk_client.get(reverse("citizens:counter"), {"district": registry.pk, "national_code": "۷۴۱۲۱۵۴۷۲۹"})
    assert start.status_code == 302
    url = reverse("citizens:counter_person", args=[registry.slug, TWO_APARTMENTS])
    assert start["Location"] == url

    page = clerk_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "1-1-100-3-1-2-0" in html and "1-1-100-6-1-4-0" in html

    response = clerk_client.post(
        url,
        {
            "id_document_type": "national_card",
            "id_document_number": "۱۲۳۴۵",
            "mobile": "۰۹۱۵ ۱۲۳ ۴۵۶۷",
            "link_0_status": "confirmed",
            "link_1_status": "confirmed",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    citizen = Citizen.objects.get(person__national_code=TWO_APARTMENTS)
    assert citizen.mobile == "+989151234567"
    assert citizen.id_document_number == "12345"
    assert response["Location"] == reverse("citizens:counter_done", args=[citizen.citizen_code])
    done = clerk_client.get(response["Location"])
    assert done.status_code == 200
    slip = Document.objects.get(subject_ref=f"citizen:{citizen.citizen_code}")
    assert reverse("documents:pdf", args=[slip.number]) in done.content.decode()


def test_clerk_of_district_2_cannot_enroll_in_district_1(registry, district2, staff):
    from django.test import Client

    from tests.identity.helpers import sign_in_verified

    other = staff("clerk", district=district2)
    client = Client()
    sign_in_verified(client, other)
    url = reverse("citizens:counter_person", args=[registry.slug, TWO_APARTMENTS])
    assert client.get(url).status_code == 403
    response = client.post(
        url,
        {
            "id_document_type": "national_card",
            "id_document_number": "1",
            "mobile": "09151234567",
            "link_0_status": "confirmed",
            "link_1_status": "confirmed",
        },
    )
    assert response.status_code == 403
    assert not Citizen.objects.exists()
    assert AuditEntry.objects.filter(action="access.denied", actor=other).count() == 2


def test_clerk_of_district_2_cannot_enroll_in_district_1_through_the_service(registry, district2, staff):
    from shahrvand.core.access import AccessDenied

    other = staff("clerk", district=district2)
    with pytest.raises(AccessDenied):
        enroll(other, registry, TWO_APARTMENTS)
    assert not Citizen.objects.exists()


def test_staff_without_second_factor_is_sent_to_it(registry, clerk, client):
    from tests.identity.helpers import PASSWORD

    client.post(reverse("core:login"), {"username": clerk.username, "password": PASSWORD})
    response = client.get(reverse("citizens:counter"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("identity:totp_setup"))
