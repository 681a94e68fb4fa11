"""Writes of the city administrator's staff-account pages. One transaction each, audited inside it.

Rules (see ``docs/architecture.md``, "staffaccounts"):

- Every action needs ``Action.STAFF_MANAGE`` in **every** district of the account's city
  (:func:`~shahrvand.staffaccounts.selectors.require_manage`); a refusal is ``AccessDenied``.
  Account-wide actions (deactivate, reactivate, reset the second factor or the password) also need
  the actor to manage every other city where the account holds an active grant.
- Where a role may be held: a city administrator only city-wide; an auditor city-wide or in one
  district; every other role in one district (:data:`CITY_WIDE_ONLY`, :data:`CITY_WIDE_ALLOWED`).
- Nobody deactivates themselves, resets their own password or second factor here, or revokes their
  own city-administrator grant; the last active city-wide city administrator of a city can be
  neither deactivated nor stripped of the role. Those checks run under a lock on the city row, so
  two administrators acting on each other at once cannot leave the city without one.
- A new account and a password reset get a random temporary password, sent by SMS to the
  account's mobile (after commit) or, when there is no mobile on file, returned once for the page
  to show. The member must replace it before any staff page opens
  (:class:`~shahrvand.staffaccounts.middleware.PasswordChangeRequiredMiddleware`); the second factor
  is enrolled at the first sign-in by the existing TOTP pages.
- Deactivating, resetting the password and resetting the second factor end the account's sessions
  (deleted from the session store, :func:`sessions_end`).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from importlib import import_module
from typing import Any, Final

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import IntegrityError, transaction
from django.utils import timezone

from shahrvand.audit.services import audit_record
from shahrvand.core.identifiers import IdentifierError, format_mobile_local, parse_mobile, parse_national_code
from shahrvand.core.models import City, District, Role, RoleGrant, User
from shahrvand.core.services import role_grant
from shahrvand.core.text import to_latin_digits
from shahrvand.identity.lockout import login_lockout_clear
from shahrvand.identity.services import totp_reset
from shahrvand.sms.services import sms_send
from shahrvand.staffaccounts.models import StaffProfile
from shahrvand.staffaccounts.selectors import active_city_admins, managed_cities, require_manage, staff_of

CITY_WIDE_ONLY: Final = frozenset({Role.CITY_ADMIN})
CITY_WIDE_ALLOWED: Final = frozenset({Role.CITY_ADMIN, Role.AUDITOR})
USERNAME_RE: Final = re.compile(r"^[a-z][a-z0-9._-]{2,29}$")
REASON_MAX: Final = 500
_TEMPORARY_ALPHABET: Final = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "username_format": (
        "Username: 3 to 30 characters, English lower-case letters, digits, dot, dash or underscore, "
        "starting with a letter.",
        "نام کاربری: ۳ تا ۳۰ نویسه از حروف کوچک انگلیسی، رقم، نقطه، خط تیره یا زیرخط، و با یک حرف آغاز شود.",
    ),
    "username_taken": ("This username is already taken.", "این نام کاربری پیش‌تر گرفته شده است."),
    "name_required": ("Enter the first and last name.", "نام و نام خانوادگی را وارد کنید."),
    "national_code_taken": (
        "Another staff account already has this national code.",
        "حساب کارمند دیگری با همین کد ملی وجود دارد.",
    ),
    "unknown_role": ("Choose a role from the list.", "یک نقش از فهرست انتخاب کنید."),
    "district_not_in_city": ("That district is not in this city.", "این منطقه در این شهر نیست."),
    "needs_district": (
        "This role is held in one district: choose the district.",
        "این نقش در یک منطقه داده می‌شود: منطقه را انتخاب کنید.",
    ),
    "city_wide_only": (
        "A city administrator's role covers the whole city: choose “whole city”, not a district.",
        "نقش مدیر شهر همهٔ شهر را در بر می‌گیرد: «کل شهر» را انتخاب کنید، نه یک منطقه.",
    ),
    "duplicate_grant": (
        "This account already holds this role there.",
        "این حساب همین نقش را در همان‌جا دارد.",
    ),
    "covered_city_wide": (
        "This account already holds this role in the whole city.",
        "این حساب همین نقش را در کل شهر دارد.",
    ),
    "reason_required": ("Write the reason.", "دلیل را بنویسید."),
    "reason_too_long": ("The reason is at most 500 characters.", "دلیل حداکثر ۵۰۰ نویسه است."),
    "already_revoked": ("This role grant was already revoked.", "این نقش پیش‌تر پس گرفته شده است."),
    "own_admin": (
        "You cannot revoke your own city administrator role.",
        "نمی‌توانید نقش مدیر شهرِ خودتان را پس بگیرید.",
    ),
    "last_admin": (
        "This is the city's last active city administrator: appoint another one first.",
        "این آخرین مدیر شهرِ فعال این شهر است: نخست مدیر دیگری تعیین کنید.",
    ),
    "self": (
        "You cannot do this to your own account; ask another city administrator.",
        "این کار را روی حساب خودتان نمی‌توانید انجام دهید؛ از مدیر شهر دیگری بخواهید.",
    ),
    "already_inactive": ("This account is already deactivated.", "این حساب پیش‌تر غیرفعال شده است."),
    "already_active": ("This account is already active.", "این حساب هم‌اکنون فعال است."),
    "other_city": (
        "This account also holds roles in another city; only an administrator of every such city may do this.",
        "این حساب در شهر دیگری هم نقش دارد؛ فقط مدیری که همهٔ آن شهرها را اداره می‌کند می‌تواند این کار را بکند.",
    ),
    "not_staff": ("No such staff account in this city.", "چنین حساب کارمندی در این شهر نیست."),
}


class StaffAccountError(Exception):
    """A staff-account action was refused; nothing changed. ``field`` names the form field, if any."""

    def __init__(self, code: str, *, field: str | None = None, message_en: str = "", message_fa: str = "") -> None:
        if not message_en and code not in MESSAGES:
            raise ValueError(f"Unknown code {code!r}")
        self.code = code
        self.field = field
        self.message_en = message_en or MESSAGES[code][0]
        self.message_fa = message_fa or MESSAGES[code][1]
        super().__init__(self.message_en)

    @classmethod
    def from_identifier(cls, exc: IdentifierError, field: str) -> StaffAccountError:
        return cls(exc.code, field=field, message_en=exc.message_en, message_fa=exc.message_fa)


@dataclass(frozen=True)
class Credentials:
    """A temporary password's delivery: by SMS (``sms_to``, local form) or to show once (``password``)."""

    user: User
    password: str  # "" when it went by SMS
    sms_to: str  # "" when there is no mobile on file


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------


def temporary_password() -> str:
    """Twelve random letters and digits in three groups (``abcd-efgh-jkmn``), easy to read out."""
    chars = [secrets.choice(_TEMPORARY_ALPHABET) for _ in range(12)]
    return "-".join("".join(chars[i : i + 4]) for i in range(0, 12, 4))


def sessions_end(*, user: User) -> int:
    """Delete every unexpired session of ``user`` from the session store; the number deleted.

    Works with the database-backed engines (``db``, ``cached_db``), which can be listed; with a
    cache-only or cookie engine nothing can be listed and 0 is returned — those sessions still stop
    working, because a deactivated account is refused by the authentication backend and a changed
    password no longer matches the session's hash.
    """
    store_class: Any = import_module(settings.SESSION_ENGINE).SessionStore
    get_model = getattr(store_class, "get_model_class", None)
    if get_model is None:
        return 0
    model = get_model()
    decoder = store_class()
    wanted = str(user.pk)
    keys = [
        key
        for key, data in model.objects.filter(expire_date__gt=timezone.now())
        .values_list("session_key", "session_data")
        .iterator(chunk_size=500)
        if str(decoder.decode(data).get(SESSION_KEY, "")) == wanted
    ]
    for key in keys:
        store_class(session_key=key).delete()
    return len(keys)


def _reason(text: str) -> str:
    reason = (text or "").strip()
    if not reason:
        raise StaffAccountError("reason_required", field="reason")
    if len(reason) > REASON_MAX:
        raise StaffAccountError("reason_too_long", field="reason")
    return reason


def check_scope(*, role: str, district: District | None, city: City) -> None:
    """Whether ``role`` may be held in ``district`` (``None``: the whole ``city``)."""
    if role not in Role.values:
        raise StaffAccountError("unknown_role", field="role")
    if district is not None and district.city_id != city.pk:
        raise StaffAccountError("district_not_in_city", field="district")
    if district is None and role not in CITY_WIDE_ALLOWED:
        raise StaffAccountError("needs_district", field="district")
    if district is not None and role in CITY_WIDE_ONLY:
        raise StaffAccountError("city_wide_only", field="district")


def _lock_city(city: City) -> None:
    """The per-city mutex for changes to who administers it (always taken first, before user rows)."""
    City.objects.select_for_update().filter(pk=city.pk).first()


def _manage(actor: User, city: City) -> None:
    _lock_city(city)
    require_manage(actor, city)


def _locked_member(actor: User, user: User, city: City, *, account_wide: bool) -> User:
    """``user`` re-read under a row lock, refused unless staff of ``city`` (and, for account-wide
    actions, of no city the actor does not manage)."""
    if not staff_of(city).filter(pk=user.pk).exists():
        raise StaffAccountError("not_staff")
    locked = User.objects.select_for_update().get(pk=user.pk)
    if account_wide:
        managed = {c.pk for c in managed_cities(actor)}
        held = set(RoleGrant.objects.filter(user=locked, revoked_at__isnull=True).values_list("city_id", flat=True))
        if not held <= managed:
            raise StaffAccountError("other_city")
    return locked


def _refuse_if_last_admin(user: User, city: City) -> None:
    admins = list(active_city_admins(city).values_list("pk", flat=True))
    if user.pk in admins and len(admins) <= 1:
        raise StaffAccountError("last_admin")


def _profile(user: User, city: City) -> StaffProfile:
    profile, _ = StaffProfile.objects.select_for_update().get_or_create(user=user, defaults={"city": city})
    return profile


def _sms_district(user: User, city: City) -> District | None:
    grant = (
        RoleGrant.objects.filter(user=user, city=city, revoked_at__isnull=True, district__isnull=False)
        .select_related("district")
        .order_by("pk")
        .first()
    )
    return grant.district if grant is not None else None


def _deliver(*, user: User, profile: StaffProfile, city: City, password: str, created: bool) -> Credentials:
    """Text the temporary password to the account's mobile (after commit), or hand it back to show once."""
    if not profile.mobile:
        return Credentials(user=user, password=password, sms_to="")
    if created:
        text = (
            f"شهروند — شهرداری {city.name}: حساب کاری شما ساخته شد. نام کاربری: {user.get_username()} "
            f"گذرواژهٔ موقت: {password} "
            "در نخستین ورود، برنامهٔ احراز هویت را تنظیم و گذرواژه را عوض کنید. این پیام را به کسی ندهید."
        )
    else:
        text = (
            f"شهروند — شهرداری {city.name}: گذرواژهٔ موقت تازهٔ حساب {user.get_username()}: {password} "
            "پس از ورود باید آن را عوض کنید. این پیام را به کسی ندهید."
        )
    sms_send(
        to=profile.mobile,
        text=text,
        purpose="staff_password",
        district=_sms_district(user, city),
        sensitive=True,
    )
    return Credentials(user=user, password="", sms_to=format_mobile_local(profile.mobile))


# --------------------------------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------------------------------


def staff_account_create(
    *,
    actor: User,
    city: City,
    username: str,
    first_name: str,
    last_name: str,
    mobile: str,
    national_code: str = "",
    role: str,
    district: District | None,
) -> Credentials:
    """A new staff account with its first role grant and a temporary password (by SMS to ``mobile``)."""
    username = (username or "").strip().lower()
    if not USERNAME_RE.fullmatch(username):
        raise StaffAccountError("username_format", field="username")
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    if not first_name or not last_name:
        raise StaffAccountError("name_required", field="first_name" if not first_name else "last_name")
    try:
        number = parse_mobile(mobile)
    except IdentifierError as exc:
        raise StaffAccountError.from_identifier(exc, "mobile") from None
    national = ""
    if to_latin_digits(national_code or "").strip():
        try:
            national = parse_national_code(national_code)
        except IdentifierError as exc:
            raise StaffAccountError.from_identifier(exc, "national_code") from None
    check_scope(role=role, district=district, city=city)
    with transaction.atomic():
        _manage(actor, city)
        if User.objects.filter(username__iexact=username).exists():
            raise StaffAccountError("username_taken", field="username")
        if national and StaffProfile.objects.filter(national_code=national).exists():
            raise StaffAccountError("national_code_taken", field="national_code")
        password = temporary_password()
        user = User(username=username, first_name=first_name[:150], last_name=last_name[:150])
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
                profile = StaffProfile.objects.create(
                    user=user,
                    city=city,
                    mobile=number,
                    national_code=national,
                    must_change_password=True,
                    temporary_password_at=timezone.now(),
                    created_by=actor,
                )
        except IntegrityError:
            raise StaffAccountError("username_taken", field="username") from None
        role_grant(actor=actor, user=user, role=role, city=city, district=district)
        audit_record(
            actor=actor,
            action="staff.account_create",
            target=user,
            district=district,
            payload={
                "username": username,
                "name": f"{first_name} {last_name}",
                "city": city.slug,
                "role": role,
                "district": district.slug if district is not None else None,
                "national_code_given": bool(national),
                "password_delivery": "sms",
            },
        )
        return _deliver(user=user, profile=profile, city=city, password=password, created=True)


def staff_account_deactivate(*, actor: User, user: User, city: City, reason: str) -> int:
    """Deactivate the account (it can no longer sign in) and end its sessions; the number ended."""
    reason = _reason(reason)
    with transaction.atomic():
        _manage(actor, city)
        if user.pk == actor.pk:
            raise StaffAccountError("self")
        member = _locked_member(actor, user, city, account_wide=True)
        if not member.is_active:
            raise StaffAccountError("already_inactive")
        for admin_city in City.objects.filter(
            role_grants__user=member, role_grants__role=Role.CITY_ADMIN, role_grants__revoked_at__isnull=True
        ).distinct():
            if admin_city.pk != city.pk:
                _lock_city(admin_city)
            _refuse_if_last_admin(member, admin_city)
        member.is_active = False
        member.save(update_fields=["is_active"])
        profile = _profile(member, city)
        profile.deactivated_at = timezone.now()
        profile.deactivated_by = actor
        profile.deactivation_reason = reason
        profile.save(update_fields=["deactivated_at", "deactivated_by", "deactivation_reason"])
        ended = sessions_end(user=member)
        audit_record(
            actor=actor,
            action="staff.account_deactivate",
            target=member,
            payload={"username": member.get_username(), "city": city.slug, "reason": reason, "sessions_ended": ended},
        )
    return ended


def staff_account_reactivate(*, actor: User, user: User, city: City) -> User:
    """Let a deactivated account sign in again, with the role grants it still holds."""
    with transaction.atomic():
        _manage(actor, city)
        if user.pk == actor.pk:
            raise StaffAccountError("self")
        member = _locked_member(actor, user, city, account_wide=True)
        if member.is_active:
            raise StaffAccountError("already_active")
        member.is_active = True
        member.save(update_fields=["is_active"])
        profile = _profile(member, city)
        previous = profile.deactivation_reason
        profile.deactivated_at, profile.deactivated_by, profile.deactivation_reason = None, None, ""
        profile.save(update_fields=["deactivated_at", "deactivated_by", "deactivation_reason"])
        audit_record(
            actor=actor,
            action="staff.account_reactivate",
            target=member,
            payload={"username": member.get_username(), "city": city.slug, "deactivation_reason": previous},
        )
    return member


def staff_totp_reset(*, actor: User, user: User, city: City) -> int:
    """Remove the account's authenticator devices (it enrols again at its next sign-in) and end its
    sessions. Audited as ``identity.totp_reset`` and ``staff.sessions_end``; the sessions ended."""
    with transaction.atomic():
        _manage(actor, city)
        if user.pk == actor.pk:
            raise StaffAccountError("self")
        member = _locked_member(actor, user, city, account_wide=True)
        totp_reset(actor=actor, user=member)
        ended = sessions_end(user=member)
        audit_record(
            actor=actor,
            action="staff.sessions_end",
            target=member,
            payload={"username": member.get_username(), "after": "totp_reset", "sessions_ended": ended},
        )
    return ended


def staff_password_reset(*, actor: User, user: User, city: City) -> Credentials:
    """A new temporary password (by SMS to the mobile on file, else shown once); sessions ended."""
    with transaction.atomic():
        _manage(actor, city)
        if user.pk == actor.pk:
            raise StaffAccountError("self")
        member = _locked_member(actor, user, city, account_wide=True)
        password = temporary_password()
        member.set_password(password)
        member.save(update_fields=["password"])
        profile = _profile(member, city)
        profile.must_change_password = True
        profile.temporary_password_at = timezone.now()
        profile.save(update_fields=["must_change_password", "temporary_password_at"])
        ended = sessions_end(user=member)
        credentials = _deliver(user=member, profile=profile, city=city, password=password, created=False)
        audit_record(
            actor=actor,
            action="staff.password_reset",
            target=member,
            payload={
                "username": member.get_username(),
                "password_delivery": "sms" if credentials.sms_to else "shown",
                "sessions_ended": ended,
            },
        )
    login_lockout_clear(member.get_username())
    return credentials


def staff_password_change(*, user: User, new_password: str) -> None:
    """The member replaces their password (validated by the caller's form); a temporary one ends here."""
    with transaction.atomic():
        member = User.objects.select_for_update().get(pk=user.pk)
        member.set_password(new_password)
        member.save(update_fields=["password"])
        had_temporary = StaffProfile.objects.filter(user=member, must_change_password=True).update(
            must_change_password=False, temporary_password_at=None
        )
        audit_record(
            actor=member,
            action="staff.password_change",
            target=member,
            payload={"username": member.get_username(), "temporary_replaced": bool(had_temporary)},
        )
    user.password = member.password


# --------------------------------------------------------------------------------------------------
# Role grants
# --------------------------------------------------------------------------------------------------


def staff_role_grant(*, actor: User, user: User, city: City, role: str, district: District | None) -> RoleGrant:
    """Give ``user`` ``role`` in ``district`` (``None``: city-wide); refuses a duplicate active grant.

    The grant itself is made by :func:`shahrvand.core.services.role_grant` (audited ``core.role_grant``).
    """
    check_scope(role=role, district=district, city=city)
    with transaction.atomic():
        _manage(actor, city)
        member = _locked_member(actor, user, city, account_wide=False)
        active = RoleGrant.objects.filter(user=member, city=city, role=role, revoked_at__isnull=True)
        if active.filter(district=district).exists():
            raise StaffAccountError("duplicate_grant", field="role")
        if district is not None and active.filter(district__isnull=True).exists():
            raise StaffAccountError("covered_city_wide", field="district")
        try:
            with transaction.atomic():
                return role_grant(actor=actor, user=member, role=role, city=city, district=district)
        except IntegrityError:
            raise StaffAccountError("duplicate_grant", field="role") from None


def staff_role_revoke(*, actor: User, grant: RoleGrant, reason: str) -> RoleGrant:
    """Revoke a grant with a reason (audited ``core.role_revoke``, the reason in the payload)."""
    reason = _reason(reason)
    with transaction.atomic():
        city = City.objects.get(pk=grant.city_id)
        _manage(actor, city)
        locked = RoleGrant.objects.select_for_update(of=("self",)).select_related("user", "district").get(pk=grant.pk)
        if locked.revoked_at is not None:
            raise StaffAccountError("already_revoked")
        if locked.role == Role.CITY_ADMIN:
            if locked.user_id == actor.pk:
                raise StaffAccountError("own_admin")
            if locked.district_id is None:
                _refuse_if_last_admin(locked.user, city)
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="core.role_revoke",
            target=locked,
            district=locked.district,
            payload={
                "user": locked.user.get_username(),
                "role": locked.role,
                "city": city.slug,
                "district": locked.district.slug if locked.district is not None else None,
                "reason": reason,
            },
        )
    return locked
