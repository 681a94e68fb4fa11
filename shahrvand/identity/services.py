"""Identity services: one-time codes by SMS, the staff second factor (TOTP), password reset.

One-time codes (:func:`otp_issue`, :func:`otp_verify`): six digits from ``secrets``, stored as an
HMAC-SHA256 keyed with ``SECRET_KEY``, valid five minutes, five tries, used once. Issuing is limited
to one code per minute and five per hour, for each purpose and subject and for each mobile; the limits are
counted in the database, so they hold across worker processes and restarts. A subject is counted
per purpose (a mobile change sends one code to the old and one to the new number at once).

A wrong code is counted in the database *and* in the cache: a caller that verifies inside its own
transaction and lets :class:`OtpError` roll it back still cannot get more than five tries.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Final

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import get_language
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from shahrvand.audit.services import audit_record
from shahrvand.core.identifiers import parse_mobile
from shahrvand.core.models import District, User
from shahrvand.core.text import to_latin_digits, to_persian_digits
from shahrvand.identity import ratelimit
from shahrvand.identity.lockout import login_lockout_clear
from shahrvand.identity.models import OneTimeCode
from shahrvand.identity.ratelimit import RateLimited
from shahrvand.sms.services import sms_send

CODE_DIGITS: Final = 6
CODE_LIFETIME: Final = timedelta(minutes=5)
MAX_TRIES: Final = 5
ISSUE_LIMITS: Final = ((1, 60), (5, 3600))  # (codes, seconds): one a minute, five an hour
_HMAC_SALT: Final = "shahrvand.identity.one-time-code"

OTP_MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "none": (
        "No code is waiting for this step. Ask for a new code.",
        "کدی برای این مرحله صادر نشده است. کد تازه‌ای درخواست کنید.",
    ),
    "expired": (
        "The code has expired. Ask for a new code.",
        "مهلت این کد تمام شده است. کد تازه‌ای درخواست کنید.",
    ),
    "wrong": ("The code is not correct.", "کد درست نیست."),
    "too_many": (
        "Too many wrong tries: this code no longer works. Ask for a new code.",
        "تعداد تلاش‌های نادرست از حد مجاز گذشت و این کد دیگر کار نمی‌کند. کد تازه‌ای درخواست کنید.",
    ),
    "used": (
        "This code has already been used. Ask for a new code.",
        "این کد قبلاً به کار رفته است. کد تازه‌ای درخواست کنید.",
    ),
}


class OtpError(Exception):
    """A one-time code was refused. ``reason``: none, expired, wrong, too_many or used."""

    def __init__(self, reason: str, *, tries_left: int = 0) -> None:
        if reason not in OTP_MESSAGES:
            raise ValueError(f"Unknown reason {reason!r}")
        self.reason = reason
        self.tries_left = tries_left
        super().__init__(self.message_en)

    @property
    def message_en(self) -> str:
        text = OTP_MESSAGES[self.reason][0]
        if self.reason == "wrong" and self.tries_left:
            text += f" {self.tries_left} tries left."
        return text

    @property
    def message_fa(self) -> str:
        text = OTP_MESSAGES[self.reason][1]
        if self.reason == "wrong" and self.tries_left:
            text += f" {to_persian_digits(str(self.tries_left))} بار دیگر می‌توانید تلاش کنید."
        return text


def localized(error: OtpError | RateLimited | TotpError) -> str:
    """The Persian or English message of an identity error, in the active language."""
    return error.message_en if (get_language() or "fa").startswith("en") else error.message_fa


# --------------------------------------------------------------------------------------------------
# One-time codes
# --------------------------------------------------------------------------------------------------


def _code_hash(purpose: str, subject: str, code: str) -> str:
    return salted_hmac(_HMAC_SALT, f"{purpose}\x1f{subject}\x1f{code}", algorithm="sha256").hexdigest()


def _serialize(*names: str) -> None:
    """Serialise concurrent issuers of the same subject or mobile (PostgreSQL; SQLite's write lock does it)."""
    if connection.vendor != "postgresql":
        return
    keys = sorted(int.from_bytes(hashlib.sha256(n.encode()).digest()[:8], "big", signed=True) for n in names)
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _check_issue_limits(*, purpose: str, subject: str, mobile: str) -> None:
    now = timezone.now()
    for scope in (Q(purpose=purpose, subject=subject), Q(mobile=mobile)):
        for limit, seconds in ISSUE_LIMITS:
            since = now - timedelta(seconds=seconds)
            recent = list(
                OneTimeCode.objects.filter(scope, created_at__gt=since)
                .order_by("-created_at")
                .values_list("created_at", flat=True)[:limit]
            )
            if len(recent) >= limit:
                oldest = recent[-1]
                raise RateLimited(int((oldest + timedelta(seconds=seconds) - now).total_seconds()) + 1)


def otp_issue(
    *, purpose: str, subject: str, mobile: str, text_fa: str, district: District | None = None
) -> OneTimeCode:
    """Make a code for ``purpose`` and ``subject`` and text it to ``mobile`` after commit.

    ``text_fa`` is the message with ``{code}`` where the code goes. Earlier unused codes of the same
    purpose and subject stop working. Raises :class:`RateLimited` (with the seconds to wait) when a
    code for this purpose and subject, or to this mobile, was sent less than a minute ago, or five
    were sent in the last hour.
    """
    if "{code}" not in text_fa:
        raise ValueError("text_fa must contain {code}")
    if not purpose or not subject:
        raise ValueError("purpose and subject are required")
    number = parse_mobile(mobile)
    with transaction.atomic():
        _serialize(f"otp-subject:{purpose}:{subject}", f"otp-mobile:{number}")
        _check_issue_limits(purpose=purpose, subject=subject, mobile=number)
        now = timezone.now()
        OneTimeCode.objects.filter(
            purpose=purpose, subject=subject, used_at__isnull=True, voided_at__isnull=True
        ).update(voided_at=now)
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        otp = OneTimeCode.objects.create(
            purpose=purpose,
            subject=subject,
            mobile=number,
            code_hash=_code_hash(purpose, subject, code),
            expires_at=now + CODE_LIFETIME,
        )
        sms_send(
            to=number,
            text=text_fa.replace("{code}", code),
            purpose=f"otp:{purpose}",
            district=district,
            sensitive=True,
            expires_at=otp.expires_at,
        )
    return otp


def _wrong_tries_key(otp: OneTimeCode) -> str:
    return f"otp-wrong:{otp.pk}"


def otp_verify(*, purpose: str, subject: str, code: str) -> None:
    """Accept ``code`` for the latest code of ``purpose`` and ``subject`` and mark it used.

    Raises :class:`OtpError` with ``reason`` ``none`` (no code), ``used``, ``expired``, ``too_many``
    (five wrong tries: the code is dead) or ``wrong`` (with ``tries_left``). Persian and ASCII digits
    are both accepted.
    """
    given = to_latin_digits(code or "").strip()
    window = int(CODE_LIFETIME.total_seconds()) + 60
    error: OtpError | None = None
    with transaction.atomic():
        otp = (
            OneTimeCode.objects.select_for_update()
            .filter(purpose=purpose, subject=subject, voided_at__isnull=True)
            .order_by("-created_at", "-pk")
            .first()
        )
        if otp is None:
            error = OtpError("none")
        elif otp.used_at is not None:
            error = OtpError("used")
        elif otp.expires_at <= timezone.now():
            error = OtpError("expired")
        elif max(otp.attempts, ratelimit.count(_wrong_tries_key(otp), window)) >= MAX_TRIES:
            error = OtpError("too_many")
        elif len(given) == CODE_DIGITS and constant_time_compare(otp.code_hash, _code_hash(purpose, subject, given)):
            otp.used_at = timezone.now()
            otp.save(update_fields=["used_at"])
        else:
            OneTimeCode.objects.filter(pk=otp.pk).update(attempts=F("attempts") + 1)
            otp.refresh_from_db(fields=["attempts"])
            cached, _ = ratelimit.hit(_wrong_tries_key(otp), window)
            tries = max(otp.attempts, cached)
            error = OtpError("too_many") if tries >= MAX_TRIES else OtpError("wrong", tries_left=MAX_TRIES - tries)
    # Raised after the block, so the counted try is committed even though the caller sees an error.
    if error is not None:
        raise error


# --------------------------------------------------------------------------------------------------
# Staff second factor (TOTP, django-otp)
# --------------------------------------------------------------------------------------------------

TOTP_DEVICE_NAME: Final = "Shahrvand"

TOTP_MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "wrong": (
        "The code from your authenticator app is not correct. Check the time on your phone and try again.",
        "کد برنامهٔ احراز هویت درست نیست. ساعت گوشی خود را بررسی کنید و دوباره تلاش کنید.",
    ),
    "throttled": (
        "Too many wrong codes. Wait a little and try again.",
        "کدهای نادرست زیادی وارد شد. کمی صبر کنید و دوباره تلاش کنید.",
    ),
    "no_device": (
        "No authenticator app is set up for this account yet.",
        "هنوز برنامهٔ احراز هویتی برای این حساب تنظیم نشده است.",
    ),
}


class TotpError(Exception):
    """A TOTP token was refused: ``wrong``, ``throttled`` or ``no_device``."""

    def __init__(self, reason: str) -> None:
        if reason not in TOTP_MESSAGES:
            raise ValueError(f"Unknown reason {reason!r}")
        self.reason = reason
        super().__init__(self.message_en)

    @property
    def message_en(self) -> str:
        return TOTP_MESSAGES[self.reason][0]

    @property
    def message_fa(self) -> str:
        return TOTP_MESSAGES[self.reason][1]


def totp_has_device(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_device_pending(*, user: User) -> TOTPDevice:
    """The unconfirmed device a staff member is enrolling (made on first call, the same key after)."""
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def _clean_token(token: str) -> str:
    return to_latin_digits(token or "").replace(" ", "").strip()


def totp_confirm(*, user: User, token: str) -> TOTPDevice:
    """Confirm the pending device with a token from the app; audited as ``identity.totp_enrolled``."""
    error: TotpError | None = None
    with transaction.atomic():
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise TotpError("no_device")  # enrolment is for accounts without a device; reset first
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            raise TotpError("no_device")
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            error = TotpError("throttled")
        elif device.verify_token(_clean_token(token)):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).exclude(pk=device.pk).delete()
            audit_record(actor=user, action="identity.totp_enrolled", target=user, payload={"device": device.pk})
        else:
            error = TotpError("wrong")
    if error is not None:
        raise error
    return device


def totp_verify(*, user: User, token: str) -> TOTPDevice:
    """Check a token against the user's confirmed device; a wrong one is audited (``identity.totp_failed``)."""
    error: TotpError | None = None
    with transaction.atomic():
        device = next(
            (d for d in devices_for_user(user, confirmed=True, for_verify=True) if isinstance(d, TOTPDevice)), None
        )
        if device is None:
            error = TotpError("no_device")
        else:
            allowed, _ = device.verify_is_allowed()
            if not allowed:
                error = TotpError("throttled")
            elif not device.verify_token(_clean_token(token)):
                error = TotpError("wrong")
                audit_record(
                    actor=user,
                    action="identity.totp_failed",
                    target=user,
                    payload={"failures": device.throttling_failure_count},
                )
    if error is not None:
        raise error
    assert device is not None
    return device


def totp_reset(*, actor: User | None, user: User, actor_label: str = "") -> int:
    """Remove every TOTP device of ``user`` (lost phone); the next staff sign-in enrols again. Audited."""
    with transaction.atomic():
        removed, _ = TOTPDevice.objects.filter(user=user).delete()
        audit_record(
            actor=actor,
            action="identity.totp_reset",
            target=user,
            payload={"username": user.get_username(), "devices_removed": removed},
            actor_label=actor_label,
        )
    return removed


# --------------------------------------------------------------------------------------------------
# Password reset by SMS
# --------------------------------------------------------------------------------------------------

RESET_PURPOSE: Final = "password_reset"
RESET_TEXT_FA: Final = "شهروند: کد بازیابی گذرواژه شما {code} است. این کد را به هیچ‌کس، حتی کارکنان شهرداری، ندهید."
CHANGED_NOTICE_FA: Final = "شهروند: گذرواژه حساب شما تغییر کرد. اگر این کار را شما نکرده‌اید، با شهرداری تماس بگیرید."


def reset_subject(user: User) -> str:
    return f"reset:{user.pk}"


def password_reset_start(*, user: User, mobile: str, district: District | None = None) -> OneTimeCode:
    """Text a reset code to the account's registered mobile (limits of :func:`otp_issue` apply)."""
    return otp_issue(
        purpose=RESET_PURPOSE, subject=reset_subject(user), mobile=mobile, text_fa=RESET_TEXT_FA, district=district
    )


def password_reset_check(*, user: User, code: str) -> None:
    """Verify (and use up) the reset code; :class:`OtpError` otherwise."""
    otp_verify(purpose=RESET_PURPOSE, subject=reset_subject(user), code=code)


def password_reset_complete(
    *, user: User, new_password: str, mobile: str = "", district: District | None = None
) -> None:
    """Set the new password (validated by the caller's form), audit it, tell the owner by SMS.

    Other sessions of the account end (their session hash no longer matches); the sign-in lockout
    of the account is lifted.
    """
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        audit_record(actor=user, action="identity.password_reset", target=user, payload={"by": "sms"})
        if mobile:
            sms_send(to=mobile, text=CHANGED_NOTICE_FA, purpose="password_changed", district=district)
    login_lockout_clear(user.get_username())
