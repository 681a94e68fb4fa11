"""Password reset by SMS to the registered mobile: three pages that never tell whether an account exists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from shahrvand.audit.models import AuditEntry
from shahrvand.identity.lockout import login_guard
from shahrvand.identity.lookup import user_for_identifier
from shahrvand.identity.models import OneTimeCode
from shahrvand.identity.ratelimit import RateLimited
from shahrvand.registry.models import Person
from shahrvand.sms.models import OutboxMessage
from tests.factories import UserFactory
from tests.identity.helpers import PASSWORD, last_code_to

pytestmark = pytest.mark.django_db

NATIONAL_CODE = "0499370899"
CITIZEN_CODE = "123456789"
MOBILE = "+989151112233"
NEW_PASSWORD = "a-much-better-passphrase-1405"

RESET = "/account/reset/"
CODE = "/account/reset/code/"
NEW = "/account/reset/password/"


@pytest.fixture
def citizen(district1):
    if not apps.is_installed("shahrvand.citizens"):
        pytest.skip("the citizens package is not installed")
    citizen_model = apps.get_model("citizens", "Citizen")
    person = Person.objects.create(
        home_district=district1, national_code=NATIONAL_CODE, first_name="مریم", last_name="رحیمی"
    )
    user = UserFactory(username=f"c{CITIZEN_CODE}")
    return citizen_model.objects.create(
        person=person,
        user=user,
        citizen_code=CITIZEN_CODE,
        district=district1,
        mobile=MOBILE,
        id_document_type="national_card",
        id_document_number="123",
        mobile_confirmed_at=timezone.now(),
        activated_at=timezone.now(),
    )


def ask(client, identifier: str):
    return client.post(RESET, {"identifier": identifier}, REMOTE_ADDR="203.0.113.9")


def test_lookup_by_national_code_or_citizen_code(citizen):
    for identifier in (NATIONAL_CODE, "۰۴۹۹۳۷۰۸۹۹", CITIZEN_CODE, "1234-5678-9"):
        account = user_for_identifier(identifier)
        assert account is not None, identifier
        assert (account.user, account.mobile, account.district) == (citizen.user, MOBILE, citizen.district)
    assert user_for_identifier("0499370898") is None
    assert user_for_identifier("") is None


def test_an_account_not_yet_activated_is_not_reset(citizen):
    citizen.activated_at = None
    citizen.save()
    assert user_for_identifier(NATIONAL_CODE) is None


def test_the_whole_reset(client, citizen):
    response = ask(client, NATIONAL_CODE)
    assert response.status_code == 302
    assert response["Location"] == CODE
    message = OutboxMessage.objects.get(to=MOBILE)
    assert (message.purpose, message.district, message.sensitive) == ("otp:password_reset", citizen.district, True)

    # The password page is closed until the code is entered.
    assert client.get(NEW)["Location"] == RESET
    ask(client, NATIONAL_CODE)  # the session was reset by that visit; ask again (rate limit: no new SMS)
    assert OutboxMessage.objects.filter(to=MOBILE).count() == 1

    response = client.post(CODE, {"code": last_code_to(MOBILE)})
    assert response.status_code == 302
    assert response["Location"] == NEW

    response = client.post(NEW, {"new_password1": "1234567890", "new_password2": "1234567890"})
    assert response.status_code == 400  # Django's validators: entirely numeric, too common
    response = client.post(NEW, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("core:login")

    citizen.user.refresh_from_db()
    assert citizen.user.check_password(NEW_PASSWORD)
    assert AuditEntry.objects.filter(action="identity.password_reset", target_id=str(citizen.user.pk)).count() == 1
    notice = OutboxMessage.objects.get(to=MOBILE, purpose="password_changed")
    assert "گذرواژه" in notice.text
    # The session's reset is over.
    assert client.get(NEW)["Location"] == RESET

    response = client.post(reverse("core:login"), {"username": citizen.user.username, "password": NEW_PASSWORD})
    assert response.status_code == 302


def test_an_unknown_identifier_looks_the_same(client, citizen):
    known = ask(client, NATIONAL_CODE)
    client.cookies.clear()
    unknown = ask(client, "0012345679")
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert OutboxMessage.objects.count() == 1
    page = client.get(CODE)
    assert page.status_code == 200
    assert "If the details match" in page.content.decode() or "اگر" in page.content.decode()

    # The code step answers like a real code that is wrong: four counted tries, then dead.
    answers = [client.post(CODE, {"code": "111111"}).content.decode() for _ in range(5)]
    assert all("کد درست نیست" in a for a in answers[:4])
    assert "۱ بار دیگر" in answers[3]
    assert "تعداد تلاش‌های نادرست از حد مجاز گذشت" in answers[4]


def test_five_wrong_codes_kill_the_code(client, citizen):
    ask(client, CITIZEN_CODE)
    code = last_code_to(MOBILE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert client.post(CODE, {"code": wrong}).status_code == 400
    response = client.post(CODE, {"code": code})
    assert response.status_code == 400
    assert "تعداد تلاش‌های نادرست از حد مجاز گذشت" in response.content.decode()
    assert client.get(NEW)["Location"] == RESET


def test_an_expired_code(client, citizen):
    ask(client, NATIONAL_CODE)
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(CODE, {"code": last_code_to(MOBILE)})
    assert "مهلت این کد تمام شده است" in response.content.decode()


def test_requests_from_one_address_are_limited(client):
    for n in range(10):
        assert ask(client, f"00123456{n:02d}").status_code == 302
    response = ask(client, "0012345679")
    assert response.status_code == 429


def test_a_reset_lifts_the_sign_in_lockout(client, citizen):
    for _ in range(5):
        client.post(reverse("core:login"), {"username": citizen.user.username, "password": "nope"})
    with pytest.raises(RateLimited):
        login_guard(citizen.user.username, "127.0.0.1")
    ask(client, NATIONAL_CODE)
    client.post(CODE, {"code": last_code_to(MOBILE)})
    client.post(NEW, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    login_guard(citizen.user.username, "127.0.0.1")
    assert (
        client.post(reverse("core:login"), {"username": citizen.user.username, "password": NEW_PASSWORD}).status_code
        == 302
    )
    citizen.user.refresh_from_db()
    assert not citizen.user.check_password(PASSWORD)
