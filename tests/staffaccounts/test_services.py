"""Staff-account services: who may act, the guards, audit entries, temporary passwords, sessions."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django_otp.plugins.otp_totp.models import TOTPDevice

from shahrvand.audit.models import AuditEntry
from shahrvand.core.access import AccessDenied, Action, may
from shahrvand.core.models import Role, RoleGrant, User
from shahrvand.sms.models import OutboxMessage
from shahrvand.staffaccounts.models import StaffProfile
from shahrvand.staffaccounts.selectors import managed_cities
from shahrvand.staffaccounts.services import (
    StaffAccountError,
    sessions_end,
    staff_account_create,
    staff_account_deactivate,
    staff_account_reactivate,
    staff_password_change,
    staff_password_reset,
    staff_role_grant,
    staff_role_revoke,
    staff_totp_reset,
    temporary_password,
)
from tests.factories import make_staff
from tests.identity.helpers import confirmed_device

pytestmark = pytest.mark.django_db

MOBILE = "09121234567"


def _create(admin, city, district, **overrides):
    values = {
        "actor": admin,
        "city": city,
        "username": "n.rahimi",
        "first_name": "نرگس",
        "last_name": "رحیمی",
        "mobile": MOBILE,
        "national_code": "",
        "role": Role.CLERK,
        "district": district,
    }
    values.update(overrides)
    return staff_account_create(**values)


def _session_for(user: User) -> str:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store.create()
    return store.session_key


# --------------------------------------------------------------------------------------------------
# Who manages which city
# --------------------------------------------------------------------------------------------------


def test_only_a_city_wide_city_admin_manages_the_city(city, admin, district1, other_admin, other_city):
    manager = make_staff("manager", district1)
    one_district_admin = make_staff("city_admin", district1)

    assert managed_cities(admin) == [city]
    assert managed_cities(other_admin) == [other_city]
    assert managed_cities(manager) == []
    assert managed_cities(one_district_admin) == []


def test_a_manager_cannot_create_an_account(city, district1, admin):
    manager = make_staff("manager", district1)

    with pytest.raises(AccessDenied):
        _create(manager, city, district1)

    assert not User.objects.filter(username="n.rahimi").exists()


def test_an_admin_of_another_city_cannot_act_on_this_city(city, district1, other_admin, clerk):
    with pytest.raises(AccessDenied):
        _create(other_admin, city, district1)
    with pytest.raises(AccessDenied):
        staff_account_deactivate(actor=other_admin, user=clerk, city=city, reason="left")
    assert User.objects.get(pk=clerk.pk).is_active


# --------------------------------------------------------------------------------------------------
# Creating an account
# --------------------------------------------------------------------------------------------------


def test_creating_an_account_grants_the_first_role_and_texts_a_temporary_password(city, district1, admin):
    credentials = _create(admin, city, district1, national_code="0499370899")

    user = User.objects.get(username="n.rahimi")
    assert credentials.user == user and credentials.password == "" and credentials.sms_to == MOBILE
    assert user.is_active and user.get_full_name() == "نرگس رحیمی"
    grant = RoleGrant.objects.get(user=user)
    assert (grant.role, grant.district, grant.granted_by) == (Role.CLERK, district1, admin)
    profile = StaffProfile.objects.get(user=user)
    assert (profile.city, profile.mobile, profile.national_code) == (city, "+989121234567", "0499370899")
    assert profile.must_change_password and profile.created_by == admin
    sms = OutboxMessage.objects.get(to="+989121234567")
    assert sms.sensitive and "n.rahimi" in sms.text
    password = sms.text.split("گذرواژهٔ موقت: ")[1].split()[0]
    assert user.check_password(password)
    actions = list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))
    assert actions == ["core.role_grant", "staff.account_create"]
    entry = AuditEntry.objects.get(action="staff.account_create")
    assert entry.actor == admin and entry.target_id == str(user.pk) and entry.payload["role"] == "clerk"


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"username": "Ali Reza"}, "username_format", "username"),
        ({"username": "ab"}, "username_format", "username"),
        ({"mobile": "0212345678"}, "mobile.prefix", "mobile"),
        ({"national_code": "0499370898"}, "national_code.checksum", "national_code"),
        ({"role": "mayor"}, "unknown_role", "role"),
        ({"role": Role.CLERK, "district": None}, "needs_district", "district"),
        ({"role": Role.CITY_ADMIN}, "city_wide_only", "district"),
        ({"first_name": "  "}, "name_required", "first_name"),
    ],
)
def test_bad_input_is_refused_with_a_specific_error_and_nothing_is_written(
    city, district1, admin, overrides, code, field
):
    before = AuditEntry.objects.count()

    with pytest.raises(StaffAccountError) as refused:
        _create(admin, city, overrides.pop("district", district1), **overrides)

    assert refused.value.field == field
    assert refused.value.code.startswith(code.split(".")[0])
    assert refused.value.message_fa and refused.value.message_en
    assert not User.objects.filter(username__in=["n.rahimi", "ali reza", "ab"]).exists()
    assert AuditEntry.objects.count() == before and not OutboxMessage.objects.exists()


def test_a_taken_username_or_national_code_is_refused(city, district1, admin, clerk):
    with pytest.raises(StaffAccountError) as refused:
        _create(admin, city, district1, username="CLERK1")
    assert refused.value.code == "username_taken"

    _create(admin, city, district1, national_code="0499370899")
    with pytest.raises(StaffAccountError) as refused:
        _create(admin, city, district1, username="second", mobile="09120000000", national_code="0499370899")
    assert refused.value.code == "national_code_taken"


def test_an_auditor_may_be_city_wide_or_in_a_district(city, district1, admin):
    _create(admin, city, None, username="aud.city", role=Role.AUDITOR)
    _create(admin, city, district1, username="aud.d1", role=Role.AUDITOR, mobile="09120000001")

    assert RoleGrant.objects.get(user__username="aud.city").district is None
    assert RoleGrant.objects.get(user__username="aud.d1").district == district1


def test_temporary_passwords_are_random_and_readable():
    first, second = temporary_password(), temporary_password()
    assert first != second
    assert len(first) == 14 and first.count("-") == 2
    assert not set(first) & set("01ilo")


# --------------------------------------------------------------------------------------------------
# Grants
# --------------------------------------------------------------------------------------------------


def test_grant_and_revoke_with_a_reason_are_audited(city, district2, admin, clerk):
    grant = staff_role_grant(actor=admin, user=clerk, city=city, role=Role.INSPECTOR, district=district2)
    assert may(clerk, Action.SITE_VISIT, district2)

    staff_role_revoke(actor=admin, grant=grant, reason="Moved back to the counter")

    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert not may(clerk, Action.SITE_VISIT, district2)
    entry = AuditEntry.objects.get(action="core.role_revoke")
    assert entry.payload["reason"] == "Moved back to the counter" and entry.actor == admin
    assert entry.district == district2


def test_a_duplicate_active_grant_is_refused(city, district1, admin, clerk):
    with pytest.raises(StaffAccountError) as refused:
        staff_role_grant(actor=admin, user=clerk, city=city, role=Role.CLERK, district=district1)
    assert refused.value.code == "duplicate_grant"

    staff_role_grant(actor=admin, user=clerk, city=city, role=Role.AUDITOR, district=None)
    with pytest.raises(StaffAccountError) as refused:
        staff_role_grant(actor=admin, user=clerk, city=city, role=Role.AUDITOR, district=district1)
    assert refused.value.code == "covered_city_wide"
    assert RoleGrant.objects.filter(user=clerk, revoked_at__isnull=True).count() == 2


def test_a_role_can_be_granted_again_after_its_revocation(city, district1, admin, clerk):
    grant = RoleGrant.objects.get(user=clerk)
    staff_role_revoke(actor=admin, grant=grant, reason="pause")

    again = staff_role_grant(actor=admin, user=clerk, city=city, role=Role.CLERK, district=district1)

    assert again.pk != grant.pk
    assert RoleGrant.objects.filter(user=clerk).count() == 2


def test_revoking_needs_a_reason_and_a_live_grant(city, admin, clerk):
    grant = RoleGrant.objects.get(user=clerk)
    with pytest.raises(StaffAccountError) as refused:
        staff_role_revoke(actor=admin, grant=grant, reason="   ")
    assert refused.value.code == "reason_required"

    staff_role_revoke(actor=admin, grant=grant, reason="done")
    with pytest.raises(StaffAccountError) as refused:
        staff_role_revoke(actor=admin, grant=grant, reason="again")
    assert refused.value.code == "already_revoked"


def test_nobody_revokes_their_own_city_admin_role(city, admin):
    second = make_staff("city_admin", None, city=city)
    own = RoleGrant.objects.get(user=admin)

    with pytest.raises(StaffAccountError) as refused:
        staff_role_revoke(actor=admin, grant=own, reason="stepping down")

    assert refused.value.code == "own_admin"
    # Another administrator may.
    staff_role_revoke(actor=second, grant=own, reason="stepping down")
    assert managed_cities(admin) == []


def test_the_last_active_city_admin_keeps_the_role_and_stays_active(city, district1, district2, admin):
    # An administrator through district grants only (legacy data) manages the city but does not
    # count as a city-wide administrator; the city-wide one is the last.
    legacy = make_staff("city_admin", district1)
    RoleGrant.objects.create(user=legacy, role=Role.CITY_ADMIN, city=city, district=district2)
    inactive = make_staff("city_admin", None, city=city, is_active=False)
    assert inactive.is_active is False
    assert managed_cities(legacy) == [city]

    with pytest.raises(StaffAccountError) as refused:
        staff_role_revoke(actor=legacy, grant=RoleGrant.objects.get(user=admin), reason="x")
    assert refused.value.code == "last_admin"
    with pytest.raises(StaffAccountError) as refused:
        staff_account_deactivate(actor=legacy, user=admin, city=city, reason="x")
    assert refused.value.code == "last_admin"

    assert User.objects.get(pk=admin.pk).is_active
    assert RoleGrant.objects.get(user=admin).revoked_at is None


# --------------------------------------------------------------------------------------------------
# Deactivation, resets
# --------------------------------------------------------------------------------------------------


def test_deactivation_needs_a_reason_ends_sessions_and_is_audited(city, admin, clerk):
    clerk_session = _session_for(clerk)
    admin_session = _session_for(admin)
    with pytest.raises(StaffAccountError) as refused:
        staff_account_deactivate(actor=admin, user=clerk, city=city, reason="")
    assert refused.value.code == "reason_required"

    ended = staff_account_deactivate(actor=admin, user=clerk, city=city, reason="Left the municipality")

    assert ended == 1
    assert not Session.objects.filter(session_key=clerk_session).exists()
    assert Session.objects.filter(session_key=admin_session).exists()
    clerk.refresh_from_db()
    assert not clerk.is_active
    profile = StaffProfile.objects.get(user=clerk)
    assert profile.deactivation_reason == "Left the municipality" and profile.deactivated_by == admin
    entry = AuditEntry.objects.get(action="staff.account_deactivate")
    assert entry.payload["reason"] == "Left the municipality" and entry.payload["sessions_ended"] == 1
    # Roles are kept for a reactivation, but grant nothing while inactive.
    assert RoleGrant.objects.get(user=clerk).revoked_at is None
    assert managed_cities(clerk) == [] and not may(clerk, Action.ENROLL, RoleGrant.objects.get(user=clerk).district)

    with pytest.raises(StaffAccountError) as refused:
        staff_account_deactivate(actor=admin, user=clerk, city=city, reason="again")
    assert refused.value.code == "already_inactive"

    staff_account_reactivate(actor=admin, user=clerk, city=city)
    clerk.refresh_from_db()
    assert clerk.is_active
    assert AuditEntry.objects.get(action="staff.account_reactivate").payload["deactivation_reason"] == (
        "Left the municipality"
    )


def test_nobody_deactivates_or_resets_themselves(city, admin):
    make_staff("city_admin", None, city=city)
    for call in (
        lambda: staff_account_deactivate(actor=admin, user=admin, city=city, reason="x"),
        lambda: staff_password_reset(actor=admin, user=admin, city=city),
        lambda: staff_totp_reset(actor=admin, user=admin, city=city),
    ):
        with pytest.raises(StaffAccountError) as refused:
            call()
        assert refused.value.code == "self"
    assert User.objects.get(pk=admin.pk).is_active


def test_a_citizen_or_another_citys_staff_is_not_staff_of_this_city(city, admin, other_admin):
    from tests.factories import UserFactory

    citizen = UserFactory()
    for user in (citizen, other_admin):
        with pytest.raises(StaffAccountError) as refused:
            staff_account_deactivate(actor=admin, user=user, city=city, reason="x")
        assert refused.value.code == "not_staff"


def test_account_wide_actions_need_every_city_of_the_account(city, district1, admin, other_city, clerk):
    RoleGrant.objects.create(user=clerk, role=Role.CLERK, city=other_city, district=other_city.districts.first())

    with pytest.raises(StaffAccountError) as refused:
        staff_account_deactivate(actor=admin, user=clerk, city=city, reason="x")

    assert refused.value.code == "other_city"
    # Grants in this city are still the admin's to manage.
    staff_role_grant(actor=admin, user=clerk, city=city, role=Role.INSPECTOR, district=district1)


def test_second_factor_reset_removes_devices_and_ends_sessions(city, admin, clerk):
    confirmed_device(clerk)
    session = _session_for(clerk)

    assert staff_totp_reset(actor=admin, user=clerk, city=city) == 1

    assert not TOTPDevice.objects.filter(user=clerk).exists()
    assert not Session.objects.filter(session_key=session).exists()
    assert AuditEntry.objects.get(action="identity.totp_reset").actor == admin
    assert AuditEntry.objects.get(action="staff.sessions_end").payload == {
        "username": "clerk1",
        "after": "totp_reset",
        "sessions_ended": 1,
    }


def test_password_reset_without_a_mobile_is_shown_once_and_must_be_changed(city, admin, clerk):
    session = _session_for(clerk)

    credentials = staff_password_reset(actor=admin, user=clerk, city=city)

    clerk.refresh_from_db()
    assert credentials.sms_to == "" and clerk.check_password(credentials.password)
    assert not Session.objects.filter(session_key=session).exists()
    assert StaffProfile.objects.get(user=clerk).must_change_password
    entry = AuditEntry.objects.get(action="staff.password_reset")
    assert entry.payload["password_delivery"] == "shown" and credentials.password not in str(entry.payload)
    assert not OutboxMessage.objects.exists()

    staff_password_change(user=clerk, new_password="a-new-long-password-1405")
    assert not StaffProfile.objects.get(user=clerk).must_change_password
    assert AuditEntry.objects.get(action="staff.password_change").payload["temporary_replaced"] is True


def test_password_reset_with_a_mobile_goes_by_sms(city, district1, admin):
    created = _create(admin, city, district1)
    OutboxMessage.objects.all().delete()

    credentials = staff_password_reset(actor=admin, user=created.user, city=city)

    assert credentials.password == "" and credentials.sms_to == MOBILE
    assert OutboxMessage.objects.get().to == "+989121234567"


def test_sessions_end_touches_only_that_user(clerk, admin):
    _session_for(clerk)
    _session_for(clerk)
    kept = _session_for(admin)

    assert sessions_end(user=clerk) == 2
    assert list(Session.objects.values_list("session_key", flat=True)) == [kept]
