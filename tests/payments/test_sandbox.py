"""The sandbox bank: its card page and checks, its clock, and an inquiry that tells the truth."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured

from shahrvand.core import jalali
from shahrvand.payments import clock, conf, sandbox
from shahrvand.payments.gateways.base import BankState
from shahrvand.payments.gateways.sandbox import SandboxGateway
from shahrvand.payments.models import SandboxState
from tests.payments.helpers import bank_txn, pay_at_bank, start

TODAY = dt.date(2026, 5, 1)  # 1405/02/11


def _errors(**changes: str) -> dict[str, str]:
    card = {
        "pan": "6219-8610-3452-9007",
        "expiry_year": "08",
        "expiry_month": "12",
        "cvv2": "123",
        "dynamic_password": sandbox.TEST_DYNAMIC_PASSWORD,
    }
    return sandbox.card_errors(**{**card, **changes}, today=TODAY)


def test_a_good_card_is_accepted_with_persian_digits_too():
    assert _errors() == {}
    assert _errors(pan="۶۲۱۹۸۶۱۰۳۴۵۲۹۰۰۷", cvv2="۱۲۳۴", expiry_year="۱۴۰۵", expiry_month="۰۲") == {}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"pan": "6219861034529008"}, "pan", "This card number is not valid (check digit)."),
        ({"pan": "621986103452900"}, "pan", "A card number has 16 digits."),
        ({"expiry_year": "05", "expiry_month": "01"}, "expiry", "This card has expired."),
        ({"expiry_month": "13"}, "expiry", "Enter the expiry date as it is printed on the card (year and month)."),
        ({"cvv2": "12"}, "cvv2", "CVV2 has 3 or 4 digits."),
        ({"dynamic_password": "000000"}, "dynamic_password", "The dynamic password is wrong."),
    ],
)
def test_card_checks(changes, field, message):
    assert _errors(**changes) == {field: message}


def test_luhn():
    assert all(sandbox.luhn_valid(card) for card in sandbox.TEST_CARDS)
    assert not sandbox.luhn_valid("6037991234567890")
    assert jalali.jalali_year(TODAY) == 1405


@pytest.mark.django_db
def test_the_card_page_is_a_labelled_test_bank_and_posts_back_to_the_merchant(client, citizen, bill):
    attempt = start(citizen, bill)
    url = f"/sandbox-bank/pay/{attempt.token}/"

    page = client.get(url)
    refused = client.post(url, {"pan": "6219861034529008", "expiry_year": "08", "expiry_month": "12", "cvv2": "1"})
    assert bank_txn(attempt).state == SandboxState.PENDING
    paid = client.post(
        url,
        {
            "pan": sandbox.TEST_CARDS[0],
            "expiry_year": "08",
            "expiry_month": "12",
            "cvv2": "123",
            "dynamic_password": sandbox.TEST_DYNAMIC_PASSWORD,
        },
    )
    again = client.get(url)

    assert page.status_code == 200
    assert 'class="notice notice--warning" role="note"' in page.content.decode()  # the test-bank label
    assert refused.status_code == 400 and 'class="field-error"' in refused.content.decode()
    body = paid.content.decode()
    txn = bank_txn(attempt)
    assert paid.status_code == 200 and txn.state == SandboxState.CHARGED
    assert f'action="http://testserver/pay/callback/{attempt.order_id}/"' in body
    assert f'name="RefNum" value="{txn.ref_num}"' in body and "data-autosubmit" in body
    assert "js/autosubmit.js" in body and "<script>" not in body
    assert again.status_code == 404  # the session has ended


@pytest.mark.django_db
def test_cancel_and_lost_callback_pages(client, citizen, bill):
    attempt = start(citizen, bill)
    with sandbox.faults_set(lose_callback=True):
        cancelled = client.post(f"/sandbox-bank/pay/{attempt.token}/", {"cancel": "1"})
    assert bank_txn(attempt).state == SandboxState.CANCELLED
    assert "data-autosubmit" not in cancelled.content.decode()  # the lost callback: no way back


@pytest.mark.django_db
def test_tokens_expire_and_unverified_money_goes_back_after_the_window(citizen, bill):
    one, two = start(citizen, bill), start(citizen, bill)
    pay_at_bank(one)
    clock.travel(dt.timedelta(minutes=21))
    assert sandbox.pending(two.token, clock.now()) is None
    assert bank_txn(two).state == SandboxState.EXPIRED
    assert bank_txn(one).state == SandboxState.CHARGED  # still within 30 minutes of the charge

    clock.travel(dt.timedelta(minutes=10))
    assert sandbox.sandbox_expire(clock.now()) == 1
    assert bank_txn(one).state == SandboxState.RETURNED
    assert sandbox.sandbox_expire(clock.now()) == 0


@pytest.mark.django_db
def test_the_inquiry_reports_the_true_state(citizen, bill):
    gateway = SandboxGateway()
    attempt = start(citizen, bill)
    ask = lambda: gateway.inquiry(order_id=attempt.order_id, token=attempt.token)  # noqa: E731

    assert ask().state == BankState.PENDING
    fields = pay_at_bank(attempt)
    charged = ask()
    assert (charged.state, charged.reference, charged.amount) == (BankState.CHARGED, fields["RefNum"], attempt.amount)
    first = gateway.verify(order_id=attempt.order_id, reference=fields["RefNum"])
    second = gateway.verify(order_id=attempt.order_id, reference=fields["RefNum"])
    assert (first.already_verified, second.already_verified, second.amount) == (False, True, attempt.amount)
    assert ask().state == BankState.VERIFIED
    gateway.reverse(order_id=attempt.order_id, reference=fields["RefNum"])
    assert ask().state == BankState.REVERSED
    assert gateway.inquiry(order_id="0", token="nope").state == BankState.FAILED


def test_production_refuses_the_sandbox_unless_a_demo(settings):
    settings.DJANGO_ENV = "production"
    settings.SHAHRVAND_PAYMENT_GATEWAY = "sandbox"
    with pytest.raises(ImproperlyConfigured, match="sandbox"):
        conf.payment_settings()
    settings.SHAHRVAND_PAYMENT_DEMO = "1"
    assert conf.payment_settings().gateway == "sandbox"
    settings.SHAHRVAND_PAYMENT_DEMO = ""
    settings.SHAHRVAND_PAYMENT_GATEWAY = ""
    assert conf.payment_settings().gateway == "sep"  # the default in production


def test_faults_from_the_environment_text():
    faults = sandbox.SandboxFaults.parse("duplicate_callbacks=2, verify_timeout=after, lose_callback")
    assert (faults.duplicate_callbacks, faults.verify_timeout, faults.lose_callback) == (2, "after", True)
    with pytest.raises(ValueError, match="unknown sandbox fault"):
        sandbox.SandboxFaults.parse("explode=1")
