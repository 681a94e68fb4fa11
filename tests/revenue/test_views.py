"""The revenue officer's pages over HTTP: dashboard, search, the bill and its forms, debts; access refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from shahrvand.audit.models import AuditEntry
from shahrvand.core import jalali
from shahrvand.core.text import to_persian_digits
from shahrvand.revenue.amounts import payable
from shahrvand.revenue.models import Adjustment, Bill, InstalmentPlan
from shahrvand.revenue.services import bill_settle
from tests.revenue.factories import make_bill

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def officer_client(client, staff):
    client.force_login(staff("revenue"))
    return client


def fa_num(value: int) -> str:
    return to_persian_digits(f"{value:,}".replace(",", "٬"))


def test_the_dashboard_sums_assessed_collected_and_outstanding_per_district(registry, district2, officer_client):
    year = jalali.jalali_year(jalali.today())
    paid = make_bill(registry, gross=4_000_000)
    make_bill(registry, gross=6_000_000, instalment_no=2)
    amount = payable(paid, jalali.today()).amount
    bill_settle(bill=paid, amount=amount, paid_at=timezone.now(), source="gateway", reference="D1")

    response = officer_client.get(reverse("revenue:dashboard"), {"year": str(year)})

    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-district="{registry.slug}"' in html
    assert f'data-district="{district2.slug}"' not in html  # only the districts the officer manages
    assert fa_num(10_000_000) in html and fa_num(amount) in html and fa_num(6_000_000) in html
    assert officer_client.get(reverse("revenue:dashboard"), {"year": "سال"}).status_code == 400


def test_search_by_bill_id_opens_the_bill_and_by_national_code_lists_the_payers_bills(registry, officer_client):
    bill = make_bill(registry)
    response = officer_client.get(reverse("revenue:search"), {"q": to_persian_digits(bill.bill_id)})
    assert response.status_code == 302 and response["Location"] == reverse("revenue:bill", args=[bill.bill_id])

    listed = officer_client.get(reverse("revenue:search"), {"q": bill.payer.national_code})
    assert listed.status_code == 200 and to_persian_digits(bill.bill_id) in listed.content.decode()
    by_code = officer_client.get(reverse("revenue:search"), {"q": bill.parcel.code})
    assert to_persian_digits(bill.bill_id) in by_code.content.decode()
    nothing = officer_client.get(reverse("revenue:search"), {"q": "nothing-like-this"})
    assert nothing.status_code == 200


def test_the_bill_page_shows_lines_and_todays_amount(registry, officer_client):
    bill = make_bill(registry, gross=12_345_678)
    response = officer_client.get(reverse("revenue:bill", args=[bill.bill_id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "عوارض نوسازی" in html and fa_num(12_345_678) in html
    assert fa_num(payable(bill, jalali.today()).amount) in html
    pdf = officer_client.get(reverse("revenue:bill_pdf", args=[bill.bill_id]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert officer_client.get(reverse("revenue:bill", args=["1234"])).status_code == 404


def test_adjusting_from_the_page_needs_a_reason_in_persian(registry, officer_client):
    bill = make_bill(registry, gross=12_345_678)
    url = reverse("revenue:bill", args=[bill.bill_id])

    refused = officer_client.post(url, {"action": "adjust", "new_gross": "۱۰٬۰۰۰٬۰۰۰", "reason": ""})
    assert refused.status_code == 400
    assert "دلیل را بنویسید" in refused.content.decode()
    assert not Adjustment.objects.exists()

    done = officer_client.post(url, {"action": "adjust", "new_gross": "۱۰٬۰۰۰٬۰۰۰", "reason": "اصلاح مساحت"})
    adjustment = Adjustment.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse("revenue:bill", args=[adjustment.new_bill.bill_id])
    assert adjustment.new_bill.gross == 10_000_000
    page = officer_client.get(done["Location"]).content.decode()
    assert "اصلاح مساحت" in page and to_persian_digits(bill.bill_id) in page

    again = officer_client.post(url, {"action": "adjust", "new_gross": "1000", "reason": "دوباره"})
    assert again.status_code == 400 and "دیگر باز نیست" in again.content.decode()


def test_splitting_from_the_page(registry, officer_client):
    bill = make_bill(registry, gross=12_345_678)
    due = jalali.format_jalali(jalali.today() + dt.timedelta(days=7))
    response = officer_client.post(
        reverse("revenue:bill", args=[bill.bill_id]),
        {
            "action": "instalments",
            "bills": [bill.bill_id],
            "count": "4",
            "first_due": to_persian_digits(due),
            "reason": "درخواست مؤدی",
        },
    )
    plan = InstalmentPlan.objects.get()
    assert response.status_code == 302
    assert sum(plan.instalments.values_list("gross", flat=True)) == payable(bill, jalali.today()).amount
    bad = make_bill(registry, instalment_no=9)
    refused = officer_client.post(
        reverse("revenue:bill", args=[bad.bill_id]),
        {"action": "instalments", "bills": [bad.bill_id], "count": "4", "first_due": "1300/01/01", "reason": "x"},
    )
    assert refused.status_code == 400 and "گذشته" in refused.content.decode()
    assert InstalmentPlan.objects.count() == 1
    assert officer_client.post(reverse("revenue:bill", args=[bad.bill_id]), {"action": "other"}).status_code == 400


def test_debts_of_a_property_and_of_a_person(registry, officer_client):
    bill = make_bill(registry, gross=3_000_000)
    page = officer_client.get(reverse("revenue:property_debts", args=[registry.slug, bill.unit.code]))
    assert page.status_code == 200 and to_persian_digits(bill.bill_id) in page.content.decode()
    person = officer_client.get(reverse("revenue:person_debts", args=[bill.payer.national_code]))
    assert person.status_code == 200 and to_persian_digits(bill.bill_id) in person.content.decode()
    assert AuditEntry.objects.filter(action="revenue.person_debts_view").count() == 1
    assert officer_client.get(reverse("revenue:person_debts", args=["1234567890"])).status_code == 404
    assert officer_client.get(reverse("revenue:property_debts", args=[registry.slug, "9-9-9"])).status_code == 404


def test_a_clerk_and_another_districts_officer_are_refused(registry, district2, client, staff):
    bill = make_bill(registry)
    client.force_login(staff("clerk"))
    for url in (
        reverse("revenue:dashboard"),
        reverse("revenue:search"),
        reverse("revenue:bill", args=[bill.bill_id]),
        reverse("revenue:person_debts", args=[bill.payer.national_code]),
        reverse("revenue:property_debts", args=[registry.slug, bill.parcel.code]),
    ):
        assert client.get(url).status_code == 403, url
    client.force_login(staff("revenue", district=district2))
    assert client.get(reverse("revenue:bill", args=[bill.bill_id])).status_code == 403
    refused = client.post(
        reverse("revenue:bill", args=[bill.bill_id]), {"action": "adjust", "new_gross": "1000", "reason": "x"}
    )
    assert refused.status_code == 403
    assert Bill.objects.get(pk=bill.pk).status == Bill.Status.OPEN
    assert AuditEntry.objects.filter(action="access.denied").exists()


def test_another_districts_officer_learns_nothing_about_a_payer(registry, district2, client, staff):
    bill = make_bill(registry)
    name = bill.payer.last_name
    client.force_login(staff("revenue", district=district2))
    assert client.get(reverse("revenue:person_debts", args=[bill.payer.national_code])).status_code == 403
    found = client.get(reverse("revenue:search"), {"q": bill.payer.national_code})
    assert found.status_code == 200 and name not in found.content.decode()
