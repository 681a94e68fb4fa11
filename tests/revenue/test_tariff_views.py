"""The tariff and assessment staff pages over HTTP."""

from __future__ import annotations

import io
import json

import pytest
from django.urls import reverse

from shahrvand.audit.models import AuditEntry
from shahrvand.core.text import to_persian_digits
from shahrvand.revenue import tariff
from shahrvand.revenue.models import AssessmentRun, Bill, TariffBook
from tests.revenue.test_assessment import YEAR, install
from tests.revenue.test_tariff import sample

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def inline_runs(settings):
    settings.SHAHRVAND_ASSESSMENT_INLINE = True


@pytest.fixture
def officer(staff):
    return staff("revenue")


def upload(client, city, data: bytes, year: int = YEAR):
    file = io.BytesIO(data)
    file.name = "tariff.json"
    return client.post(reverse("tariffs:upload"), {"city": city.pk, "year": year, "file": file, "note": "n"})


def test_upload_a_valid_file_makes_a_draft(client, city, officer):
    client.force_login(officer)
    response = upload(client, city, json.dumps(sample()).encode())
    book = TariffBook.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("tariffs:detail", args=[book.pk])
    assert book.status == "draft" and book.version == 1 and book.created_by == officer
    page = client.get(reverse("tariffs:detail", args=[book.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "گروه الف" in html and to_persian_digits("2.5") in html
    assert "Record the approval" in html or "ثبت مصوبه" in html or 'name="approval_number"' in html


def test_upload_lists_every_problem_in_persian_and_saves_nothing(client, city, officer):
    client.force_login(officer)
    bad = sample()
    bad["property"]["rate_per_mille"] = "6"
    del bad["business"]["classes"]["C"]
    response = upload(client, city, json.dumps(bad).encode())
    assert response.status_code == 400
    html = response.content.decode()
    assert "$.property.rate_per_mille" in html and "از سقف قانونی" in html
    assert "$.business.guilds.1071" in html  # refers to the removed class C
    assert not TariffBook.objects.exists()


@pytest.mark.parametrize(
    ("payload", "expected"),
    [(b"not json", "JSON"), (b"\xff\xfe\x00", "UTF-8"), (b"", "")],
)
def test_upload_of_garbage_is_a_form_error_not_a_500(client, city, officer, payload, expected):
    client.force_login(officer)
    response = upload(client, city, payload)
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert not TariffBook.objects.exists()


def test_upload_for_another_year_than_the_file_is_refused(client, city, officer):
    client.force_login(officer)
    response = upload(client, city, json.dumps(sample()).encode(), year=1406)
    assert response.status_code == 400 and "$.year" in response.content.decode()


def test_approve_put_in_force_download_and_new_version(client, city, officer):
    client.force_login(officer)
    upload(client, city, json.dumps(sample()).encode())
    book = TariffBook.objects.get()
    bad = client.post(
        reverse("tariffs:approve", args=[book.pk]), {"approval_number": "", "approval_date": "1404/13/01"}
    )
    assert bad.status_code == 400
    assert "Jalali" in bad.content.decode() or "شمسی" in bad.content.decode()
    ok = client.post(
        reverse("tariffs:approve", args=[book.pk]), {"approval_number": "55/ش", "approval_date": "۱۴۰۴/۱۲/۲۰"}
    )
    assert ok.status_code == 302
    client.post(reverse("tariffs:in_force", args=[book.pk]))
    book.refresh_from_db()
    assert book.status == "in_force" and book.council_approval_number == "55/ش"
    download = client.get(reverse("tariffs:download", args=[book.pk]))
    assert download["Content-Type"].startswith("application/json")
    assert tariff.rules_sha256(tariff.loads(download.content)) == book.rules_sha256
    response = client.post(reverse("tariffs:new_version", args=[book.pk]))
    new = TariffBook.objects.get(version=2)
    assert response["Location"] == reverse("tariffs:detail", args=[new.pk]) and new.status == "draft"
    listing = client.get(reverse("tariffs:list"))
    assert listing.status_code == 200 and listing.content.decode().count(reverse("tariffs:detail", args=[new.pk]))


def test_put_in_force_of_a_draft_is_a_message_not_an_error(client, city, officer):
    client.force_login(officer)
    upload(client, city, json.dumps(sample()).encode())
    book = TariffBook.objects.get()
    response = client.post(reverse("tariffs:in_force", args=[book.pk]), follow=True)
    assert response.status_code == 200 and "فقط نسخه مصوب" in response.content.decode()
    book.refresh_from_db()
    assert book.status == "draft"


def test_a_clerk_is_refused_every_tariff_page(client, city, staff):
    clerk = staff("clerk")
    client.force_login(clerk)
    assert client.get(reverse("tariffs:list")).status_code == 403
    assert upload(client, city, json.dumps(sample()).encode()).status_code == 403
    assert not TariffBook.objects.exists()
    assert AuditEntry.objects.filter(action="access.denied").exists()


def test_assessment_page_runs_and_shows_the_counts(client, registry, officer):
    install(registry.city, officer)
    client.force_login(officer)
    page = client.get(reverse("tariffs:assessment", args=[registry.slug]))
    assert page.status_code == 200
    response = client.post(reverse("tariffs:assessment", args=[registry.slug]), {"year": "۱۴۰۵"})
    run = AssessmentRun.objects.get()
    assert response["Location"] == reverse("tariffs:run", args=[run.pk])
    assert run.status == "done" and run.started_by == officer
    assert Bill.objects.count() == run.counts["new"] > 0
    progress = client.get(reverse("tariffs:run_progress", args=[run.pk])).json()
    assert progress == {
        "status": "done",
        "total": run.total,
        "done": run.total,
        "percent": 100,
        "finished": True,
        "url": reverse("tariffs:run", args=[run.pk]),
    }
    html = client.get(reverse("tariffs:run", args=[run.pk])).content.decode()
    assert "<progress" in html and "js/progress.js" in html and to_persian_digits(str(run.counts["new"])) in html


def test_assessment_without_tariff_is_a_form_error(client, registry, officer):
    client.force_login(officer)
    response = client.post(reverse("tariffs:assessment", args=[registry.slug]), {"year": "1405", "dry_run": "on"})
    assert response.status_code == 400 and "دفترچه تعرفه" in response.content.decode()
    assert not AssessmentRun.objects.exists()


def test_assessment_page_refuses_a_clerk(client, registry, staff, officer):
    install(registry.city, officer)
    client.force_login(staff("clerk"))
    assert client.get(reverse("tariffs:assessment", args=[registry.slug])).status_code == 403
    assert client.post(reverse("tariffs:assessment", args=[registry.slug]), {"year": "1405"}).status_code == 403
    assert not Bill.objects.exists()
