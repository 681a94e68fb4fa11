"""With SHAHRVAND_CACHE_URL set, a rate limit holds across processes (several gunicorn workers).

Two real processes count against one Redis: hits made in a child process refuse the parent's next hit.
Needs the machine's Redis (127.0.0.1:6379); without one the test is skipped with that reason.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.test import override_settings

from shahrvand.identity.ratelimit import RateLimited, check_rate

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("SHAHRVAND_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _redis_up(), reason="no Redis listening on 127.0.0.1:6379")

REDIS_CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "shahrvand",
    }
}


def _settings_of(env: dict[str, str]) -> str:
    code = (
        "import django; django.setup(); from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "shahrvand.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip() or out.stderr.strip().splitlines()[-1]


def test_the_cache_url_selects_redis_and_a_bad_one_is_refused():
    assert _settings_of({"SHAHRVAND_CACHE_URL": REDIS_URL}) == "django.core.cache.backends.redis.RedisCache"
    assert _settings_of({"SHAHRVAND_CACHE_URL": ""}) == "django.core.cache.backends.locmem.LocMemCache"
    assert "SHAHRVAND_CACHE_URL must be" in _settings_of({"SHAHRVAND_CACHE_URL": "memcached://127.0.0.1"})


@override_settings(CACHES=REDIS_CACHES)
def test_a_limit_reached_in_another_process_refuses_this_one():
    key = f"test-shared:{uuid.uuid4().hex}"
    child = (
        "import django; django.setup()\n"
        "from shahrvand.identity.ratelimit import check_rate\n"
        f"for _ in range(3): check_rate({key!r}, 3, 600)\n"
        "print('three hits')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", child],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "shahrvand.settings", "SHAHRVAND_CACHE_URL": REDIS_URL},
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.stdout.strip() == "three hits", out.stderr[-2000:]

    with pytest.raises(RateLimited) as refused:
        check_rate(key, 3, 600)
    assert 1 <= refused.value.retry_after <= 600
