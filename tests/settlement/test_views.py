"""The staff settlement pages over HTTP: upload (check, import, rejected), files, a file, reconciliation."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from shahrvand.audit.models import AuditEntry
from shahrvand.core import jalali
from shahrvand.core.text import to_persian_digits
from shahrvand.revenue.models import Bill, Payment
from shahrvand.settlement.models import SettlementFile
from tests.revenue.factories import make_bill
from tests.settlement.helpers import DAY, UNKNOWN_BILL_ID, csv_bytes, file_name, line

pytestmark = pytest.mark.django_db


def post_file(client, city, data: bytes, name: str, action: str = "import", **fields):
    file = io.BytesIO(data)
    file.name = name
    return client.post(reverse("settlement:upload"), {"city": city.pk, "file": file, "action": action, **fields})


@pytest.fixture
def officer(client, staff):
    user = staff("revenue")
    client.force_login(user)
    return user


def test_check_then_import_then_see_the_file_and_the_reconciliation(client, officer, registry):
    bill = make_bill(registry)
    data = csv_bytes([line(bill, trace="111111111111"), line(UNKNOWN_BILL_ID, trace="222222222222")])

    checked = post_file(client, registry.city, data, file_name(), action="check")
    assert checked.status_code == 200
    assert checked.context["result"].status == "dry_run" and checked.context["outcomes"][0]["count"] == 1
    assert not SettlementFile.objects.exists()

    imported = post_file(client, registry.city, data, file_name())
    file = SettlementFile.objects.get()
    assert imported.status_code == 302 and imported["Location"] == reverse("settlement:file", args=[file.pk])
    assert file.uploaded_by == officer and Payment.objects.get().bill == bill
    bill.refresh_from_db()
    assert bill.status == Bill.Status.PAID

    page = client.get(reverse("settlement:file", args=[file.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and to_persian_digits(UNKNOWN_BILL_ID) in html
    unknown = client.get(reverse("settlement:file", args=[file.pk]), {"outcome": "paid_but_unknown"})
    assert [line.bill_id for line in unknown.context["page"].object_list] == [UNKNOWN_BILL_ID]

    listing = client.get(reverse("settlement:files"))
    assert listing.status_code == 200 and file.original_name in listing.content.decode()

    query = {"city": registry.city.pk, "date": jalali.format_jalali(DAY)}
    report = client.get(reverse("settlement:reconcile"), query)
    assert report.status_code == 200
    totals = {t.key: t.count for t, _ in report.context["totals"]}
    assert totals["matched"] == 1 and totals["paid_but_unknown"] == 1
    assert "پرداخت‌شده با قبض ناشناخته" in report.content.decode()
    download = client.get(reverse("settlement:reconcile_csv"), query)
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert UNKNOWN_BILL_ID in download.content.decode()

    again = post_file(
        client, registry.city, data, "again.csv", bank="mellat", settlement_date=jalali.format_jalali(DAY)
    )
    assert again.status_code == 302 and SettlementFile.objects.count() == 1


def test_a_rejected_file_shows_the_report_in_persian_and_writes_nothing(client, officer, registry):
    bill = make_bill(registry)
    audit_before = AuditEntry.objects.count()
    response = post_file(client, registry.city, csv_bytes([line(bill, trace="12")]), file_name())
    assert response.status_code == 400
    html = response.content.decode()
    assert "شمارهٔ پیگیری: باید ۶ تا ۲۰ رقم باشد" in html
    assert not SettlementFile.objects.exists() and not Payment.objects.exists()
    assert AuditEntry.objects.count() == audit_before


@pytest.mark.parametrize(
    ("data", "name", "fields"),
    [
        (b"", "mellat_14050101.csv", {}),
        (b"\x89PNG\r\n", "photo.png", {}),
        (b"bill_id\n", "x.csv", {"settlement_date": "tomorrow"}),
        (b"bill_id\n", "x.csv", {"bank": "بانک ملت"}),
    ],
)
def test_bad_forms_are_answered_in_persian_never_a_500(client, officer, registry, data, name, fields):
    response = post_file(client, registry.city, data, name, **fields)
    assert response.status_code == 400
    assert response.context["form"].errors
    assert not SettlementFile.objects.exists()


def test_a_bad_reconciliation_date_is_a_400_with_the_form(client, officer, registry):
    response = client.get(reverse("settlement:reconcile"), {"city": registry.city.pk, "date": "13/13/13"})
    assert response.status_code == 400 and response.context["form"].errors["date"]
    assert client.get(reverse("settlement:reconcile")).status_code == 200


def test_a_clerk_is_refused_and_the_refusal_is_audited(client, staff, registry):
    client.force_login(staff("clerk"))
    for name in ("settlement:files", "settlement:upload", "settlement:reconcile"):
        assert client.get(reverse(name)).status_code == 403
    assert AuditEntry.objects.filter(action="access.denied").exists()


def test_a_file_of_another_city_is_not_found(client, officer, registry):
    from tests.factories import CityFactory, DistrictFactory, make_staff

    other = CityFactory(slug="shirvan", name="شیروان", name_en="Shirvan", company_code="218")
    stranger = make_staff("revenue", DistrictFactory(city=other, number=1))
    data = csv_bytes([line(UNKNOWN_BILL_ID, trace="333333333333")])
    from shahrvand.settlement.services import settlement_import

    file = settlement_import(actor=stranger, city=other, path_or_bytes=data, name=file_name()).file
    assert client.get(reverse("settlement:file", args=[file.pk])).status_code == 404
