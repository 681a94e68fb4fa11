"""``/staff/``: tiles by what the staff member may do; the queue tile with its counts; the top link."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from tests.backoffice.helpers import make_case
from tests.factories import UserFactory, make_staff

pytestmark = pytest.mark.django_db


def tiles(client, user) -> dict:
    client.force_login(user)
    response = client.get("/staff/")
    assert response.status_code == 200
    return {tile.key: tile for tile in response.context["tiles"]}


def _resolves(name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


def test_the_url_names_are_the_contract():
    assert reverse("backoffice:home") == "/staff/"
    assert reverse("backoffice:dashboard") == "/staff/dashboard/"


def test_a_clerk_sees_the_queue_with_its_counts_but_no_dashboard(client, staff, district1, district2):
    clerk = staff("clerk")
    now = timezone.now()
    make_case(district1, assigned_to=clerk)
    make_case(district1, due=now - dt.timedelta(days=1))
    make_case(district1)
    make_case(district2)  # not theirs
    shown = tiles(client, clerk)
    assert {"queue", "registry", "enrollment"} <= set(shown)
    assert not {"dashboard", "audit", "revenue", "staff_accounts", "districts"} & set(shown)
    figures = [(str(f.label), f.value) for f in shown["queue"].figures]
    assert figures == [("در انتظار نقش من", 3), ("سپرده به من", 1), ("سپرده‌نشده", 2), ("گذشته از مهلت", 1)]
    assert shown["queue"].figures[3].alert


def test_a_manager_sees_the_dashboard(client, staff):
    shown = tiles(client, staff("manager"))
    assert {"queue", "dashboard", "registry"} <= set(shown)
    assert shown["dashboard"].url == "/staff/dashboard/"


def test_an_auditor_sees_the_audit_trail_and_the_dashboard_but_no_queue(client, staff):
    shown = tiles(client, staff("auditor"))
    assert {"audit", "dashboard", "registry"} <= set(shown)
    assert "queue" not in shown


def test_a_revenue_officer_sees_revenue_and_settlement(client, staff):
    shown = tiles(client, staff("revenue"))
    assert {"revenue", "settlement", "queue"} <= set(shown)


def test_the_city_admin_sees_go_live_and_staff_accounts(client, city, district1):
    shown = tiles(client, make_staff("city_admin", None, city=city))
    assert {"districts", "dashboard"} <= set(shown)
    assert ("staff_accounts" in shown) == _resolves("staff_accounts:list")


def test_a_planning_officer_sees_permits_when_the_permits_package_offers_them(client, staff):
    shown = tiles(client, staff("planning"))
    # The permits package lands on its own: the tile appears once it has a staff list or its request type.
    from shahrvand.cases.workflows import WORKFLOWS

    expected = any(
        _resolves(n) for n in ("permits:staff_list", "permits:staff_queue", "permits:staff_index", "permits:staff")
    ) or ("building_permit" in WORKFLOWS)
    assert ("permits" in shown) == expected


def test_someone_who_is_not_staff_is_refused(client):
    client.force_login(UserFactory())
    assert client.get("/staff/").status_code in {302, 403}


def test_the_top_staff_link_leads_here(client, staff):
    client.force_login(staff("clerk"))
    page = client.get("/staff/").content.decode()
    assert 'href="/staff/" aria-current="page">میز کار کارکنان</a>' in page
