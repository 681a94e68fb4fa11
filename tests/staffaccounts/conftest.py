"""Fixtures of the staff-accounts tests: a city administrator, a second city with its own admin."""

from __future__ import annotations

import pytest

from shahrvand.core.models import City
from tests.factories import CityFactory, DistrictFactory, make_staff


@pytest.fixture
def admin(city, district1, district2):
    """Bojnurd's city administrator (a city-wide grant); both districts exist."""
    return make_staff("city_admin", None, city=city, username="admin", first_name="محمد", last_name="شریفی")


@pytest.fixture
def other_city(db) -> City:
    city = CityFactory(slug="shirvan", name="شیروان", name_en="Shirvan", legal_id="10380284790", company_code="218")
    DistrictFactory(city=city, number=1)
    return city


@pytest.fixture
def other_admin(other_city):
    return make_staff("city_admin", None, city=other_city, username="shirvan-admin")


@pytest.fixture
def clerk(staff):
    return staff("clerk", username="clerk1", first_name="زهرا", last_name="کریمی")
