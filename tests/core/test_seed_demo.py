"""seed_demo builds the demo city through the services; demo_accounts prints the logins."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shahrvand.audit.selectors import audit_chain_verify
from shahrvand.core.access import Action, may
from shahrvand.core.models import City, District, Role, RoleGrant, User
from shahrvand.demo.accounts import DEMO_STAFF

pytestmark = pytest.mark.django_db


def _seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_empty_seed_builds_city_districts_and_one_account_per_role():
    _seed("--empty")

    city = City.objects.get(slug="bojnurd")
    assert list(District.objects.values_list("slug", flat=True)) == ["bojnurd-1", "bojnurd-2"]
    assert set(RoleGrant.objects.values_list("role", flat=True)) == set(Role.values)
    assert User.objects.count() == len(DEMO_STAFF)
    clerk = User.objects.get(username="clerk")
    assert clerk.check_password("demo-clerk-1405")
    d1, d2 = District.objects.order_by("number")
    assert may(clerk, Action.ENROLL, d1) and not may(clerk, Action.ENROLL, d2)
    assert may(User.objects.get(username="admin"), Action.DISTRICT_GO_LIVE, d2)
    assert city.company_code == "217"
    assert audit_chain_verify().intact


def test_seed_is_idempotent_and_if_empty_skips():
    _seed("--empty")
    grants = RoleGrant.objects.count()
    _seed("--empty")
    assert RoleGrant.objects.count() == grants
    assert "already holds a city" in _seed("--if-empty")


def test_demo_accounts_prints_every_role_and_password():
    _seed("--empty")
    out = io.StringIO()
    call_command("demo_accounts", stdout=out)
    text = out.getvalue()
    for account in DEMO_STAFF:
        assert account.username in text and account.password in text


def test_negative_households_is_a_usage_error():
    with pytest.raises(CommandError, match="households"):
        _seed("--households", "-1")


def test_seed_goes_through_the_real_importer_and_is_deterministic(tmp_path):
    from shahrvand.audit.models import AuditEntry
    from shahrvand.demo.generator import DeliverySpec, write_delivery
    from shahrvand.registry.models import Delivery, Parcel, Person, Unit

    out = _seed("--households", "60", "--seed", "7")

    expected_d1 = write_delivery(DeliverySpec(district_number=1, households=60, seed=8), tmp_path / "d1")
    expected_d2 = write_delivery(DeliverySpec(district_number=2, households=20, seed=9), tmp_path / "d2")
    d1, d2 = District.objects.order_by("number")
    assert Unit.objects.filter(district=d1).count() == expected_d1["units.csv"]
    assert Unit.objects.filter(district=d2).count() == expected_d2["units.csv"]
    assert Parcel.objects.filter(district=d1).count() == expected_d1["parcels.csv"]
    assert Person.objects.count() == expected_d1["people.csv"] + expected_d2["people.csv"]
    assert list(Delivery.objects.order_by("id").values_list("district__slug", "status")) == [
        ("bojnurd-1", "applied"),
        ("bojnurd-2", "applied"),
    ]
    applies = AuditEntry.objects.filter(action="registry.delivery_apply")
    assert list(applies.values_list("actor_label", flat=True)) == ["seed_demo", "seed_demo"]
    assert "bojnurd-1: applied" in out


def test_demo_staff_have_a_second_factor_and_demo_totp_prints_its_code():
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    _seed("--empty")
    device = TOTPDevice.objects.get(user__username="clerk", confirmed=True)
    out = io.StringIO()
    before = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=6):06d}"
    call_command("demo_totp", "clerk", stdout=out)
    after = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=6):06d}"
    assert out.getvalue().strip() in {before, after}  # the 30-second step may turn during the call
    assert TOTPDevice.objects.filter(confirmed=True).count() == len(DEMO_STAFF)
