"""Schemathesis against the app's own OpenAPI document: every operation, generated requests, no 5xx,
every response (status and body) as the document declares. Bounded to a few examples per operation.

Runs in process through the WSGI application (no server, no network) with a citizen token and a
notary's and a bank's key made in fixtures; on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from shahrvand.api.services import citizen_token_issue
from shahrvand.revenue.services import clearance_request
from tests.api.conftest import A_FLAT, A_OTHER_FLAT
from tests.citizens.conftest import PASSWORD

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
MAX_EXAMPLES = 15


@pytest.fixture
def api_schema(db):
    """The document loaded through the WSGI application, as a client would see it.

    Django closes the database connection at the end of each request (``close_old_connections``);
    inside a test's transaction that would end the test's connection, so, as Django's own test
    client does, the WSGI requests here do not close it.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def credentials(settings, citizen_a, bill_a, citizen_b, bill_b, notary_key, bank_key):
    """Generous rates (the limits have their own tests), and who calls each part of the API."""
    settings.SHAHRVAND_API_CITIZEN_RATE = "100000/m"
    settings.SHAHRVAND_API_KEY_RATE = "100000/m"
    settings.SHAHRVAND_VERIFY_RATE = "100000/m"
    return {"citizen": citizen_a.citizen, "notary": notary_key, "bank": bank_key, "bill": bill_a}


def _known(credentials: dict) -> list[tuple[str, str, dict]]:
    """Requests with identifiers that exist (random ones are almost always 404): the happy paths."""
    citizen = credentials["citizen"]
    case = clearance_request(
        user=citizen.user, person=citizen.person, district=citizen.district, property_code=A_OTHER_FLAT, purpose="-"
    )
    number = case.data["document"]
    bill_id = credentials["bill"].bill_id
    return [
        ("POST", "/api/v1/auth/tokens", {"body": {"identifier": citizen.citizen_code, "password": PASSWORD}}),
        ("GET", "/api/v1/properties/{renovation_code}", {"path_parameters": {"renovation_code": A_FLAT}}),
        ("GET", "/api/v1/bills/{bill_id}", {"path_parameters": {"bill_id": bill_id}}),
        ("GET", "/api/v1/bills", {"query": {"status": "open", "limit": 1}}),
        ("GET", "/api/v1/requests/{tracking_code}", {"path_parameters": {"tracking_code": case.tracking_code}}),
        ("GET", "/api/v1/documents/{number}", {"path_parameters": {"number": number}}),
        ("GET", "/api/v1/documents/{number}/verification", {"path_parameters": {"number": number}}),
        ("GET", "/api/v1/bank/bills/{bill_id}", {"path_parameters": {"bill_id": bill_id}}),
        ("POST", "/api/v1/notary/inquiries", {"body": {"renovation_code": A_FLAT, "inquiry_ref": "12"}}),
        ("POST", "/api/v1/bills/{bill_id}/payments", {"path_parameters": {"bill_id": bill_id}}),
    ]


def _secret(path: str, credentials: dict) -> str:
    if path.startswith("/api/v1/notary/"):
        return credentials["notary"]
    if path.startswith("/api/v1/bank/"):
        return credentials["bank"]
    # A fresh token per example: DELETE /auth/tokens/current revokes the one it is sent with.
    return citizen_token_issue(citizen=credentials["citizen"]).secret


def test_api_conforms_to_its_openapi_document(api_schema, credentials):
    """Every operation in one test (one database set-up), each with its own Hypothesis run."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert operations
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
        def run(case):
            secret = _secret(case.operation.path, credentials)
            response = case.call(headers={"Authorization": f"Bearer {secret}"})
            case.validate_response(response, checks=CHECKS)

        run()

    statuses = []
    for method, path, parts in _known(credentials):
        operation = api_schema[path][method]
        case = operation.Case(**parts)
        response = case.call(headers={"Authorization": f"Bearer {_secret(path, credentials)}"})
        case.validate_response(response, checks=CHECKS)
        statuses.append(response.status_code)
        if path == "/api/v1/notary/inquiries":
            pdf = operation.schema["/api/v1/notary/documents/{number}/pdf"]["GET"].Case(
                path_parameters={"number": response.json()["number"]}
            )
            answer = pdf.call(headers={"Authorization": f"Bearer {credentials['notary']}"})
            pdf.validate_response(answer, checks=CHECKS)
            statuses.append(answer.status_code)
    assert statuses == [201, 200, 200, 200, 200, 200, 200, 200, 201, 200, 201]


def test_schema_has_every_operation(api_schema):
    operations = {f"{op.ok().method.upper()} {op.ok().path}" for op in api_schema.get_all_operations()}
    assert "POST /api/v1/notary/inquiries" in operations
    assert "GET /api/v1/bank/bills/{bill_id}" in operations
    assert len(operations) == 16
