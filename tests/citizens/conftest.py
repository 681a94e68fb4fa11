"""Fixtures of the citizens tests: the sample audit in District 1, a verified clerk, enrolled citizens.

The citizens package is wired into the project settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.test import Client

from shahrvand.citizens import services
from shahrvand.citizens.models import Citizen
from shahrvand.citizens.services import LinkDecision
from shahrvand.registry.models import Business, Ownership, Person
from shahrvand.registry.services import audit_import
from shahrvand.sms.models import OutboxMessage
from tests.identity.helpers import sign_in_verified
from tests.registry.conftest import SAMPLE

PASSWORD = "a-long-citizen-passphrase-1405"
# People of the sample delivery (tests/data/sample-audit): two apartments each, or one apartment.
TWO_APARTMENTS = "7412154729"  # اکبر بجنوردی: 1-1-100-3-1-2-0 and 1-1-100-6-1-4-0
OTHER_OWNER = "6786843352"  # کبری سلطانی: 1-1-100-6-1-3-0 and 1-1-100-8-1-3-0
HALF_OWNER = "4821993511"  # نرگس محمدی: 3 dang of 1-1-100-1-1-1-0 (with 3231948754)
SHOPKEEPER = "1114893641"  # لیلا رضایی: runs B1000001 in shop 1-1-100-8-1-0-1
NOT_IN_AUDIT = "0076229645"
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and lockouts live in the cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def registry(district1):
    """District 1 with the sample audit delivery applied."""
    result = audit_import(actor=None, district=district1, path=SAMPLE)
    assert result.status == "applied"
    return district1


@pytest.fixture
def clerk(staff):
    return staff("clerk")


@pytest.fixture
def clerk_client(clerk) -> Client:
    """A clerk of District 1 signed in with password and TOTP."""
    client = Client()
    sign_in_verified(client, clerk)
    return client


def all_confirmed(person: Person, district) -> list[LinkDecision]:
    """The clerk's decisions when the citizen confirms everything the registry links to them."""
    decisions = [
        LinkDecision(kind="property", code=o.property_code, status="confirmed")
        for o in Ownership.objects.filter(person=person, district=district, missing_since__isnull=True)
    ]
    decisions += [
        LinkDecision(kind="business", code=b.business_code, status="confirmed")
        for b in Business.objects.filter(operator=person, district=district, missing_since__isnull=True)
    ]
    return decisions


def mobile_for(national_code: str) -> str:
    """A distinct mobile per person that the sandbox matching service accepts (it ends neither 0000 nor 9999)."""
    return f"0915{national_code[-7:]}"


def enroll(clerk, district, national_code: str, **overrides) -> services.EnrollmentResult:
    person = Person.objects.filter(national_code=national_code).first()
    arguments = {
        "actor": clerk,
        "district": district,
        "national_code": national_code,
        "id_document_type": "national_card",
        "id_document_number": "0123456789",
        "mobile": mobile_for(national_code),
        "confirmations": all_confirmed(person, district) if person is not None else [],
    }
    arguments.update(overrides)
    return services.citizen_enroll(**arguments)


def last_code_to(mobile: str) -> str:
    from shahrvand.core.identifiers import parse_mobile

    message = OutboxMessage.objects.filter(to=parse_mobile(mobile)).order_by("-created_at", "-pk").first()
    assert message is not None, f"no SMS to {mobile}"
    found = CODE.search(message.text)
    assert found, message.text
    return found.group(1)


def activate(result: services.EnrollmentResult, password: str = PASSWORD) -> Citizen:
    citizen = result.citizen
    services.citizen_activation_start(citizen_code=citizen.citizen_code, activation_code=result.activation_code_plain)
    return services.citizen_activate(
        citizen_code=citizen.citizen_code,
        activation_code=result.activation_code_plain,
        otp_code=last_code_to(citizen.mobile),
        password=password,
    )


@dataclass
class Enrolled:
    citizen: Citizen
    result: services.EnrollmentResult
    client: Client


def signed_in(citizen: Citizen) -> Client:
    client = Client()
    client.force_login(citizen.user)
    return client


@pytest.fixture
def citizen_a(registry, clerk) -> Enrolled:
    """An activated citizen with two apartments, signed in."""
    result = enroll(clerk, registry, TWO_APARTMENTS)
    citizen = activate(result)
    return Enrolled(citizen, result, signed_in(citizen))


@pytest.fixture
def citizen_b(registry, clerk) -> Enrolled:
    """Another activated citizen (two other apartments), signed in."""
    result = enroll(clerk, registry, OTHER_OWNER)
    citizen = activate(result)
    return Enrolled(citizen, result, signed_in(citizen))
