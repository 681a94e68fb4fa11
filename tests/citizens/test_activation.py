"""Activation online: citizen code + activation code + SMS one-time code → password. And every way it is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from shahrvand.audit.models import AuditEntry
from shahrvand.citizens import services
from shahrvand.citizens.codes import format_activation_code, format_citizen_code
from shahrvand.citizens.models import ActivationCode, Citizen
from shahrvand.citizens.services import CitizenError
from shahrvand.core.text import to_persian_digits
from tests.citizens.conftest import PASSWORD, TWO_APARTMENTS, activate, enroll, last_code_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolled(registry, clerk):
    return enroll(clerk, registry, TWO_APARTMENTS)


def state(citizen: Citizen) -> tuple:
    citizen.refresh_from_db()
    citizen.user.refresh_from_db()
    codes = tuple(ActivationCode.objects.filter(citizen=citizen).values_list("used_at", "voided_at"))
    return citizen.activated_at, citizen.user.password, codes


def test_activation_sets_the_password_and_spends_the_code(enrolled):
    citizen = activate(enrolled)
    citizen.refresh_from_db()
    assert citizen.activated_at is not None
    assert citizen.user.check_password(PASSWORD)
    assert citizen.user.password.startswith("argon2")
    assert ActivationCode.objects.get(citizen=citizen).used_at is not None
    assert AuditEntry.objects.filter(action="citizens.activate", target_id=str(citizen.pk)).count() == 1


def start(enrolled, **overrides):
    arguments = {"citizen_code": enrolled.citizen.citizen_code, "activation_code": enrolled.activation_code_plain}
    arguments.update(overrides)
    return services.citizen_activation_start(**arguments)


def finish(enrolled, otp: str, password: str = PASSWORD, **overrides):
    arguments = {
        "citizen_code": enrolled.citizen.citizen_code,
        "activation_code": enrolled.activation_code_plain,
        "otp_code": otp,
        "password": password,
    }
    arguments.update(overrides)
    return services.citizen_activate(**arguments)


def refused(call, code: str, citizen: Citizen) -> CitizenError:
    before = state(citizen)
    with pytest.raises(CitizenError) as caught:
        call()
    assert caught.value.code == code, (caught.value.code, caught.value.message_en)
    assert caught.value.message_fa
    assert state(citizen) == before
    return caught.value


def test_a_wrong_activation_code_is_refused(enrolled):
    wrong = "1" * 12 if enrolled.activation_code_plain != "1" * 12 else "2" * 12
    refused(lambda: start(enrolled, activation_code=wrong), "activation.wrong", enrolled.citizen)


def test_codes_typed_with_persian_digits_and_dashes_are_accepted(enrolled):
    citizen = start(
        enrolled,
        citizen_code=to_persian_digits(format_citizen_code(enrolled.citizen.citizen_code)),
        activation_code=to_persian_digits(format_activation_code(enrolled.activation_code_plain)),
    )
    assert citizen.pk == enrolled.citizen.pk


def test_a_citizen_code_with_a_typo_says_so(enrolled):
    code = enrolled.citizen.citizen_code
    typo = code[:3] + str((int(code[3]) + 1) % 10) + code[4:]
    refused(lambda: start(enrolled, citizen_code=typo), "citizen_code.checksum", enrolled.citizen)


def test_an_expired_activation_code_is_refused(enrolled):
    ActivationCode.objects.filter(citizen=enrolled.citizen).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    error = refused(lambda: start(enrolled), "activation.expired", enrolled.citizen)
    assert "پیشخوان" in error.message_fa


def test_an_activation_code_replaced_by_a_new_slip_is_refused(enrolled, clerk, registry):
    services.citizen_reenroll(
        actor=clerk,
        district=registry,
        national_code=TWO_APARTMENTS,
        id_document_type="national_card",
        id_document_number="1",
    )
    refused(lambda: start(enrolled), "activation.voided", enrolled.citizen)


def test_a_used_activation_code_is_refused(enrolled):
    activate(enrolled)
    refused(lambda: start(enrolled), "activation.used", enrolled.citizen)


def test_a_wrong_sms_code_is_refused(enrolled):
    start(enrolled)
    right = last_code_to(enrolled.citizen.mobile)
    wrong = "000000" if right != "000000" else "111111"
    error = refused(lambda: finish(enrolled, wrong), "otp.wrong", enrolled.citizen)
    assert error.field == "otp_code"


def test_a_used_sms_code_cannot_be_used_again(enrolled):
    start(enrolled)
    code = last_code_to(enrolled.citizen.mobile)
    finish(enrolled, code)
    # Re-enrolled (lost phone): the new activation code with the old SMS code is refused.
    new = services.citizen_reenroll(
        actor=enrolled.citizen.enrolled_by,
        district=enrolled.citizen.district,
        national_code=TWO_APARTMENTS,
        id_document_type="national_card",
        id_document_number="1",
    )
    refused(lambda: finish(new, code), "otp.used", enrolled.citizen)


def test_a_weak_password_is_refused_and_the_sms_code_still_works(enrolled):
    start(enrolled)
    code = last_code_to(enrolled.citizen.mobile)
    error = refused(lambda: finish(enrolled, code, password="1234567890"), "password.invalid", enrolled.citizen)
    assert error.field == "password1"
    finish(enrolled, code)
    assert Citizen.objects.get(pk=enrolled.citizen.pk).activated_at is not None


def test_guessing_activation_codes_locks_the_citizen_code(enrolled):
    wrong = "1" * 12 if enrolled.activation_code_plain != "1" * 12 else "2" * 12
    for _ in range(services.ACTIVATION_TRIES):
        refused(lambda: start(enrolled, activation_code=wrong), "activation.wrong", enrolled.citizen)
    # Locked: even the right code is refused now, with its own message.
    error = refused(lambda: start(enrolled), "rate_limited", enrolled.citizen)
    assert "دقیقه" in error.message_fa


def test_activation_pages_from_the_slips_address_to_the_portal(enrolled, client):
    citizen = enrolled.citizen
    response = client.get(f"/activate/{format_activation_code(enrolled.activation_code_plain)}")
    assert response.status_code == 302 and response["Location"] == reverse("citizens:activate")
    page = client.get(reverse("citizens:activate"))
    assert format_activation_code(enrolled.activation_code_plain) in page.content.decode()

    response = client.post(
        reverse("citizens:activate"),
        {"citizen_code": citizen.citizen_code, "activation_code": enrolled.activation_code_plain},
    )
    assert response.status_code == 302 and response["Location"] == reverse("citizens:activate_finish")
    response = client.post(
        reverse("citizens:activate_finish"),
        {"otp_code": last_code_to(citizen.mobile), "password1": PASSWORD, "password2": PASSWORD, "action": "activate"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("citizens:dashboard")
    assert client.get(reverse("citizens:dashboard")).status_code == 200


def test_activation_page_shows_the_refusal_and_stays(enrolled, client):
    response = client.post(
        reverse("citizens:activate"),
        {"citizen_code": enrolled.citizen.citizen_code, "activation_code": "0000-0000-0000"},
    )
    assert response.status_code == 400
    assert "کد شهروندی و کد فعال‌سازی با هم جور نیستند" in response.content.decode()
