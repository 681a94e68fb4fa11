"""The payment pages over HTTP: pay a bill through the sandbox bank, the callback, the result."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from shahrvand.payments import sandbox
from shahrvand.payments.models import AttemptStatus, EventKind, PaymentAttempt, PaymentEvent
from shahrvand.revenue.models import Bill, Payment
from tests.payments.helpers import fresh, pay_at_bank, start

pytestmark = pytest.mark.django_db

CARD = {
    "pan": sandbox.TEST_CARDS[0],
    "expiry_year": "08",
    "expiry_month": "12",
    "cvv2": "123",
    "dynamic_password": sandbox.TEST_DYNAMIC_PASSWORD,
}


def signed_in(citizen) -> Client:
    client = Client()
    client.force_login(citizen.user)
    return client


def _fields(html: str) -> tuple[str, dict[str, str]]:
    action = re.search(r'<form method="post" action="([^"]+)"', html)
    assert action, html
    return action.group(1), dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))


def test_a_citizen_pays_a_bill_through_the_sandbox_bank(citizen, bill):
    browser = signed_in(citizen)

    to_bank = browser.post(f"/pay/{bill.bill_id}/")
    assert to_bank.status_code == 302 and to_bank["Location"].startswith("/sandbox-bank/pay/")
    bank_page = browser.post(to_bank["Location"], CARD)
    action, fields = _fields(bank_page.content.decode())
    back = Client().post(action, fields)  # the bank's post-back: another site, no session cookie
    result = browser.get(back["Location"])

    attempt = PaymentAttempt.objects.get(bill=bill)
    assert back.status_code == 303 and back["Location"] == f"/pay/result/{attempt.order_id}/"
    assert attempt.status == AttemptStatus.SETTLED
    assert Payment.objects.get(bill=bill).reference == fields["RefNum"]
    body = result.content.decode()
    assert result.status_code == 200 and 'data-outcome="paid"' in body
    assert f'href="/portal/bills/{bill.bill_id}/"' in body
    assert "no-store" in result["Cache-Control"]


def test_the_result_page_while_the_bank_is_being_asked(citizen, bill):
    attempt = start(citizen, bill)
    with sandbox.faults_set(verify_timeout="before"):
        Client().post(f"/pay/callback/{attempt.order_id}/", pay_at_bank(attempt))

    page = signed_in(citizen).get(f"/pay/result/{attempt.order_id}/")

    assert fresh(attempt).status == AttemptStatus.VERIFYING
    assert 'data-outcome="checking"' in page.content.decode()
    assert 'http-equiv="refresh"' in page.content.decode()


def test_someone_elses_bill_and_result_are_404(citizen, other_citizen, bill):
    attempt = start(citizen, bill)
    other = signed_in(other_citizen)

    assert other.post(f"/pay/{bill.bill_id}/").status_code == 404
    assert other.post("/pay/0000000000000/").status_code == 404
    assert other.get(f"/pay/result/{attempt.order_id}/").status_code == 404
    assert PaymentAttempt.objects.filter(bill=bill).count() == 1


def test_paying_needs_a_signed_in_citizen_and_a_post(citizen, bill):
    anonymous = Client().post(f"/pay/{bill.bill_id}/")
    assert anonymous.status_code == 302 and "/portal/login/" in anonymous["Location"]
    assert signed_in(citizen).get(f"/pay/{bill.bill_id}/").status_code == 405
    assert not PaymentAttempt.objects.exists()


def test_a_forged_callback_is_refused_with_a_page(citizen, bill):
    attempt = start(citizen, bill)
    fields = pay_at_bank(attempt)

    unknown = Client().post("/pay/callback/9999999999999999/", fields)
    mismatched = Client().post(f"/pay/callback/{attempt.order_id}/", {**fields, "Amount": "1000"})

    assert unknown.status_code == 400 and "<html" in unknown.content.decode()
    assert mismatched.status_code == 303  # to the result page, which tells the truth
    assert fresh(attempt).status == AttemptStatus.TOKEN_ISSUED
    assert Bill.objects.get(pk=bill.pk).status == Bill.Status.OPEN
    assert PaymentEvent.objects.filter(kind=EventKind.CALLBACK_REFUSED).count() == 2


def test_the_callback_never_answers_500(citizen, bill):
    attempt = start(citizen, bill)
    junk = Client(raise_request_exception=False).post(
        f"/pay/callback/{attempt.order_id}/", {"State": "OK", "RefNum": "x" * 5000}
    )
    get = Client().get(f"/pay/callback/{attempt.order_id}/")
    assert junk.status_code in {303, 400} and get.status_code == 302


def test_a_paid_bill_cannot_be_paid_again(citizen, bill):
    browser = signed_in(citizen)
    attempt = start(citizen, bill)
    Client().post(f"/pay/callback/{attempt.order_id}/", pay_at_bank(attempt))

    again = browser.post(f"/pay/{bill.bill_id}/")

    assert again.status_code == 302 and again["Location"] == f"/portal/bills/{bill.bill_id}/"
    assert PaymentAttempt.objects.filter(bill=bill).count() == 1
