"""/healthz, production's refusal of insecure settings, request ids and JSON-lines logs."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError

from shahrvand.core.context import reset_request_id, set_request_id
from shahrvand.core.logging import JsonLinesFormatter, RequestIdFilter

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k" * 30 + "QWERTYUIOPasdfghjkl1234567890"


@pytest.mark.django_db
def test_healthz_reports_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_fails(client, monkeypatch):
    from django.db import connection

    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unavailable"}


@pytest.mark.django_db
def test_every_response_carries_a_request_id_and_security_headers(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="proxy-given-id-123")
    assert response["X-Request-ID"] == "proxy-given-id-123"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"

    forged = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\r\nwith newline")
    assert forged["X-Request-ID"] != "bad id\r\nwith newline"
    assert len(forged["X-Request-ID"]) == 32


def _django_setup(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DJANGO_ENV"}}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)",
        ],
        env={**clean, "DJANGO_SETTINGS_MODULE": "shahrvand.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"ALLOWED_HOSTS": "city.example"}, "SECRET_KEY is missing"),
        (
            {"SECRET_KEY": "django-insecure-shahrvand-development-only-never-use-in-production", "ALLOWED_HOSTS": "a"},
            "development default",
        ),
        ({"SECRET_KEY": "short-key", "ALLOWED_HOSTS": "city.example"}, "at least 50 characters"),
        ({"SECRET_KEY": GOOD_KEY, "ALLOWED_HOSTS": "city.example", "DEBUG": "1"}, "DEBUG must be off"),
        ({"SECRET_KEY": GOOD_KEY}, "ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_insecure_defaults(env, complaint):
    result = _django_setup({"DJANGO_ENV": "production", **env})
    assert result.returncode != 0
    assert "Refusing to start in production" in result.stderr
    assert complaint in result.stderr


def test_production_starts_with_proper_settings():
    result = _django_setup({"DJANGO_ENV": "production", "SECRET_KEY": GOOD_KEY, "ALLOWED_HOSTS": "city.example"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_unknown_environment_name_is_refused():
    result = _django_setup({"DJANGO_ENV": "staging"})
    assert result.returncode != 0
    assert "DJANGO_ENV must be development, test or production" in result.stderr


def test_json_lines_formatter_includes_the_request_id():
    token = set_request_id("req-abc-12345")
    try:
        record = logging.LogRecord("shahrvand.test", logging.WARNING, __file__, 1, "پرداخت %s", ("ثبت شد",), None)
        RequestIdFilter().filter(record)
        line = JsonLinesFormatter().format(record)
    finally:
        reset_request_id(token)
    entry = json.loads(line)
    assert entry["message"] == "پرداخت ثبت شد"
    assert entry["request_id"] == "req-abc-12345"
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "shahrvand.test"
    assert "\n" not in line
