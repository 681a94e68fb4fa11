"""Requests in a real browser: a clerk finds the overdue request in the queue, opens it and accepts
it; the registry holds the corrected value. No console error (the CSP forbids inline styles)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from shahrvand.cases.models import Case
from shahrvand.cases.workflows import DATA_CORRECTION
from shahrvand.core.text import to_persian_digits
from shahrvand.registry.models import Unit
from tests.cases.conftest import file_case
from tests.factories import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-1405"  # tests.factories.UserFactory


def _sign_in(page, username: str) -> None:
    """Password, then the staff second factor when the identity package is in the tree."""
    try:
        from tests.e2e.staff import sign_in_staff
    except ImportError:
        page.goto("/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(re.compile(r".*/$"))
    else:
        sign_in_staff(page, username, PASSWORD)


def _watch(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("response", lambda r: problems.append(f"{r.status}: {r.url}") if r.status >= 500 else None)
    return problems


def test_clerk_accepts_an_overdue_correction(page, live_server, registry, district1, citizen_user, tmp_path):
    problems = _watch(page)
    make_staff("clerk", district1, username="clerk1", first_name="مریم", last_name="احمدی")
    late = file_case(DATA_CORRECTION, registry, district1, citizen_user)
    fresh = file_case(DATA_CORRECTION, registry, district1, citizen_user)
    Case.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(days=6))

    _sign_in(page, "clerk1")

    page.goto("/staff/cases/")
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 2
    assert "queue__row--overdue" in (rows.nth(0).get_attribute("class") or "")
    assert to_persian_digits(late.tracking_code) in rows.nth(0).inner_text()
    assert to_persian_digits(fresh.tracking_code) in rows.nth(1).inner_text()
    assert "از مهلت گذشته" in rows.nth(0).inner_text()
    page.screenshot(path=str(tmp_path / "cases-queue.png"), full_page=True)

    rows.nth(0).locator("a").click()
    page.wait_for_url(re.compile(rf".*/staff/cases/{late.tracking_code}/$"))
    assert page.locator("form.move").count() == 3
    accept = page.locator("form.move").filter(has_text="پذیرش و اصلاح سابقه")
    accept.locator("textarea").fill("با سند تطبیق داده شد.")
    accept.locator("button[type=submit]").click()
    page.wait_for_selector(".message--success")
    assert page.locator(".case-status--accepted").count() == 1
    assert page.locator("form.move").count() == 0
    assert "با سند تطبیق داده شد." in page.locator(".timeline").inner_text()
    page.screenshot(path=str(tmp_path / "cases-accepted.png"), full_page=True)

    late.refresh_from_db()
    unit = Unit.objects.get(district=district1, code=registry.owner_unit)
    assert late.status == "accepted" and late.needed_visit is False
    assert to_persian_digits(f"{unit.area_m2:.2f}").replace(".", "٫") == late.data["changes"]["area_m2"]
    assert problems == []
