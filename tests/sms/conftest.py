"""The SMS tests' fixtures: a fresh cache, and a fake Kavenegar server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and lockouts live in the cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@dataclass
class FakeKavenegar:
    """A stand-in for Kavenegar's API on 127.0.0.1: records requests, answers from a script."""

    url: str = ""
    requests: list[dict] = field(default_factory=list)
    # (HTTP status, JSON body) answered in turn; when empty, a success.
    script: list[tuple[int, dict]] = field(default_factory=list)
    message_id: int = 8792343

    def success(self) -> tuple[int, dict]:
        return 200, {
            "return": {"status": 200, "message": "تایید شد"},
            "entries": [
                {
                    "messageid": self.message_id,
                    "message": "…",
                    "status": 1,
                    "statustext": "در صف ارسال",
                    "sender": "10004346",
                    "receptor": "09121234567",
                    "date": 1356619709,
                    "cost": 120,
                }
            ],
        }

    @staticmethod
    def error(status: int, message: str) -> tuple[int, dict]:
        return status, {"return": {"status": status, "message": message}, "entries": None}


@pytest.fixture
def kavenegar(settings):
    fake = FakeKavenegar()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            fake.requests.append(
                {
                    "method": "POST",
                    "path": self.path,
                    "content_type": self.headers.get("Content-Type", ""),
                    "accept": self.headers.get("Accept", ""),
                    "form": {k: v[0] for k, v in parse_qs(body.decode("utf-8")).items()},
                }
            )
            status, payload = fake.script.pop(0) if fake.script else fake.success()
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.SMS_BACKEND = "kavenegar"
    settings.KAVENEGAR_BASE_URL = fake.url
    settings.KAVENEGAR_API_KEY = "test-api-key-4242"
    settings.KAVENEGAR_SENDER = "10004346"
    settings.KAVENEGAR_TIMEOUT = 2
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
