from __future__ import annotations

import pytest
from django.test import Client

from shahrvand.registry.services import audit_import
from tests.citizens.conftest import TWO_APARTMENTS, activate, enroll, signed_in
from tests.identity.helpers import force_login_verified

PARCEL = "1-1-100-3-0-0-0"  # zone M211 in the sample; the land of TWO_APARTMENTS' apartment 1-1-100-3-1-2-0
APARTMENT = "1-1-100-3-1-2-0"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def registry(district1):
    """District 1 with the sample audit delivery applied."""
    from tests.registry.conftest import SAMPLE

    assert audit_import(actor=None, district=district1, path=SAMPLE).status == "applied"
    return district1


@pytest.fixture
def officer(staff):
    """A planning officer of District 1."""
    return staff("planning")


@pytest.fixture
def officer_client(officer) -> Client:
    client = Client()
    force_login_verified(client, officer)
    return client


@pytest.fixture
def owner(registry, staff):
    """The activated citizen who owns APARTMENT (and 1-1-100-6-1-4-0), with a signed-in client."""
    citizen = activate(enroll(staff("clerk"), registry, TWO_APARTMENTS))
    return citizen, signed_in(citizen)
