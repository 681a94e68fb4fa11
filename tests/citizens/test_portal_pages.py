"""The portal's pages over HTTP: each renders for its citizen, in Persian, with their records."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shahrvand.core.text import to_persian_digits

pytestmark = pytest.mark.django_db


def test_dashboard_lists_the_citizens_properties(citizen_a):
    response = citizen_a.client.get(reverse("citizens:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert to_persian_digits("1-1-100-3-1-2-0") in html
    assert to_persian_digits("1-1-100-6-1-4-0") in html
    assert "Content-Security-Policy" in response.headers


@pytest.mark.parametrize(
    "name,args",
    [
        ("citizens:properties", []),
        ("citizens:property", ["1-1-100-3-1-2-0"]),
        ("citizens:property_correction", ["1-1-100-3-1-2-0"]),
        ("citizens:businesses", []),
        ("citizens:requests", []),
        ("citizens:documents", []),
        ("citizens:bills", []),
        ("citizens:settings", []),
        ("citizens:profile", []),
        ("citizens:person_correction", []),
        ("citizens:mobile_change", []),
    ],
)
def test_every_page_renders(citizen_a, name, args):
    response = citizen_a.client.get(reverse(name, args=args))
    assert response.status_code == 200, response.content[:3000]


def test_the_portal_reads_left_to_right_in_english(citizen_a):
    citizen_a.client.cookies["shahrvand_language"] = "en"
    response = citizen_a.client.get(reverse("citizens:dashboard"))
    html = response.content.decode()
    assert 'dir="ltr"' in html
    assert "My properties" in html and "1-1-100-3-1-2-0" in html


def test_citizen_pages_are_persian_and_right_to_left(citizen_a):
    html = citizen_a.client.get(reverse("citizens:property", args=["1-1-100-3-1-2-0"])).content.decode()
    assert 'dir="rtl"' in html
    assert "املاک من" in html and "ضوابط شهرسازی" in html
    assert 'data-outline-id="parcel-outline"' in html and 'id="parcel-outline"' in html
    assert "<style" not in html and " style=" not in html


def test_public_pages_render(registry, client):
    for name in ("citizens:login", "citizens:activate"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert "<style" not in response.content.decode()
