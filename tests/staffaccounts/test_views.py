"""The staff-account pages over HTTP: the second-factor gate, 403/404, validation messages, CSRF,
and a new member's first sign-in (password → authenticator app → their own password)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from shahrvand.audit.models import AuditEntry
from shahrvand.core.models import Role, RoleGrant, User
from shahrvand.sms.models import OutboxMessage
from shahrvand.staffaccounts.models import StaffProfile
from tests.factories import UserFactory, make_staff
from tests.identity.helpers import PASSWORD, token_for

pytestmark = pytest.mark.django_db

LIST = "/staff/accounts/"
NEW = "/staff/accounts/new/"


def _signed_in(client, user):
    client.force_login(user)
    return client


def _detail(user) -> str:
    return reverse("staff_accounts:detail", args=[user.pk])


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _new_account_data(district, **overrides):
    data = {
        "first_name": "نرگس",
        "last_name": "رحیمی",
        "username": "n.rahimi",
        "mobile": "۰۹۱۲۱۲۳۴۵۶۷",
        "national_code": "",
        "role": "clerk",
        "district": str(district.pk),
    }
    data.update(overrides)
    return data


# --------------------------------------------------------------------------------------------------
# Who gets in
# --------------------------------------------------------------------------------------------------


def test_the_url_names_are_the_contract():
    assert reverse("staff_accounts:list") == LIST
    assert reverse("staff_accounts:create") == NEW


def test_anonymous_visitors_are_sent_to_sign_in(db):
    response = Client().get(LIST)
    assert response.status_code == 302 and response["Location"].startswith(reverse("core:login"))


def test_an_admin_who_has_not_passed_the_second_factor_reaches_nothing(admin, clerk):
    client = Client()
    client.force_login(admin)  # password only: no TOTP in this session
    TOTPDevice.objects.create(user=admin, name="Shahrvand", confirmed=True)

    for method, url, data in [
        ("get", LIST, None),
        ("get", NEW, None),
        ("get", _detail(clerk), None),
        ("post", reverse("staff_accounts:deactivate", args=[clerk.pk]), {"reason": "x"}),
        ("post", reverse("staff_accounts:password_reset", args=[clerk.pk]), {}),
    ]:
        response = getattr(client, method)(url, data or {})
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("identity:totp_verify")), url

    assert User.objects.get(pk=clerk.pk).is_active
    assert not AuditEntry.objects.filter(action__startswith="staff.").exists()


def test_an_admin_without_an_authenticator_app_is_sent_to_set_one_up(admin):
    client = Client()
    client.force_login(admin)
    response = client.get(LIST)
    assert response.status_code == 302 and response["Location"].startswith(reverse("identity:totp_setup"))


@pytest.mark.parametrize("role", ["manager", "clerk", "auditor"])
def test_other_roles_get_403_and_it_is_audited(client, district1, admin, clerk, role):
    someone = make_staff(role, district1 if role != "auditor" else None, city=district1.city)
    _signed_in(client, someone)

    for url in (LIST, NEW, _detail(clerk)):
        assert client.get(url).status_code == 403, url
    response = client.post(reverse("staff_accounts:deactivate", args=[clerk.pk]), {"reason": "x"})
    assert response.status_code == 403

    denied = AuditEntry.objects.filter(action="access.denied", actor=someone)
    assert denied.count() == 4
    assert {e.payload["action"] for e in denied} == {"core.staff_manage"}
    assert User.objects.get(pk=clerk.pk).is_active


def test_an_admin_of_another_city_sees_only_their_city_and_gets_404_for_ours(client, admin, clerk, other_admin):
    _signed_in(client, other_admin)

    listing = _text(client.get(LIST))
    assert "clerk1" not in listing and "shirvan-admin" in listing
    assert client.get(_detail(clerk)).status_code == 404
    assert client.get(_detail(admin)).status_code == 404
    response = client.post(reverse("staff_accounts:deactivate", args=[clerk.pk]), {"reason": "x"})
    assert response.status_code == 404
    grant = RoleGrant.objects.get(user=clerk)
    response = client.post(reverse("staff_accounts:revoke", args=[clerk.pk, grant.pk]), {"reason": "x"})
    assert response.status_code == 404
    assert User.objects.get(pk=clerk.pk).is_active and RoleGrant.objects.get(pk=grant.pk).revoked_at is None


def test_a_citizen_account_is_not_a_staff_account(client, admin):
    citizen = UserFactory()
    _signed_in(client, admin)
    assert client.get(_detail(citizen)).status_code == 404


# --------------------------------------------------------------------------------------------------
# The list
# --------------------------------------------------------------------------------------------------


def test_the_list_shows_roles_districts_status_second_factor_and_filters(client, admin, clerk, district2):
    inspector = make_staff("inspector", district2, username="insp2", first_name="حسین", last_name="موسوی")
    gone = make_staff("clerk", district2, username="gone", is_active=False)
    TOTPDevice.objects.create(user=clerk, name="Shahrvand", confirmed=True)
    UserFactory(username="a-citizen")
    _signed_in(client, admin)

    page = _text(client.get(LIST))
    for name in ("clerk1", "insp2", "gone", "admin"):
        assert name in page
    assert "a-citizen" not in page
    assert "غیرفعال" in page  # "Deactivated"

    def usernames(query: str) -> set[str]:
        response = client.get(f"{LIST}?{query}")
        assert response.status_code == 200
        return set(re.findall(r'<bdi dir="ltr" class="muted">([^<]+)</bdi>', response.content.decode()))

    assert usernames("role=inspector") == {"insp2"}
    assert usernames(f"district={district2.pk}") == {"insp2", "gone"}
    assert usernames("district=city") == {"admin"}
    assert usernames("active=0") == {"gone"}
    assert usernames("q=موسوی") == {"insp2"}
    assert usernames("q=CLERK") == {"clerk1"}
    assert inspector.pk and gone.pk


def test_a_bad_filter_is_a_400_with_a_message(client, admin):
    _signed_in(client, admin)
    response = client.get(f"{LIST}?role=mayor")
    assert response.status_code == 400
    assert 'class="field-error"' in _text(response)


# --------------------------------------------------------------------------------------------------
# Creating
# --------------------------------------------------------------------------------------------------


def test_creating_an_account_sends_the_temporary_password_by_sms(client, admin, district1):
    _signed_in(client, admin)

    response = client.post(NEW, _new_account_data(district1))

    assert response.status_code == 200
    assert "۰۹۱۲۱۲۳۴۵۶۷" in _text(response)
    user = User.objects.get(username="n.rahimi")
    assert RoleGrant.objects.get(user=user).district == district1
    assert OutboxMessage.objects.filter(to="+989121234567").count() == 1
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.parametrize(
    ("overrides", "expected_fa", "expected_en"),
    [
        ({"username": "Ali Reza"}, "نام کاربری: ۳ تا ۳۰ نویسه", "Username: 3 to 30 characters"),
        ({"username": "clerk1"}, "این نام کاربری پیش‌تر گرفته شده است", "This username is already taken"),
        ({"mobile": "12345"}, "باید شمارهٔ همراه ایرانی باشد", "must be an Iranian mobile number"),
        ({"national_code": "0499370898"}, "رقم کنترل (رقم آخر) درست نیست", "the check digit does not match"),
        ({"role": "city_admin"}, "نقش مدیر شهر همهٔ شهر را در بر می‌گیرد", "covers the whole city"),
        ({"district": "city"}, "این نقش در یک منطقه داده می‌شود", "This role is held in one district"),
        ({"district": "999999"}, "یکی از منطقه‌های همین شهر", "Choose a district of this city"),
        ({"first_name": ""}, "نام را وارد کنید", "Enter the first name"),
    ],
)
def test_bad_input_gets_a_specific_message_in_persian_and_english(
    client, admin, clerk, district1, overrides, expected_fa, expected_en
):
    _signed_in(client, admin)
    data = _new_account_data(district1)
    data.update(overrides)

    persian = client.post(NEW, data)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.post(NEW, data)

    assert persian.status_code == 400 and english.status_code == 400
    assert expected_fa in _text(persian)
    assert expected_en.lower() in _text(english).lower()
    assert not User.objects.filter(username="n.rahimi").exists()
    assert not OutboxMessage.objects.exists()


# --------------------------------------------------------------------------------------------------
# The account page and its actions
# --------------------------------------------------------------------------------------------------


def test_the_account_page_shows_grants_and_the_audit_trail_about_the_account(client, admin, clerk, district2):
    _signed_in(client, admin)
    client.post(reverse("staff_accounts:grant", args=[clerk.pk]), {"role": "inspector", "district": district2.pk})
    grant = RoleGrant.objects.get(user=clerk, role=Role.INSPECTOR)
    response = client.post(reverse("staff_accounts:revoke", args=[clerk.pk, grant.pk]), {"reason": "Temporary cover"})
    assert response.status_code == 302

    page = _text(client.get(_detail(clerk)))

    assert "core.role_grant" in page and "core.role_revoke" in page and "Temporary cover" in page
    assert "grant-chip--revoked" in page
    assert f'id="grant-{grant.pk}" class="is-revoked"' in page


def test_grant_and_revoke_errors_are_400_with_their_messages(client, admin, clerk, district1):
    _signed_in(client, admin)

    duplicate = client.post(
        reverse("staff_accounts:grant", args=[clerk.pk]), {"role": "clerk", "district": district1.pk}
    )
    assert duplicate.status_code == 400 and "این حساب همین نقش را در همان‌جا دارد" in _text(duplicate)

    missing = client.post(reverse("staff_accounts:grant", args=[clerk.pk]), {"role": "", "district": ""})
    assert missing.status_code == 400

    grant = RoleGrant.objects.get(user=clerk)
    no_reason = client.post(reverse("staff_accounts:revoke", args=[clerk.pk, grant.pk]), {"reason": ""})
    assert no_reason.status_code == 400 and "دلیل را بنویسید" in _text(no_reason)
    assert RoleGrant.objects.get(pk=grant.pk).revoked_at is None


def test_deactivation_needs_a_reason_and_then_signs_the_member_out(client, admin, clerk):
    clerk_client = Client()
    clerk_client.force_login(clerk)
    assert Session.objects.count() == 1
    _signed_in(client, admin)

    refused = client.post(reverse("staff_accounts:deactivate", args=[clerk.pk]), {"reason": " "})
    assert refused.status_code == 400 and "دلیل را بنویسید" in _text(refused)
    assert User.objects.get(pk=clerk.pk).is_active

    done = client.post(reverse("staff_accounts:deactivate", args=[clerk.pk]), {"reason": "Left"})
    assert done.status_code == 302
    assert not User.objects.get(pk=clerk.pk).is_active
    assert Session.objects.count() == 1  # only the admin's
    assert clerk_client.get("/staff/registry/").status_code == 302

    # And the member cannot sign in with the right password.
    response = Client().post(reverse("core:login"), {"username": "clerk1", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in Client().session

    assert client.post(reverse("staff_accounts:reactivate", args=[clerk.pk])).status_code == 302
    assert User.objects.get(pk=clerk.pk).is_active


def test_own_account_actions_are_refused_on_the_page(client, admin):
    make_staff("city_admin", None, city=admin.role_grants.first().city)
    _signed_in(client, admin)

    page = _text(client.get(_detail(admin)))
    assert "Deactivate the account" not in page and "غیرفعال کردن حساب" not in page

    response = client.post(reverse("staff_accounts:deactivate", args=[admin.pk]), {"reason": "x"})
    assert response.status_code == 400
    assert "این کار را روی حساب خودتان نمی‌توانید انجام دهید" in _text(response)
    own = RoleGrant.objects.get(user=admin)
    response = client.post(reverse("staff_accounts:revoke", args=[admin.pk, own.pk]), {"reason": "x"})
    assert response.status_code == 400 and "نمی‌توانید نقش مدیر شهرِ خودتان را پس بگیرید" in _text(response)
    assert User.objects.get(pk=admin.pk).is_active and RoleGrant.objects.get(pk=own.pk).revoked_at is None


def test_password_reset_without_a_mobile_shows_the_password_once(client, admin, clerk):
    _signed_in(client, admin)

    response = client.post(reverse("staff_accounts:password_reset", args=[clerk.pk]))

    assert response.status_code == 200
    shown = re.search(r'<code dir="ltr">([a-z2-9-]{14})</code>', response.content.decode())
    assert shown is not None
    assert User.objects.get(pk=clerk.pk).check_password(shown.group(1))
    assert client.get(_detail(clerk)).content.decode().count(shown.group(1)) == 0


def test_second_factor_reset_over_http(client, admin, clerk):
    TOTPDevice.objects.create(user=clerk, name="Shahrvand", confirmed=True)
    _signed_in(client, admin)
    assert client.post(reverse("staff_accounts:totp_reset", args=[clerk.pk])).status_code == 302
    assert not TOTPDevice.objects.filter(user=clerk).exists()


def test_posts_without_a_csrf_token_are_refused(admin, clerk):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    from tests.identity.helpers import mark_verified

    mark_verified(client, admin)

    response = client.post(reverse("staff_accounts:deactivate", args=[clerk.pk]), {"reason": "x"})

    assert response.status_code == 403
    assert User.objects.get(pk=clerk.pk).is_active


def test_get_is_not_allowed_on_actions(client, admin, clerk):
    _signed_in(client, admin)
    assert client.get(reverse("staff_accounts:deactivate", args=[clerk.pk])).status_code == 405


# --------------------------------------------------------------------------------------------------
# A new member's first sign-in
# --------------------------------------------------------------------------------------------------


def test_first_sign_in_enrols_the_app_then_requires_a_new_password(client, admin, district1):
    _signed_in(client, admin)
    client.post(NEW, _new_account_data(district1))
    sms = OutboxMessage.objects.get(to="+989121234567").text
    temporary = sms.split("گذرواژهٔ موقت: ")[1].split()[0]

    member = Client()
    response = member.post(
        reverse("core:login"), {"username": "n.rahimi", "password": temporary, "next": "/staff/registry/"}
    )
    assert response.status_code == 302 and response["Location"].startswith(reverse("identity:totp_setup"))
    setup = member.get(response["Location"])
    assert setup.status_code == 200
    device = TOTPDevice.objects.get(user__username="n.rahimi", confirmed=False)
    response = member.post(response["Location"], {"token": token_for(device), "next": "/staff/registry/"})
    assert response.status_code == 302 and response["Location"] == "/staff/registry/"

    # Every staff page now sends the member to choose a password first.
    response = member.get("/staff/registry/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff_accounts:password_change"))
    form = member.get(response["Location"])
    assert form.status_code == 200 and "با گذرواژهٔ موقت وارد شده‌اید" in _text(form)

    same = member.post(
        reverse("staff_accounts:password_change"),
        {"old_password": temporary, "new_password1": temporary, "new_password2": temporary},
    )
    assert same.status_code == 400
    new = "my-own-password-1405"
    done = member.post(
        reverse("staff_accounts:password_change"),
        {"old_password": temporary, "new_password1": new, "new_password2": new, "next": "/staff/registry/"},
    )
    assert done.status_code == 302 and done["Location"] == "/staff/registry/"
    assert not StaffProfile.objects.get(user__username="n.rahimi").must_change_password
    assert member.get("/staff/registry/").status_code == 200  # still signed in
    assert AuditEntry.objects.filter(action="staff.password_change", actor__username="n.rahimi").exists()
