"""seed_demo puts the sample tariff in force and assesses District 1, so the demo citizen has bills."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from shahrvand.citizens.models import Citizen
from shahrvand.revenue.models import AssessmentRun, Bill, TariffBook

pytestmark = pytest.mark.django_db


def test_seed_installs_the_tariff_and_the_demo_citizen_has_bills():
    out = io.StringIO()
    call_command("seed_demo", "--households", "40", "--seed", "3", stdout=out)
    book = TariffBook.objects.get()
    assert (book.year, book.status, book.version) == (1405, "in_force", 1)
    assert book.council_approval_number and book.used_at is not None
    run = AssessmentRun.objects.get()
    assert run.status == "done" and run.district.slug == "bojnurd-1"
    assert Bill.objects.filter(district__slug="bojnurd-2").count() == 0
    assert Bill.objects.filter(district__slug="bojnurd-1").count() == run.counts["new"] > 0
    citizen = Citizen.objects.get()
    assert Bill.objects.filter(payer=citizen.person, status="open").exists()
    assert "new bills" in out.getvalue()
