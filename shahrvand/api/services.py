"""Writes of the API: tokens for citizens, keys for institutions, and the notary's answer document.

Each is one transaction with its audit entry. Signing in for a token goes through the same checks
as the portal's sign-in page: the lockout of :mod:`shahrvand.identity.lockout` (the same counters:
failures on the page and through the API add up), Django's ``authenticate``, and the SMS second
step when the citizen turned it on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Final

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from shahrvand.api import selectors
from shahrvand.api.credentials import KEY_PREFIX, TOKEN_PREFIX, new_secret, secret_hash, shown_prefix
from shahrvand.api.models import CitizenToken, InstitutionKey, NotaryInquiry
from shahrvand.audit.services import audit_record
from shahrvand.citizens import selectors as citizen_selectors
from shahrvand.citizens.codes import CodeError, parse_citizen_code
from shahrvand.citizens.models import Citizen
from shahrvand.core import jalali
from shahrvand.core.identifiers import IdentifierError, RenovationCode, parse_national_code
from shahrvand.core.models import City, District, Role
from shahrvand.core.text import to_latin_digits, to_persian_digits
from shahrvand.documents.models import Document
from shahrvand.documents.services import document_issue
from shahrvand.identity import lockout
from shahrvand.identity.services import otp_issue, otp_verify
from shahrvand.registry.corrections import CorrectionError, property_find
from shahrvand.revenue import selectors as revenue_selectors

# The property facts every property document prints, made the way the clearance certificate makes them.
from shahrvand.revenue.documents import _owners as property_owners
from shahrvand.revenue.documents import registry_plate

TOKEN_DAYS: Final = 30  # default of settings.SHAHRVAND_API_TOKEN_DAYS
ANSWER_VALID_DAYS: Final = 30
LOGIN_OTP_PURPOSE: Final = "login"  # the portal's purpose: a code sent for one works for the other


class ApiError(Exception):
    """Refused; nothing changed. ``status`` is the HTTP status the API answers with."""

    def __init__(self, code: str, status: int, message_en: str, message_fa: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.status = status
        self.message_en = message_en
        self.message_fa = message_fa


# --------------------------------------------------------------------------------------------------
# Citizens' tokens
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    token: CitizenToken
    secret: str  # shown once


def _citizen_for_identifier(text: str) -> Citizen | None:
    value = to_latin_digits(text or "").strip()
    try:
        return citizen_selectors.citizen_by_code(parse_citizen_code(value))
    except CodeError:
        pass
    try:
        return citizen_selectors.citizen_by_national_code(parse_national_code(value))
    except IdentifierError:
        return None


def _lock_name(citizen: Citizen | None, typed: str) -> str:
    """The portal's lockout counter of the account (``citizens.views._lock_name``), so both count together."""
    if citizen is not None:
        return citizen.user.get_username()
    return "citizen-unknown-" + hashlib.sha256(to_latin_digits(typed).strip().encode()).hexdigest()[:16]


def _login_subject(citizen: Citizen) -> str:
    return f"citizen-login:{citizen.pk}"


def citizen_token_sign_in(*, identifier: str, password: str, otp_code: str, ip: str) -> IssuedToken:
    """A token for the citizen with this national or citizen code and password.

    Raises :class:`~shahrvand.identity.ratelimit.RateLimited` while the account or the address is
    locked (five failures of an account, thirty of an address, in 15 minutes), :class:`ApiError`
    ``bad_credentials`` (401) for a wrong code or password — one answer whichever was wrong —,
    ``not_active`` (401), and ``otp_required`` (401, a code was sent by SMS) or an
    :class:`~shahrvand.identity.services.OtpError` when the citizen asked for the SMS second step.
    """
    citizen = _citizen_for_identifier(identifier)
    name = _lock_name(citizen, identifier)
    lockout.login_guard(name, ip)
    user = None
    if citizen is None:
        make_password(password)  # the same work as a real check: no timing hint
    elif citizen.activated_at is not None:
        user = authenticate(None, username=citizen.user.get_username(), password=password)
    if user is None or citizen is None:
        lockout.login_failed(username=name, ip=ip)
        if citizen is not None and citizen.activated_at is None:
            raise ApiError(
                "not_active",
                401,
                "This account is not active yet. Activate it first with the codes of your enrollment slip.",
                "این حساب هنوز فعال نشده است. نخست آن را با کدهای رسید ثبت‌نام فعال کنید.",
            )
        raise ApiError("bad_credentials", 401, "The code or the password is not right.", "کد یا گذرواژه درست نیست.")
    lockout.login_succeeded(username=name)
    if citizen.sms_second_step:
        if not otp_code:
            otp_issue(
                purpose=LOGIN_OTP_PURPOSE,
                subject=_login_subject(citizen),
                mobile=citizen.mobile,
                text_fa=f"شهرداری {citizen.district.city.name}: رمز ورود شما به سامانه شهروند: {{code}}",
                district=citizen.district,
            )
            raise ApiError(
                "otp_required",
                401,
                "A code was sent to your mobile by SMS: send it again with otp_code.",
                "کدی با پیامک به تلفن همراه شما فرستاده شد: آن را در otp_code بفرستید.",
            )
        otp_verify(purpose=LOGIN_OTP_PURPOSE, subject=_login_subject(citizen), code=otp_code)
    return citizen_token_issue(citizen=citizen)


def citizen_token_issue(*, citizen: Citizen) -> IssuedToken:
    """A new bearer token for ``citizen`` (the caller checked who they are), valid for 30 days."""
    secret = new_secret(TOKEN_PREFIX)
    now = timezone.now()
    days = int(getattr(settings, "SHAHRVAND_API_TOKEN_DAYS", TOKEN_DAYS))
    with transaction.atomic():
        token = CitizenToken.objects.create(
            citizen=citizen,
            token_hash=secret_hash(secret),
            prefix=shown_prefix(secret),
            created_at=now,
            expires_at=now + dt.timedelta(days=days),
        )
        audit_record(
            actor=citizen.user,
            action="api.token_issued",
            target=token,
            district=citizen.district,
            payload={"prefix": token.prefix, "expires_at": token.expires_at.isoformat()},
        )
    return IssuedToken(token, secret)


def citizen_token_revoke(*, token: CitizenToken) -> CitizenToken:
    """Revoke a token (the citizen signs out of the app); revoking twice changes nothing."""
    with transaction.atomic():
        locked = (
            CitizenToken.objects.select_for_update()
            .select_related("citizen__user", "citizen__district")
            .get(pk=token.pk)
        )
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            audit_record(
                actor=locked.citizen.user,
                action="api.token_revoked",
                target=locked,
                district=locked.citizen.district,
                payload={"prefix": locked.prefix},
            )
    return locked


def token_touch(token: CitizenToken) -> None:
    """Record when a token was last used (at most once a minute: no write per request)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        CitizenToken.objects.filter(pk=token.pk).update(last_used_at=now)


# --------------------------------------------------------------------------------------------------
# Institutions' keys
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedKey:
    key: InstitutionKey
    secret: str  # shown once


def institution_key_issue(*, kind: str, name: str, office_number: str, city: City, issued_by: str) -> IssuedKey:
    """A key for one notary office or bank of ``city``. Raises :class:`ApiError` when the office
    already holds a live key (revoke it first) or a field is empty. ``issued_by`` names who asked
    (the operating system user running the command)."""
    if kind not in InstitutionKey.Kind.values:
        raise ApiError("kind", 400, f"kind must be one of {InstitutionKey.Kind.values}", "نوع کلید نادرست است")
    name, office_number = name.strip(), to_latin_digits(office_number).strip()
    if not name or not office_number:
        raise ApiError("fields", 400, "name and office number are required", "نام و شماره دفتر لازم است")
    secret = new_secret(KEY_PREFIX)
    with transaction.atomic():
        if InstitutionKey.objects.filter(
            city=city, kind=kind, office_number=office_number, revoked_at__isnull=True
        ).exists():
            raise ApiError(
                "exists",
                409,
                f"{kind} office {office_number} of {city.slug} already has a live key: revoke it first",
                "این دفتر کلید فعال دارد؛ نخست آن را باطل کنید",
            )
        key = InstitutionKey.objects.create(
            kind=kind,
            name=name,
            office_number=office_number,
            city=city,
            key_hash=secret_hash(secret),
            prefix=shown_prefix(secret),
            created_at=timezone.now(),
        )
        audit_record(
            actor=None,
            actor_label=issued_by or "api_key_issue",
            action="api.key_issued",
            target=key,
            payload={"kind": kind, "name": name, "office_number": office_number, "prefix": key.prefix},
        )
    return IssuedKey(key, secret)


def institution_key_revoke(*, key: InstitutionKey, reason: str, revoked_by: str) -> InstitutionKey:
    """Revoke a key at once; its calls stop working. Raises :class:`ApiError` without a reason."""
    reason = reason.strip()
    if not reason:
        raise ApiError("reason", 400, "a reason is required", "ذکر دلیل لازم است")
    with transaction.atomic():
        locked = InstitutionKey.objects.select_for_update().get(pk=key.pk)
        if locked.revoked_at is not None:
            raise ApiError("revoked", 409, "the key is already revoked", "این کلید پیش‌تر باطل شده است")
        locked.revoked_at = timezone.now()
        locked.revoke_reason = reason[:300]
        locked.save(update_fields=["revoked_at", "revoke_reason"])
        audit_record(
            actor=None,
            actor_label=revoked_by or "api_key_revoke",
            action="api.key_revoked",
            target=locked,
            payload={"prefix": locked.prefix, "reason": locked.revoke_reason},
        )
    return locked


def key_touch(key: InstitutionKey) -> None:
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > dt.timedelta(minutes=1):
        InstitutionKey.objects.filter(pk=key.pk).update(last_used_at=now)


def key_call_audit(
    *, key: InstitutionKey, action: str, payload: dict[str, object], district: District | None = None
) -> None:
    """One audit entry for a call made with ``key`` (the key is the actor)."""
    with transaction.atomic():
        audit_record(
            actor=None,
            actor_label=key.label,
            action=action,
            target=key,
            district=district,
            payload=payload,
        )


# --------------------------------------------------------------------------------------------------
# The notary's inquiry
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NotaryAnswer:
    inquiry: NotaryInquiry
    document: Document
    renovation_code: str
    clear: bool
    debts: list[revenue_selectors.Debt]
    completion: Document | None
    no_violation: Document | None

    @property
    def debt_total(self) -> int:
        return sum(d.amount for d in self.debts)


def _fa(value: int | str) -> str:
    return to_persian_digits(str(value))


def _answer_text(debts: list[revenue_selectors.Debt], certificates: selectors.Certificates) -> str:
    if debts:
        total = f"{sum(d.amount for d in debts):,}".replace(",", "٬")
        money = (
            f"ملک {_fa(len(debts))} قبض پرداخت‌نشده به مبلغ {_fa(total)} ریال دارد و "
            "نقل و انتقال آن پیش از تسویه بلامانع نیست."
        )
    else:
        money = "ملک تا تاریخ صدور این پاسخ بدهی عوارض و بهای خدمات به شهرداری ندارد."
    parts = [money]
    for document, label in (
        (certificates.completion, "گواهی پایان کار"),
        (certificates.no_violation, "گواهی عدم خلاف"),
    ):
        if document is not None:
            parts.append(f"{label} به شماره {document.number} صادر شده و معتبر است.")
        else:
            parts.append(f"{label} معتبری برای این ملک صادر نشده است.")
    return " ".join(parts)


def notary_inquiry_answer(
    *, key: InstitutionKey, renovation_code: str, inquiry_ref: str = "", inquiry_date: str = ""
) -> NotaryAnswer:
    """Answer a notary's inquiry about a property of the key's city with a signed one-page document.

    The property is clear when it has no open debt today (:func:`revenue.selectors.property_debts`,
    the clearance certificate's rule: instalments count, bills on the land count for its units).
    Raises :class:`IdentifierError` for a malformed renovation code and :class:`ApiError`
    ``not_found`` (404) when the city has no such property, or ``wrong_kind`` (403) for a bank's key.
    """
    if key.kind != InstitutionKey.Kind.NOTARY:
        raise ApiError("wrong_kind", 403, "only a notary office's key may ask", "فقط کلید دفتر اسناد رسمی مجاز است")
    code = RenovationCode.parse(renovation_code)
    district = selectors.district_of(key.city, code)
    not_found = ApiError(
        "not_found",
        404,
        f"no property {code} in {key.city.slug}",
        f"ملکی با کد نوسازی {_fa(str(code))} در این شهر ثبت نشده است",
    )
    if district is None:
        raise not_found
    try:
        parcel, _building, _unit = property_find(str(code), district)
    except CorrectionError:
        raise not_found from None
    today = jalali.today()
    with transaction.atomic():
        debts = revenue_selectors.property_debts(parcel, code)
        certificates = selectors.property_certificates(district, code)
        canonical = str(code)
        document = document_issue(
            actor=None,
            doc_type="inquiry_answer",
            district=district,
            fields={
                "inquirer": f"{key.name} (شماره {_fa(key.office_number)})",
                "inquiry_ref": inquiry_ref.strip() or "—",
                "inquiry_date": inquiry_date.strip() or jalali.format_jalali(today),
                "subject": "بدهی عوارض شهرداری و گواهی پایان کار یا عدم خلاف ملک برای تنظیم سند",
                "renovation_code": canonical,
                "address": parcel.address or "—",
                "registry_plate": registry_plate(parcel),
                "owners": property_owners(canonical, district),
                "answer": _answer_text(debts, certificates),
                "valid_until": jalali.format_jalali(today + dt.timedelta(days=ANSWER_VALID_DAYS)),
            },
            signer_role=str(Role.REVENUE),
            subject_ref=canonical,
        )
        inquiry = NotaryInquiry.objects.create(
            key=key,
            district=district,
            renovation_code=canonical,
            inquiry_ref=inquiry_ref.strip()[:60],
            clear=not debts,
            debt_count=len(debts),
            debt_total=sum(d.amount for d in debts),
            completion_number=certificates.completion.number if certificates.completion else "",
            no_violation_number=certificates.no_violation.number if certificates.no_violation else "",
            document=document,
            created_at=timezone.now(),
        )
        audit_record(
            actor=None,
            actor_label=key.label,
            action="api.notary_inquiry",
            target=inquiry,
            district=district,
            payload={
                "renovation_code": canonical,
                "clear": not debts,
                "debts": [d.bill.bill_id for d in debts],
                "completion": inquiry.completion_number,
                "no_violation": inquiry.no_violation_number,
                "document": document.number,
            },
        )
    return NotaryAnswer(
        inquiry=inquiry,
        document=document,
        renovation_code=canonical,
        clear=not debts,
        debts=debts,
        completion=certificates.completion,
        no_violation=certificates.no_violation,
    )
