"""One error shape: problem details for every refusal, Persian by default, English on request; rate limits."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem

pytestmark = pytest.mark.django_db


def test_titles_are_persian_by_default_and_english_on_request(api, citizen_a):
    fa = assert_problem(api.get("/api/v1/bills/123"), 401, "unauthorized")
    assert fa["title"] == "احراز هویت لازم است"
    en = api.get("/api/v1/bills/123", HTTP_ACCEPT_LANGUAGE="en")
    assert en.json()["title"] == "Authentication is required" and en["Content-Language"] == "en"


def test_unknown_address_and_wrong_method_are_problems(api):
    assert_problem(api.get("/api/v1/no-such-thing"), 404, "not-found")
    assert_problem(api.get("/api/v1/"), 404, "not-found")
    response = api.patch("/api/v1/me")
    assert_problem(response, 405, "method-not-allowed")
    assert response["Allow"] == "GET"


def test_citizen_rate_limit_is_a_429_problem_with_retry_after(api, citizen_a, settings):
    settings.SHAHRVAND_API_CITIZEN_RATE = "3/m"
    for _ in range(3):
        assert api.get("/api/v1/me", **citizen_a.auth).status_code == 200
    response = api.get("/api/v1/me", **citizen_a.auth)
    assert_problem(response, 429, "rate-limited")
    assert 1 <= int(response["Retry-After"]) <= 60


def test_key_rate_limit(api, registry, bank_key, settings):
    settings.SHAHRVAND_API_KEY_RATE = "2/m"
    headers = {"HTTP_X_API_KEY": bank_key}
    for _ in range(2):
        assert api.get("/api/v1/bank/bills/99", **headers).status_code == 422
    response = api.get("/api/v1/bank/bills/99", **headers)
    assert_problem(response, 429, "rate-limited")
    assert int(response["Retry-After"]) >= 1


def test_public_verification_is_rate_limited(api, settings):
    settings.SHAHRVAND_VERIFY_RATE = "2/m"
    for _ in range(2):
        api.get("/api/v1/documents/x/verification")
    response = api.get("/api/v1/documents/x/verification")
    assert_problem(response, 429, "rate-limited")
    assert "Retry-After" in response


def test_a_server_error_is_a_500_problem_without_internals(api, registry, notary_key, monkeypatch):
    from shahrvand.api import services

    def broken(**kwargs):
        raise RuntimeError("database exploded: secret detail")

    monkeypatch.setattr(services, "notary_inquiry_answer", broken)
    response = api.post(
        "/api/v1/notary/inquiries",
        {"renovation_code": "1-1-100-3-0-0-0"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {notary_key}",
    )
    body = assert_problem(response, 500, "server-error")
    assert "secret" not in response.content.decode()
    assert body["title"]


def test_the_openapi_document_declares_problems(api):
    response = api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["version"] == "1.0.0"
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "500" in responses, (path, method)
            for status, declared in responses.items():
                if status[0] in "45":
                    assert list(declared["content"]) == ["application/problem+json"], (path, method, status)


def test_control_characters_are_refused_before_they_reach_the_database(api, registry, notary_key, bank_key):
    """Found by Schemathesis on PostgreSQL: a NUL in a renovation code reached the audit trail (500)."""
    body = assert_problem(
        api.post(
            "/api/v1/notary/inquiries",
            {"renovation_code": "1-1-100\u0000-3"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {notary_key}",
        ),
        422,
        "validation",
    )
    assert body["errors"][0]["field"] == "renovation_code"
    assert_problem(api.get("/api/v1/bank/bills/12%0034", HTTP_X_API_KEY=bank_key), 422, "validation")
