"""Fixtures of the payments tests: the sample registry, citizens who pay, their bills, the sandbox bank.

The payments' clock is frozen at noon (Tehran) today for every test, so the amount a bill asks for
never changes under a test at midnight; tests move it with ``clock.travel``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from shahrvand.citizens.models import Citizen
from shahrvand.core.models import District
from shahrvand.payments import clock, sandbox
from shahrvand.registry.models import Person
from shahrvand.registry.services import audit_import
from shahrvand.revenue.models import Bill
from tests.factories import UserFactory
from tests.registry.conftest import SAMPLE
from tests.revenue.factories import make_bill

TEHRAN = ZoneInfo("Asia/Tehran")
PAYER = "7412154729"  # اکبر بجنوردی in the sample delivery
OTHER = "6786843352"  # کبری سلطانی
_codes = itertools.count(100)


def noon_today() -> dt.datetime:
    return dt.datetime.combine(timezone.now().astimezone(TEHRAN).date(), dt.time(12, 0), tzinfo=TEHRAN)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with clock.frozen(noon_today()):
        yield


@pytest.fixture(autouse=True)
def _sandbox_bank(settings):
    settings.SHAHRVAND_PAYMENT_GATEWAY = "sandbox"
    with sandbox.faults_set(**vars(sandbox.SandboxFaults())):
        yield


@pytest.fixture
def registry(district1):
    result = audit_import(actor=None, district=district1, path=SAMPLE)
    assert result.status == "applied"
    return district1


def make_citizen(national_code: str, district: District) -> Citizen:
    """An activated citizen account for a person of the registry (without the counter's paperwork)."""
    person = Person.objects.get(national_code=national_code)
    number = next(_codes)
    user = UserFactory(username=f"citizen{number}")
    now = timezone.now()
    return Citizen.objects.create(
        person=person,
        user=user,
        citizen_code=f"{number:09d}",
        district=district,
        mobile=f"+98915{number:07d}",
        id_document_type="national_card",
        id_document_number="0123456789",
        mobile_confirmed_at=now,
        activated_at=now,
    )


@pytest.fixture
def citizen(registry) -> Citizen:
    return make_citizen(PAYER, registry)


@pytest.fixture
def other_citizen(registry) -> Citizen:
    return make_citizen(OTHER, registry)


def bill_for(citizen: Citizen, *, instalment_no: int = 0, gross: int = 12_345_678) -> Bill:
    bill = make_bill(citizen.district, instalment_no=instalment_no, gross=gross)
    Bill.objects.filter(pk=bill.pk).update(payer=citizen.person)
    bill.refresh_from_db()
    return bill


@pytest.fixture
def bill(citizen) -> Bill:
    return bill_for(citizen)
