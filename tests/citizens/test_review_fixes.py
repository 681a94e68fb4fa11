"""Found in review: counter lookups stay in the clerk's district; staff document pages hide secrets,
are audited, and the PDF needs the second factor."""

from __future__ import annotations

from django.test import Client

from shahrvand.audit.models import AuditEntry
from shahrvand.core.models import Role
from tests.citizens.conftest import TWO_APARTMENTS, enroll
from tests.factories import make_staff
from tests.identity.helpers import VerifiedClient


def test_a_clerk_of_another_district_cannot_read_a_person_at_the_counter(registry, district2):
    clerk2 = make_staff(Role.CLERK, district2, username="clerk-two")
    client = VerifiedClient()
    client.force_login(clerk2)

    response = client.get(f"/staff/enroll/{district2.slug}/{TWO_APARTMENTS}/")

    assert response.status_code == 403
    assert "بجنوردی" not in response.content.decode()
    assert AuditEntry.objects.filter(action="access.denied", actor=clerk2).exists()
    assert not AuditEntry.objects.filter(action="citizens.counter_lookup", actor=clerk2).exists()


def test_staff_document_page_hides_the_activation_address_from_readers_and_is_audited(registry, clerk):
    slip = enroll(clerk, registry, TWO_APARTMENTS).slip
    inspector = make_staff(Role.INSPECTOR, registry, username="inspector-one")
    client = VerifiedClient()
    client.force_login(inspector)

    html = client.get(f"/staff/documents/{slip.number}/").content.decode()

    assert slip.fields["activation_url"] not in html
    assert TWO_APARTMENTS not in html
    assert AuditEntry.objects.filter(action="documents.view", actor=inspector, target_id=str(slip.pk)).exists()
    assert client.get(f"/documents/{slip.number}.pdf").status_code == 403


def test_the_pdf_needs_the_second_factor(registry, clerk):
    slip = enroll(clerk, registry, TWO_APARTMENTS).slip
    manager = make_staff(Role.MANAGER, registry, username="manager-one")
    password_only = Client()
    password_only.force_login(manager)

    response = password_only.get(f"/documents/{slip.number}.pdf")

    assert response.status_code == 302
    assert "/account/2fa/" in response["Location"]
