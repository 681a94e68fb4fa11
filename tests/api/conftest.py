"""Fixtures of the API tests: the sample registry in District 1, two activated citizens with tokens,
a notary's and a bank's key, bills, and the sandbox bank with the payments' clock frozen at noon."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import timezone

from shahrvand.api.services import citizen_token_issue, institution_key_issue
from shahrvand.citizens.codes import new_citizen_code
from shahrvand.citizens.models import Citizen
from shahrvand.registry.models import Person, Unit
from shahrvand.revenue.models import Bill
from tests.citizens.conftest import OTHER_OWNER, PASSWORD, TWO_APARTMENTS
from tests.factories import UserFactory
from tests.payments import conftest as payments
from tests.revenue.factories import make_bill

A_FLAT = "1-1-100-3-1-2-0"  # TWO_APARTMENTS (citizen A) owns it
A_OTHER_FLAT = "1-1-100-6-1-4-0"
B_FLAT = "1-1-100-6-1-3-0"  # OTHER_OWNER (citizen B) owns it


# The payments tests' fixtures: the clock frozen at noon, the sandbox bank, the sample registry.
_frozen_clock = payments._frozen_clock
_sandbox_bank = payments._sandbox_bank
registry = payments.registry


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@dataclass
class ApiCitizen:
    citizen: Citizen
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}


def make_citizen(national_code: str, district) -> Citizen:
    """An activated citizen account with the portal password :data:`PASSWORD` (without the counter's
    paperwork, whose enrollment slip is a PDF; the counter is tested in tests/citizens)."""
    person = Person.objects.get(national_code=national_code)
    user = UserFactory(username=f"citizen-{national_code}")
    user.set_password(PASSWORD)
    user.save()
    now = timezone.now()
    return Citizen.objects.create(
        person=person,
        user=user,
        citizen_code=new_citizen_code(),
        district=district,
        mobile=f"+98915{national_code[-7:]}",
        id_document_type="national_card",
        id_document_number="0123456789",
        mobile_confirmed_at=now,
        activated_at=now,
    )


@pytest.fixture
def citizen_a(registry) -> ApiCitizen:
    citizen = make_citizen(TWO_APARTMENTS, registry)
    return ApiCitizen(citizen, citizen_token_issue(citizen=citizen).secret)


@pytest.fixture
def citizen_b(registry) -> ApiCitizen:
    citizen = make_citizen(OTHER_OWNER, registry)
    return ApiCitizen(citizen, citizen_token_issue(citizen=citizen).secret)


def bill_for(person_citizen: Citizen, unit_code: str, **kwargs) -> Bill:
    """An open bill on ``unit_code`` whose payer is the citizen."""
    unit = Unit.objects.get(code=unit_code)
    bill = make_bill(unit.district, unit=unit, **kwargs)
    Bill.objects.filter(pk=bill.pk).update(payer=person_citizen.person)
    bill.refresh_from_db()
    return bill


@pytest.fixture
def bill_a(citizen_a) -> Bill:
    return bill_for(citizen_a.citizen, A_FLAT)


@pytest.fixture
def bill_b(citizen_b) -> Bill:
    return bill_for(citizen_b.citizen, B_FLAT)


@pytest.fixture
def notary_key(city) -> str:
    return institution_key_issue(
        kind="notary", name="دفتر اسناد رسمی ۱۲", office_number="12", city=city, issued_by="test"
    ).secret


@pytest.fixture
def bank_key(city) -> str:
    return institution_key_issue(kind="bank", name="بانک ملت", office_number="5501", city=city, issued_by="test").secret


@pytest.fixture
def api() -> Client:
    return Client()


def assert_problem(response, status: int, slug: str) -> dict:
    """The response is a problem document (RFC 9457) of this status and type."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == f"urn:shahrvand:problem:{slug}"
    assert body["status"] == status
    assert body["title"] and body["detail"]
    assert body["instance"] == response.request["PATH_INFO"]
    assert set(body) <= {"type", "title", "status", "detail", "instance", "errors"}
    return body
