"""seed_demo leaves one building permit of the demo citizen waiting for the demo inspector's site visit."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from shahrvand.citizens.models import Citizen
from shahrvand.permits import workflow as wf
from shahrvand.permits.models import Permit

pytestmark = pytest.mark.django_db


def test_seed_demo_files_a_permit_for_the_demo_citizen(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    out = io.StringIO()
    call_command("seed_demo", "--households", "40", "--seed", "3", stdout=out)
    citizen = Citizen.objects.get()
    permit = Permit.objects.select_related("case").get(applicant=citizen.person)
    assert permit.case is not None and permit.case.status == wf.DOCUMENTS_CHECKED
    assert f"Demo building permit {permit.case.tracking_code}" in out.getvalue()
    assert permit.precheck["passed"] is True
