"""Fixtures shared by every test package: a city with two districts and staff per role."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.factories import CityFactory, DistrictFactory, make_staff

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture
def city(db):
    return CityFactory()


@pytest.fixture
def district1(city):
    return DistrictFactory(city=city, number=1, eservices_enabled=True)  # District 1 is live, as in the pilot


@pytest.fixture
def district2(city):
    return DistrictFactory(city=city, number=2)


@pytest.fixture
def staff(district1):
    """A factory: ``staff("clerk")`` is a user holding that role in District 1."""

    def make(role: str, district=district1, **kwargs):
        return make_staff(role, district, **kwargs)

    return make


def _browser_unavailable_reason() -> str | None:
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        return f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _browser_unavailable_reason()
    if reason:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    # Playwright's sync API runs an event loop in this thread; the live server's ORM calls
    # happen in its own thread, and test set-up calls are synchronous by construction.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="fa-IR", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


@pytest.fixture(autouse=True)
def _signing_keys_in_tmp(settings, tmp_path_factory):
    """Private signing keys of tests live in a temporary folder, never in var/."""
    settings.SHAHRVAND_KEY_DIR = tmp_path_factory.mktemp("keys")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and cached pages do not leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client():
    """Django's test client whose ``force_login`` also passes the staff second factor (TOTP).

    Tests of signing in post to the pages themselves; this only spares the other staff-page
    tests the two-step sign-in.
    """
    from tests.identity.helpers import VerifiedClient

    return VerifiedClient()
