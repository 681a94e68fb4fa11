"""The demo citizen that ``seed_demo`` creates: enrolled and activated through the real services."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from shahrvand.citizens.demo import DEMO_CITIZEN_PASSWORD, demo_citizen_create
from shahrvand.citizens.models import Citizen
from shahrvand.registry.models import Ownership

pytestmark = pytest.mark.django_db


def test_demo_citizen_is_enrolled_activated_and_can_sign_in(registry, clerk):
    citizen, password = demo_citizen_create(registry)
    assert password == DEMO_CITIZEN_PASSWORD
    assert citizen.activated_at is not None
    assert citizen.enrolled_by == clerk
    assert Ownership.objects.filter(person=citizen.person).count() >= 2
    client = Client()
    response = client.post(
        reverse("citizens:login"), {"identifier": citizen.person.national_code, "password": password}
    )
    assert response.status_code == 302
    assert client.get(reverse("citizens:dashboard")).status_code == 200


def test_demo_citizen_is_created_once(registry, clerk):
    first, _ = demo_citizen_create(registry)
    again, _ = demo_citizen_create(registry)
    assert first.pk == again.pk
    assert Citizen.objects.count() == 1


def test_demo_citizen_needs_a_clerk(registry):
    with pytest.raises(ValueError, match="clerk"):
        demo_citizen_create(registry)
