"""Citizens' tokens: sign in with the portal password, lockout shared with the portal, expiry, revocation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shahrvand.api.models import CitizenToken
from shahrvand.audit.models import AuditEntry
from tests.api.conftest import assert_problem
from tests.citizens.conftest import PASSWORD, TWO_APARTMENTS

pytestmark = pytest.mark.django_db


def _sign_in(api, identifier: str, password: str, **extra):
    return api.post(
        "/api/v1/auth/tokens",
        {"identifier": identifier, "password": password, **extra},
        content_type="application/json",
    )


def test_national_code_and_password_give_a_token_that_opens_me(api, citizen_a):
    response = _sign_in(api, TWO_APARTMENTS, PASSWORD)
    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith("shvc_") and body["token_type"] == "Bearer"
    token = CitizenToken.objects.get(citizen=citizen_a.citizen, revoked_at__isnull=True, prefix=body["token"][:9])
    assert token.token_hash != body["token"]  # only the hash is stored
    assert (token.expires_at - token.created_at) == dt.timedelta(days=30)
    me = api.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert me.status_code == 200
    assert me.json()["national_code"] == TWO_APARTMENTS
    assert me.json()["citizen_code"] == citizen_a.citizen.citizen_code


def test_citizen_code_works_too(api, citizen_a):
    assert _sign_in(api, citizen_a.citizen.citizen_code, PASSWORD).status_code == 201


def test_a_wrong_password_is_a_401_problem_and_is_audited(api, citizen_a):
    assert_problem(_sign_in(api, TWO_APARTMENTS, "not-the-password"), 401, "bad-credentials")
    assert AuditEntry.objects.filter(action="identity.login_failed").count() == 1


def test_unknown_person_gets_the_same_answer(api, citizen_a):
    assert_problem(_sign_in(api, "0076229645", PASSWORD), 401, "bad-credentials")


def test_five_failures_lock_the_account_even_with_the_right_password(api, citizen_a):
    for _ in range(5):
        assert_problem(_sign_in(api, TWO_APARTMENTS, "wrong-password"), 401, "bad-credentials")
    response = _sign_in(api, TWO_APARTMENTS, PASSWORD)
    assert_problem(response, 429, "rate-limited")
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    # The lock is the portal's too: the page refuses the right password as well.
    page = api.post("/portal/login/", {"identifier": TWO_APARTMENTS, "password": PASSWORD})
    assert page.status_code == 400


def test_sms_second_step_asks_for_the_code_then_accepts_it(api, citizen_a):
    from tests.citizens.conftest import last_code_to

    citizen = citizen_a.citizen
    citizen.sms_second_step = True
    citizen.save(update_fields=["sms_second_step"])
    assert_problem(_sign_in(api, TWO_APARTMENTS, PASSWORD), 401, "otp-required")
    code = last_code_to(citizen.mobile)
    wrong = "000000" if code != "000000" else "111111"
    assert_problem(_sign_in(api, TWO_APARTMENTS, PASSWORD, otp_code=wrong), 401, "otp-invalid")
    assert _sign_in(api, TWO_APARTMENTS, PASSWORD, otp_code=code).status_code == 201


def test_an_expired_token_is_refused(api, citizen_a):
    CitizenToken.objects.filter(citizen=citizen_a.citizen).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = api.get("/api/v1/me", **citizen_a.auth)
    assert_problem(response, 401, "unauthorized")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_delete_current_revokes_the_token(api, citizen_a):
    assert api.delete("/api/v1/auth/tokens/current", **citizen_a.auth).status_code == 204
    assert_problem(api.get("/api/v1/me", **citizen_a.auth), 401, "unauthorized")
    assert AuditEntry.objects.filter(action="api.token_revoked").count() == 1


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer shvc_nonsense", "Basic abc", "Bearer shvk_notacitizen"])
def test_missing_or_forged_tokens_are_401(api, citizen_a, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    assert_problem(api.get("/api/v1/bills", **extra), 401, "unauthorized")


def test_an_inactive_user_loses_access(api, citizen_a):
    user = citizen_a.citizen.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert_problem(api.get("/api/v1/me", **citizen_a.auth), 401, "unauthorized")


def test_malformed_body_is_a_422_problem_with_errors(api, citizen_a):
    body = assert_problem(
        api.post("/api/v1/auth/tokens", {"identifier": TWO_APARTMENTS}, content_type="application/json"),
        422,
        "validation",
    )
    assert body["errors"][0]["location"] == "body"
    assert body["errors"][0]["field"] == "password" and body["errors"][0]["code"] == "missing"


def test_a_body_that_is_not_json_is_a_400_problem(api, citizen_a):
    response = api.post("/api/v1/auth/tokens", "{not json", content_type="application/json")
    assert_problem(response, 400, "bad-request")
