"""Writes about citizens: enrollment at the counter, re-enrollment, activation, settings, the mobile number.

Each service is one transaction with its audit entry; SMS leave after the commit (the SMS package
queues them with ``transaction.on_commit``). A service that refuses raises :class:`CitizenError`
with a stable ``code`` and a Persian and an English message, and has changed nothing.

One-time codes are checked *before* the service's transaction opens: the identity package records
a wrong try or a used code in its own transaction, which must stay committed when the service then
refuses (otherwise a failed try would be rolled back and could be repeated for ever).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from shahrvand.audit.services import audit_record
from shahrvand.cases.errors import CaseError
from shahrvand.cases.models import Case
from shahrvand.cases.services import case_file
from shahrvand.citizens import selectors
from shahrvand.citizens.codes import (
    CodeError,
    format_activation_code,
    format_citizen_code,
    new_activation_code,
    new_citizen_code,
    parse_activation_code,
    parse_citizen_code,
)
from shahrvand.citizens.models import ActivationCode, Citizen, EnrollmentLink, IdDocument
from shahrvand.core.access import Action, require
from shahrvand.core.identifiers import (
    IdentifierError,
    RenovationCode,
    format_mobile_local,
    parse_mobile,
    parse_national_code,
)
from shahrvand.core.jalali import format_jalali
from shahrvand.core.models import District, Role, User
from shahrvand.core.text import to_latin_digits, to_persian_digits
from shahrvand.documents.models import Document
from shahrvand.documents.rendering import qr_svg_data_uri
from shahrvand.documents.services import document_issue
from shahrvand.documents.types import document_type, ltr_isolate, summarise_items
from shahrvand.identity import matching, ratelimit
from shahrvand.identity.ratelimit import RateLimited
from shahrvand.identity.services import OtpError, otp_issue, otp_verify
from shahrvand.registry.models import Business, ChangeRecord, Ownership, Person
from shahrvand.sms.services import sms_send

ACTIVATION_VALID: Final = dt.timedelta(days=7)
# Wrong activation codes allowed per citizen code in the window, before the code is locked for a while.
ACTIVATION_TRIES: Final = 5
ACTIVATION_WINDOW_S: Final = 60 * 60
ACTIVATION_CLIENT_TRIES: Final = 30  # attempts per client address per window, right or wrong

_LEVEL_FA: Final = {"parcel": "ملک", "building": "ساختمان", "apartment": "آپارتمان", "shop": "مغازه"}


class CitizenError(ValueError):
    """A refusal the person at the counter or at the keyboard can act on. Nothing was changed."""

    def __init__(self, code: str, message_en: str, message_fa: str, *, field: str = "") -> None:
        super().__init__(message_en)
        self.code = code
        self.message_en = message_en
        self.message_fa = message_fa
        self.field = field  # the form field the message belongs to ("" for the whole form)

    @classmethod
    def from_identifier(cls, exc: IdentifierError, field: str) -> CitizenError:
        return cls(exc.code, exc.message_en, exc.message_fa, field=field)

    @classmethod
    def from_code(cls, exc: CodeError, field: str) -> CitizenError:
        return cls(exc.code, exc.message_en, exc.message_fa, field=field)


class TooManyTries(CitizenError):
    def __init__(self, retry_after: int, message_en: str, message_fa: str) -> None:
        super().__init__("rate_limited", message_en, message_fa)
        self.retry_after = retry_after


def _too_many(exc: RateLimited) -> TooManyTries:
    return TooManyTries(exc.retry_after, exc.message_en, exc.message_fa)


def _otp_error(exc: OtpError, field: str = "otp_code") -> CitizenError:
    return CitizenError(f"otp.{exc.reason}", exc.message_en, exc.message_fa, field=field)


# --------------------------------------------------------------------------------------------------
# Enrollment at the counter
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkDecision:
    """The clerk's decision on one holding the registry links to the person."""

    kind: Literal["property", "business"]
    code: str
    status: Literal["confirmed", "mismatch"]
    field: str = ""  # for a mismatch: what is wrong, as "entity.field" (e.g. "units.area_m2")
    value: str = ""  # for a mismatch: the right value, as the citizen says it is
    note: str = ""


@dataclass(frozen=True)
class PersonData:
    """A person the audit does not list, registered at the counter from their identity document."""

    first_name: str
    last_name: str
    father_name: str = ""
    birth_date: dt.date | None = None


@dataclass(frozen=True)
class EnrollmentResult:
    citizen: Citizen
    activation_code_plain: str
    slip: Document
    cases: tuple[str, ...] = ()  # tracking codes of the correction requests opened for mismatches

    @property
    def activation_code_display(self) -> str:
        return format_activation_code(self.activation_code_plain)


def _parse_mobile(mobile: str) -> str:
    try:
        return parse_mobile(mobile)
    except IdentifierError as exc:
        raise CitizenError.from_identifier(exc, "mobile") from None


def _mobile_taken() -> CitizenError:
    return CitizenError(
        "mobile_taken",
        "This mobile number is already bound to another person's account. Each number serves one person: "
        "ask for a number registered in this person's own name.",
        "این شماره همراه پیش‌تر به حساب شخص دیگری پیوند خورده است. هر شماره فقط برای یک نفر است: "
        "شماره‌ای بخواهید که به نام خود این شخص ثبت شده باشد.",
        field="mobile",
    )


def _check_mobile(*, person: Person | None, national_code: str, mobile: str, clerk_decides: bool = False) -> str:
    """The number is free (bound to no other citizen) and the operator says it is this person's.

    Returns the outcome of the matching check (``match``, or ``unavailable`` when the service did not
    answer and the clerk decided to go on: ``clerk_decides``, recorded in the audit entry).
    """
    taken = Citizen.objects.filter(mobile=mobile)
    if person is not None:
        taken = taken.exclude(person=person)
    if taken.exists():
        raise _mobile_taken()
    result = matching.mobile_matches(national_code, mobile)
    if result.status == matching.MatchStatus.UNAVAILABLE:
        if clerk_decides:
            return str(result.status)
        raise CitizenError(
            "mobile_check_unavailable",
            "The mobile-ownership check (the operator's registry) is not answering. Nothing was saved: try again "
            "in a few minutes, or, if you have seen proof that the SIM card is in the person's name, tick "
            "“I checked the SIM card's owner myself” (your decision is recorded).",
            "سامانه استعلام مالکیت شماره همراه (شاهکار) پاسخ نمی‌دهد. چیزی ذخیره نشد: چند دقیقه دیگر دوباره تلاش "
            "کنید، یا اگر مدرک مالکیت سیم‌کارت به نام این شخص را دیده‌اید، گزینه «مالکیت سیم‌کارت را خودم بررسی "
            "کردم» را بزنید (تصمیم شما ثبت می‌شود).",
            field="mobile",
        )
    if result.status != matching.MatchStatus.MATCH:
        raise CitizenError(
            "mobile_mismatch",
            "The operator's registry says this mobile number is not registered to this national code. "
            "Ask for a SIM card registered in the person's own name.",
            "بنا بر استعلام از اپراتور، این شماره همراه به نام صاحب این کد ملی نیست. "
            "شماره‌ای بخواهید که سیم‌کارت آن به نام خود این شخص باشد.",
            field="mobile",
        )
    return str(result.status)


def _check_id_document(id_document_type: str, id_document_number: str) -> str:
    if id_document_type not in IdDocument.values:
        raise CitizenError(
            "id_document.type",
            "Choose the identity document you checked.",
            "مدرک شناسایی‌ای را که بررسی کردید انتخاب کنید.",
            field="id_document_type",
        )
    number = to_latin_digits(id_document_number or "").strip()
    if not number:
        raise CitizenError(
            "id_document.number",
            "Enter the number of the identity document you checked.",
            "شماره مدرک شناسایی بررسی‌شده را وارد کنید.",
            field="id_document_number",
        )
    return number[:40]


def _register_person(*, actor: User, district: District, national_code: str, data: PersonData) -> Person:
    """A person the audit did not list; recorded in the registry's history as a counter registration."""
    first, last = data.first_name.strip(), data.last_name.strip()
    if not first or not last:
        raise CitizenError(
            "person.name_required",
            "This national code is not in the audit: enter the first and last name from the identity document "
            "to register the person.",
            "این کد ملی در ممیزی نیست: برای ثبت شخص، نام و نام خانوادگی را از روی مدرک شناسایی وارد کنید.",
            field="first_name",
        )
    person = Person.objects.create(
        home_district=district,
        national_code=national_code,
        first_name=first[:100],
        last_name=last[:100],
        father_name=data.father_name.strip()[:100],
        birth_date=data.birth_date,
        search_name=f"{first} {last}"[:220],
    )
    ChangeRecord.objects.create(
        district=district,
        entity="people",
        key=national_code,
        kind=ChangeRecord.Kind.CREATED,
        changes={
            "first_name": [None, person.first_name],
            "last_name": [None, person.last_name],
            "father_name": [None, person.father_name],
            "birth_date": [None, data.birth_date.isoformat() if data.birth_date else None],
        },
        actor=actor,
    )
    return person


def _holdings(person: Person, district: District) -> tuple[list[Ownership], list[Business]]:
    ownerships = list(
        Ownership.objects.filter(person=person, district=district, missing_since__isnull=True)
        .select_related("parcel", "unit")
        .order_by("property_code")
    )
    businesses = list(
        Business.objects.filter(operator=person, district=district, missing_since__isnull=True).order_by(
            "business_code"
        )
    )
    return ownerships, businesses


def _check_decisions(
    decisions: Sequence[LinkDecision], ownerships: list[Ownership], businesses: list[Business]
) -> dict[tuple[str, str], LinkDecision]:
    holdings = {("property", o.property_code) for o in ownerships} | {("business", b.business_code) for b in businesses}
    by_key: dict[tuple[str, str], LinkDecision] = {}
    for decision in decisions:
        key = (decision.kind, decision.code)
        if key not in holdings:
            raise CitizenError(
                "links.unknown",
                f"{decision.code} is not linked to this person in the registry.",
                f"{decision.code} در بانک املاک به این شخص پیوند ندارد.",
            )
        if decision.status == "mismatch" and (not decision.field or not decision.value.strip()):
            raise CitizenError(
                "links.correction_required",
                "For each record reported as wrong, say which field is wrong and what the right value is: "
                "it becomes a correction request.",
                "برای هر مورد مغایرت بگویید کدام مورد نادرست است و مقدار درست چیست: این درخواست اصلاح می‌شود.",
            )
        by_key[key] = decision
    undecided = holdings - set(by_key)
    if undecided:
        raise CitizenError(
            "links.undecided",
            "Confirm each property and business with the citizen, or report it as a mismatch.",
            "هر ملک و کسب‌وکار را با شهروند تأیید کنید یا مغایرت آن را گزارش کنید.",
        )
    return by_key


def correction_target(kind: str, code: str, field: str) -> tuple[str, str, str]:
    """``(entity, key, field)`` of the registry record a correction of ``field`` ("entity.field") names.

    A holding's code names its own record; a field of the parcel or the building it stands in names
    that parent (the address of an apartment is the parcel's address).
    """
    entity, _, name = field.partition(".")
    if kind == "business":
        return entity, code, name
    renovation = RenovationCode.parse(code)
    if entity == "parcels":
        return entity, str(renovation.parcel_code), name
    if entity == "buildings" and renovation.building_code is not None:
        return entity, str(renovation.building_code), name
    return entity, code, name


def _case_error(exc: CaseError) -> CitizenError:
    return CitizenError(exc.code, exc.message_en, exc.message_fa, field="value")


def _open_correction(*, actor: User, citizen: Citizen, district: District, decision: LinkDecision) -> tuple[int, str]:
    """A data-correction request for a holding the citizen says is wrong (filed by the clerk at the counter)."""
    entity, key, name = correction_target(decision.kind, decision.code, decision.field)
    try:
        case = case_file(
            requester=citizen.person,
            filed_by=actor,
            case_type="data_correction",
            district=district,
            data={"entity": entity, "key": key, "changes": {name: decision.value}, "description": decision.note},
            subject_ref=decision.code,
            role=str(Role.CLERK),
        )
    except CaseError as exc:
        raise _case_error(exc) from None
    return case.pk, case.tracking_code


def _property_item(ownership: Ownership) -> str:
    level = selectors._level(ownership.property_code)
    share = format(ownership.share_dang.normalize(), "f")
    return (
        f"{_LEVEL_FA.get(level, 'ملک')} {ltr_isolate(ownership.property_code)} — {ownership.parcel.address} "
        f"({to_persian_digits(share)} دانگ)"
    )


def _business_item(business: Business) -> str:
    return f"کسب‌وکار {ltr_isolate(business.business_code)} — {business.title}"


def _slip_items(
    ownerships: list[Ownership], businesses: list[Business], mismatch: dict[tuple[str, str], str]
) -> list[str]:
    items = []
    for ownership in ownerships:
        text = _property_item(ownership)
        tracking = mismatch.get(("property", ownership.property_code))
        if tracking is not None:
            text += f" — مغایرت گزارش شد، کد رهگیری {ltr_isolate(tracking)}" if tracking else " — مغایرت گزارش شد"
        items.append(text)
    for business in businesses:
        text = _business_item(business)
        tracking = mismatch.get(("business", business.business_code))
        if tracking is not None:
            text += f" — مغایرت گزارش شد، کد رهگیری {ltr_isolate(tracking)}" if tracking else " — مغایرت گزارش شد"
        items.append(text)
    if not items:
        return ["ملک یا کسب‌وکاری در ممیزی به نام شما ثبت نشده است؛ پس از فعال‌سازی می‌توانید درخواست پیوند ملک بدهید."]
    limit = document_type("enrollment_slip").field("properties").max_items or 10
    return summarise_items(items, limit - 1)


def activation_url(activation_code: str) -> str:
    """The address printed on the slip: it carries the activation code (a secret, like the slip itself)."""
    base = settings.SHAHRVAND_PUBLIC_URL.rstrip("/")
    return f"{base}/activate/{format_activation_code(activation_code)}"


def _new_activation(*, citizen: Citizen, actor: User | None, now: dt.datetime) -> tuple[ActivationCode, str]:
    plain = new_activation_code()
    code = ActivationCode.objects.create(
        citizen=citizen,
        code_hash=make_password(plain),
        expires_at=now + ACTIVATION_VALID,
        created_at=now,
        created_by=actor,
    )
    return code, plain


def _issue_slip(
    *,
    actor: User,
    district: District,
    citizen: Citizen,
    activation: ActivationCode,
    plain: str,
    items: list[str],
) -> Document:
    person = citizen.person
    return document_issue(
        actor=actor,
        doc_type="enrollment_slip",
        district=district,
        fields={
            "holder_name": person.full_name,
            "holder_national_code": person.national_code,
            "citizen_code": format_citizen_code(citizen.citizen_code),
            "activation_url": activation_url(plain),
            "activation_expires": format_jalali(activation.expires_at, "%Y/%m/%d %H:%M"),
            "properties": items,
        },
        signer_role="clerk",
        subject_national_code=person.national_code,
        subject_ref=f"citizen:{citizen.citizen_code}",
        # Presentation only (not certified): a QR code that opens the activation address on a phone.
        context={"activation_qr": qr_svg_data_uri(activation_url(plain))},
    )


def _enrollment_sms(citizen: Citizen, district: District, expires_at: dt.datetime, *, again: bool = False) -> None:
    when = to_persian_digits(format_jalali(expires_at, "%Y/%m/%d"))
    opening = (
        "کد تازه فعال‌سازی برای حساب شما صادر شد و کد پیشین باطل شد" if again else "ثبت‌نام شما در سامانه شهروند انجام شد"
    )
    sms_send(
        to=citizen.mobile,
        text=(
            f"شهرداری {district.city.name}: {opening}. حساب خود را تا {when} با نشانی روی برگه ثبت‌نام فعال کنید. "
            "اگر شما به پیشخوان شهرداری نرفته‌اید، با شهرداری تماس بگیرید."
        ),
        purpose="enrollment",
        district=district,
    )


def _create_citizen(
    *, actor: User, district: District, person: Person, mobile: str, id_type: str, id_number: str, now: dt.datetime
) -> Citizen:
    """The citizen and their user (unusable password until activation), under a fresh random code."""
    for _attempt in range(20):
        code = new_citizen_code()
        try:
            with transaction.atomic():
                user = User(username=f"c{code}", first_name=person.first_name[:150], last_name=person.last_name[:150])
                user.set_unusable_password()
                user.save()
                return Citizen.objects.create(
                    person=person,
                    user=user,
                    citizen_code=code,
                    district=district,
                    mobile=mobile,
                    enrolled_by=actor,
                    enrolled_at=now,
                    id_document_type=id_type,
                    id_document_number=id_number,
                    mobile_confirmed_at=now,
                )
        except IntegrityError:
            # Checked before, so only a concurrent enrollment gets here — or a rare clash of random codes.
            if Citizen.objects.filter(person=person).exists():
                raise _already_enrolled() from None
            if Citizen.objects.filter(mobile=mobile).exists():
                raise _mobile_taken() from None
    raise RuntimeError("could not draw a free citizen code")  # 20 clashes among 90 million codes: a bug


def _already_enrolled() -> CitizenError:
    return CitizenError(
        "already_enrolled",
        "This person is already enrolled. If they lost their slip or code, use re-enrollment: it voids the old "
        "activation code and prints a new slip.",
        "این شخص پیش‌تر ثبت‌نام شده است. اگر برگه یا کد را گم کرده، «صدور دوباره کد» را بزنید: کد فعال‌سازی قبلی "
        "باطل و برگه تازه چاپ می‌شود.",
        field="national_code",
    )


def citizen_enroll(
    *,
    actor: User,
    district: District,
    national_code: str,
    person_data: PersonData | None = None,
    id_document_type: str,
    id_document_number: str,
    mobile: str,
    confirmations: Sequence[LinkDecision],
    mobile_checked_by_clerk: bool = False,
) -> EnrollmentResult:
    """Enroll a person at the counter of ``district``: the citizen account, its activation code and the slip.

    The person is found by national code in the registry, or registered from ``person_data`` when the
    audit does not list them. Every holding the registry links to them in the district gets the clerk's
    decision (``confirmations``); each reported mismatch opens a data-correction request.
    """
    require(actor, Action.ENROLL, district)
    try:
        code = parse_national_code(national_code)
    except IdentifierError as exc:
        raise CitizenError.from_identifier(exc, "national_code") from None
    id_number = _check_id_document(id_document_type, id_document_number)
    phone = _parse_mobile(mobile)
    person = Person.objects.filter(national_code=code).first()
    if person is None and person_data is None:
        raise CitizenError(
            "not_in_audit",
            "This national code is not in the property audit. Check it against the card; if it is right, "
            "register the person from their identity document (they will have no linked property yet).",
            "این کد ملی در ممیزی املاک نیست. آن را با کارت ملی مقایسه کنید؛ اگر درست است، شخص را از روی مدرک "
            "شناسایی ثبت کنید (هنوز ملکی به او پیوند ندارد).",
            field="national_code",
        )
    if person is not None:
        if Citizen.objects.filter(person=person).exists():
            raise _already_enrolled()
        if not selectors.person_in_district(person, district):
            raise CitizenError(
                "not_in_district",
                "The audit lists this person in another district only: enroll them at that district's counter.",
                "ممیزی این شخص را فقط در منطقه دیگری ثبت کرده است: ثبت‌نام او در پیشخوان همان منطقه انجام می‌شود.",
                field="national_code",
            )
    mobile_check = _check_mobile(person=person, national_code=code, mobile=phone, clerk_decides=mobile_checked_by_clerk)

    with transaction.atomic():
        now = timezone.now()
        registered = person is None
        if person is None:
            assert person_data is not None
            person = _register_person(actor=actor, district=district, national_code=code, data=person_data)
        ownerships, businesses = _holdings(person, district)
        decisions = _check_decisions(confirmations, ownerships, businesses)
        citizen = _create_citizen(
            actor=actor,
            district=district,
            person=person,
            mobile=phone,
            id_type=id_document_type,
            id_number=id_number,
            now=now,
        )
        mismatch: dict[tuple[str, str], str] = {}
        tracking_codes: list[str] = []
        for key, decision in sorted(decisions.items()):
            case_id: int | None = None
            tracking = ""
            if decision.status == "mismatch":
                case_id, tracking = _open_correction(actor=actor, citizen=citizen, district=district, decision=decision)
                mismatch[key] = tracking
                tracking_codes.append(tracking)
            EnrollmentLink.objects.create(
                citizen=citizen,
                kind=decision.kind,
                code=decision.code,
                status=decision.status,
                note=decision.note.strip()[:500],
                case_id=case_id,
                case_tracking_code=tracking,
                created_at=now,
                created_by=actor,
            )
        activation, plain = _new_activation(citizen=citizen, actor=actor, now=now)
        slip = _issue_slip(
            actor=actor,
            district=district,
            citizen=citizen,
            activation=activation,
            plain=plain,
            items=_slip_items(ownerships, businesses, mismatch),
        )
        audit_record(
            actor=actor,
            action="citizens.enroll",
            target=citizen,
            district=district,
            payload={
                "citizen_code": citizen.citizen_code,
                "person": person.pk,
                "registered_at_counter": registered,
                "id_document_type": id_document_type,
                "mobile_check": mobile_check,
                "confirmed": sorted(d.code for d in decisions.values() if d.status == "confirmed"),
                "mismatch": sorted(d.code for d in decisions.values() if d.status == "mismatch"),
                "cases": tracking_codes,
                "slip": slip.number,
                "activation_expires": activation.expires_at.isoformat(),
            },
        )
        _enrollment_sms(citizen, district, activation.expires_at)
    return EnrollmentResult(citizen, plain, slip, tuple(tracking_codes))


def citizen_reenroll(
    *,
    actor: User,
    district: District,
    national_code: str,
    id_document_type: str,
    id_document_number: str,
    mobile: str = "",
    mobile_checked_by_clerk: bool = False,
) -> EnrollmentResult:
    """A lost slip or code: void the live activation code and issue a new one with a new slip.

    The clerk checks the identity document again; a new ``mobile`` (checked like at enrollment)
    replaces the bound number. The citizen code does not change. An activated citizen sets a new
    password with the new activation code (the way back for someone who lost their phone too).
    """
    require(actor, Action.ENROLL, district)
    try:
        code = parse_national_code(national_code)
    except IdentifierError as exc:
        raise CitizenError.from_identifier(exc, "national_code") from None
    id_number = _check_id_document(id_document_type, id_document_number)
    citizen = selectors.citizen_by_national_code(code)
    if citizen is None:
        raise CitizenError(
            "not_enrolled",
            "This person has not enrolled yet: enroll them first.",
            "این شخص هنوز ثبت‌نام نکرده است: ابتدا ثبت‌نام کنید.",
            field="national_code",
        )
    if citizen.district_id != district.pk and not selectors.person_in_district(citizen.person, district):
        raise CitizenError(
            "not_in_district",
            "This citizen enrolled in another district and holds nothing in this one: re-enroll them there.",
            "این شهروند در منطقه دیگری ثبت‌نام کرده و در این منطقه ملکی ندارد: صدور دوباره کد در همان منطقه است.",
            field="national_code",
        )
    phone = _parse_mobile(mobile) if mobile.strip() else citizen.mobile
    mobile_check = "unchanged"
    if phone != citizen.mobile:
        mobile_check = _check_mobile(
            person=citizen.person, national_code=code, mobile=phone, clerk_decides=mobile_checked_by_clerk
        )

    with transaction.atomic():
        now = timezone.now()
        citizen = Citizen.objects.select_for_update().select_related("person", "user").get(pk=citizen.pk)
        voided = list(
            ActivationCode.objects.select_for_update()
            .filter(citizen=citizen, used_at__isnull=True, voided_at__isnull=True)
            .values_list("pk", flat=True)
        )
        ActivationCode.objects.filter(pk__in=voided).update(voided_at=now)
        old_mobile = citizen.mobile
        citizen.mobile = phone
        citizen.mobile_confirmed_at = now
        citizen.id_document_type = id_document_type
        citizen.id_document_number = id_number
        citizen.save(update_fields=["mobile", "mobile_confirmed_at", "id_document_type", "id_document_number"])
        activation, plain = _new_activation(citizen=citizen, actor=actor, now=now)
        ownerships, businesses = _holdings(citizen.person, district)
        mismatch: dict[tuple[str, str], str] = {
            (link.kind, link.code): link.case_tracking_code
            for link in citizen.links.filter(status=EnrollmentLink.Status.MISMATCH)
        }
        slip = _issue_slip(
            actor=actor,
            district=district,
            citizen=citizen,
            activation=activation,
            plain=plain,
            items=_slip_items(ownerships, businesses, mismatch),
        )
        audit_record(
            actor=actor,
            action="citizens.reenroll",
            target=citizen,
            district=district,
            payload={
                "citizen_code": citizen.citizen_code,
                "voided_activation_codes": voided,
                "mobile_changed": old_mobile != phone,
                "mobile_check": mobile_check,
                "id_document_type": id_document_type,
                "slip": slip.number,
                "activation_expires": activation.expires_at.isoformat(),
            },
        )
        _enrollment_sms(citizen, district, activation.expires_at, again=True)
    return EnrollmentResult(citizen, plain, slip)


# --------------------------------------------------------------------------------------------------
# Activation
# --------------------------------------------------------------------------------------------------


def _activation_fail_key(citizen_code: str) -> str:
    return f"activation-fail:{citizen_code}"


def _activation_lock_key(citizen_code: str) -> str:
    return f"shahrvand:citizens:activation-lock:{ratelimit.cache_key_digest(citizen_code)}"


def _activation_guard(citizen_code: str, client: str) -> None:
    """Refuse while the citizen code is locked after wrong codes, or the client tries too often."""
    until = cache.get(_activation_lock_key(citizen_code))
    if until is not None and float(until) > time.time():
        raise _too_many(RateLimited(math.ceil(float(until) - time.time())))
    if client:
        try:
            ratelimit.check_rate(f"activation-client:{client}", ACTIVATION_CLIENT_TRIES, ACTIVATION_WINDOW_S)
        except RateLimited as exc:
            raise _too_many(exc) from None


def _activation_failed(citizen_code: str) -> None:
    """Count a wrong activation code; at the limit the citizen code is locked for the window."""
    failures, _left = ratelimit.hit(_activation_fail_key(citizen_code), ACTIVATION_WINDOW_S)
    if failures >= ACTIVATION_TRIES:
        cache.set(_activation_lock_key(citizen_code), time.time() + ACTIVATION_WINDOW_S, timeout=ACTIVATION_WINDOW_S)
        ratelimit.rate_reset(_activation_fail_key(citizen_code), ACTIVATION_WINDOW_S)


def _activation_target(citizen_code: str, activation_code: str, client: str = "") -> tuple[Citizen, ActivationCode]:
    """The citizen and their live activation code, when the two codes match; else a clear refusal.

    Wrong codes count against the citizen code: after five in an hour it is locked for an hour,
    whatever is typed (so guessing cannot go on); each client address has its own budget too.
    """
    try:
        code = parse_citizen_code(citizen_code)
    except CodeError as exc:
        raise CitizenError.from_code(exc, "citizen_code") from None
    try:
        secret = parse_activation_code(activation_code)
    except CodeError as exc:
        raise CitizenError.from_code(exc, "activation_code") from None
    _activation_guard(code, client)
    citizen = selectors.citizen_by_code(code)
    live = selectors.live_activation_code(citizen) if citizen is not None else None
    if citizen is None or live is None or not check_password(secret, live.code_hash):
        if citizen is not None:
            _refuse_spent(citizen, secret, exclude=live)
        _activation_failed(code)
        raise CitizenError(
            "activation.wrong",
            "The citizen code and the activation code do not match. Check both against your enrollment slip.",
            "کد شهروندی و کد فعال‌سازی با هم جور نیستند. هر دو را با برگه ثبت‌نام مقایسه کنید.",
            field="activation_code",
        )
    if live.expires_at <= timezone.now():
        when = format_jalali(live.expires_at, "%Y/%m/%d")
        raise CitizenError(
            "activation.expired",
            f"This activation code expired on {when}. Visit the municipality's counter with your national ID "
            "card for a new one.",
            f"مهلت این کد فعال‌سازی در {to_persian_digits(when)} به پایان رسید. برای گرفتن کد تازه با کارت ملی "
            "به پیشخوان شهرداری بروید.",
            field="activation_code",
        )
    return citizen, live


def _refuse_spent(citizen: Citizen, secret: str, *, exclude: ActivationCode | None) -> None:
    """When the code was valid once, say whether it was used or replaced by a newer slip."""
    spent = citizen.activation_codes.exclude(pk=exclude.pk) if exclude is not None else citizen.activation_codes.all()
    for old in spent[:5]:
        if not check_password(secret, old.code_hash):
            continue
        if old.used_at is not None:
            raise CitizenError(
                "activation.used",
                "This activation code was already used: your account is active. Sign in with your password.",
                "این کد فعال‌سازی پیش‌تر به کار رفته و حساب شما فعال است. با رمز عبور خود وارد شوید.",
                field="activation_code",
            )
        raise CitizenError(
            "activation.voided",
            "This activation code was replaced by a newer enrollment slip. Use the code on the newest slip.",
            "این کد فعال‌سازی با برگه ثبت‌نام تازه‌تری باطل شده است. کد روی تازه‌ترین برگه را به کار ببرید.",
            field="activation_code",
        )


def _activation_subject(citizen: Citizen) -> str:
    return f"activation:{citizen.pk}"


def citizen_activation_start(*, citizen_code: str, activation_code: str, client: str = "") -> Citizen:
    """Step one: the two codes of the slip match; a one-time code goes by SMS to the bound mobile."""
    citizen, _live = _activation_target(citizen_code, activation_code, client)
    city = citizen.district.city.name
    try:
        otp_issue(
            purpose="activation",
            subject=_activation_subject(citizen),
            mobile=citizen.mobile,
            text_fa=f"شهرداری {city}: رمز یک‌بارمصرف فعال‌سازی حساب شهروندی شما: {{code}}. آن را به کسی ندهید.",
            district=citizen.district,
        )
    except RateLimited as exc:
        raise _too_many(exc) from None
    return citizen


def citizen_activate(
    *, citizen_code: str, activation_code: str, otp_code: str, password: str, client: str = ""
) -> Citizen:
    """Step two: the SMS one-time code and a new password; the activation code is spent, the account active."""
    citizen, _live = _activation_target(citizen_code, activation_code, client)
    user = citizen.user
    try:
        validate_password(password, user)
    except ValidationError as exc:
        text = " ".join(str(m) for m in exc.messages)
        raise CitizenError("password.invalid", text, text, field="password1") from None
    try:
        otp_verify(purpose="activation", subject=_activation_subject(citizen), code=otp_code)
    except OtpError as exc:
        raise _otp_error(exc) from None
    except RateLimited as exc:
        raise _too_many(exc) from None
    with transaction.atomic():
        now = timezone.now()
        live = ActivationCode.objects.select_for_update().get(pk=_live.pk)
        if live.used_at is not None or live.voided_at is not None:
            raise CitizenError(
                "activation.used",
                "This activation code was used a moment ago.",
                "این کد فعال‌سازی لحظه‌ای پیش به کار رفت.",
                field="activation_code",
            )
        live.used_at = now
        live.save(update_fields=["used_at"])
        user = User.objects.select_for_update().get(pk=user.pk)
        user.set_password(password)
        user.save(update_fields=["password"])
        citizen.user = user  # the caller signs this user in: its session hash must match the new password
        first = citizen.activated_at is None
        if first:
            citizen.activated_at = now
            citizen.save(update_fields=["activated_at"])
        audit_record(
            actor=user,
            action="citizens.activate" if first else "citizens.password_reset_by_activation",
            target=citizen,
            district=citizen.district,
            payload={"citizen_code": citizen.citizen_code, "activation_code": live.pk},
        )
    return citizen


# --------------------------------------------------------------------------------------------------
# Settings and the mobile number
# --------------------------------------------------------------------------------------------------


@transaction.atomic
def citizen_settings_update(*, citizen: Citizen, notify_sms: bool, sms_second_step: bool) -> Citizen:
    locked = Citizen.objects.select_for_update().get(pk=citizen.pk)
    before = {"notify_sms": locked.notify_sms, "sms_second_step": locked.sms_second_step}
    after = {"notify_sms": notify_sms, "sms_second_step": sms_second_step}
    if before != after:
        locked.notify_sms = notify_sms
        locked.sms_second_step = sms_second_step
        locked.save(update_fields=["notify_sms", "sms_second_step", "updated_at"])
        audit_record(
            actor=locked.user,
            action="citizens.settings_update",
            target=locked,
            district=locked.district,
            payload={k: [before[k], after[k]] for k in before if before[k] != after[k]},
        )
    return locked


def _mobile_subject(citizen: Citizen, new_mobile: str) -> str:
    return f"mobile:{citizen.pk}:{new_mobile}"


def citizen_change_mobile_start(*, citizen: Citizen, new_mobile: str) -> str:
    """Send a one-time code to the old and to the new number; returns the new number (canonical)."""
    phone = _parse_mobile(new_mobile)
    if phone == citizen.mobile:
        raise CitizenError(
            "mobile_same",
            "This is already your mobile number.",
            "این شماره هم‌اکنون شماره همراه شماست.",
            field="mobile",
        )
    _check_mobile(person=citizen.person, national_code=citizen.person.national_code, mobile=phone)
    subject = _mobile_subject(citizen, phone)
    city = citizen.district.city.name
    try:
        otp_issue(
            purpose="mobile_change_old",
            subject=subject,
            mobile=citizen.mobile,
            text_fa=(
                f"شهرداری {city}: درخواست تغییر شماره همراه حساب شما به شماره‌ای که به {phone[-4:]} ختم می‌شود. "
                "رمز تأیید: {code}. اگر شما نخواستید، آن را به کسی ندهید."
            ),
            district=citizen.district,
        )
        otp_issue(
            purpose="mobile_change_new",
            subject=subject,
            mobile=phone,
            text_fa=f"شهرداری {city}: رمز تأیید این شماره برای حساب شهروندی: {{code}}",
            district=citizen.district,
        )
    except RateLimited as exc:
        raise _too_many(exc) from None
    return phone


def citizen_change_mobile(*, citizen: Citizen, new_mobile: str, old_code: str, new_code: str) -> Citizen:
    """Bind ``new_mobile`` once both one-time codes (old number, new number) check out."""
    phone = _parse_mobile(new_mobile)
    subject = _mobile_subject(citizen, phone)
    try:
        otp_verify(purpose="mobile_change_old", subject=subject, code=old_code)
    except OtpError as exc:
        raise _otp_error(exc, "old_code") from None
    except RateLimited as exc:
        raise _too_many(exc) from None
    try:
        otp_verify(purpose="mobile_change_new", subject=subject, code=new_code)
    except OtpError as exc:
        raise _otp_error(exc, "new_code") from None
    except RateLimited as exc:
        raise _too_many(exc) from None
    with transaction.atomic():
        locked = Citizen.objects.select_for_update().select_related("district__city").get(pk=citizen.pk)
        if Citizen.objects.filter(mobile=phone).exclude(pk=locked.pk).exists():
            raise _mobile_taken()
        old = locked.mobile
        locked.mobile = phone
        locked.mobile_confirmed_at = timezone.now()
        locked.save(update_fields=["mobile", "mobile_confirmed_at", "updated_at"])
        audit_record(
            actor=locked.user,
            action="citizens.mobile_change",
            target=locked,
            district=locked.district,
            payload={"old": old[-4:], "new": phone[-4:]},
        )
        sms_send(
            to=old,
            text=(
                f"شهرداری {locked.district.city.name}: شماره همراه حساب شهروندی شما به "
                f"{to_persian_digits(format_mobile_local(phone)[-4:])}… تغییر کرد. اگر شما این کار را نکردید، "
                "با شهرداری تماس بگیرید."
            ),
            purpose="mobile_change",
            district=locked.district,
        )
    return locked


# --------------------------------------------------------------------------------------------------
# Requests from the portal
# --------------------------------------------------------------------------------------------------


def citizen_correction_file(
    *,
    citizen: Citizen,
    kind: Literal["property", "business", "person"],
    code: str,
    field: str,
    value: str,
    description: str = "",
) -> Case:
    """A data-correction request filed online by the citizen about one of their own records."""
    if kind == "property":
        held = selectors.my_property(citizen, code) is not None
    elif kind == "business":
        held = any(line.business.business_code == code for line in selectors.my_businesses(citizen))
    else:
        held = code == citizen.person.national_code
    options = {option.value for option in selectors.correction_options(kind, code)} if held else set()
    if field not in options:
        raise CitizenError(
            "correction.field",
            "Choose what is wrong from the list.",
            "مورد نادرست را از فهرست انتخاب کنید.",
            field="field",
        )
    entity, key, name = (
        ("people", code, field.partition(".")[2]) if kind == "person" else correction_target(kind, code, field)
    )
    district = selectors.record_district(kind, code, citizen)
    try:
        return case_file(
            requester=citizen.person,
            filed_by=citizen.user,
            case_type="data_correction",
            district=district,
            data={"entity": entity, "key": key, "changes": {name: value}, "description": description},
            subject_ref="" if kind == "person" else code,
        )
    except CaseError as exc:
        raise _case_error(exc) from None


def citizen_case_withdraw(*, citizen: Citizen, case: Case) -> Case:
    """The citizen withdraws one of their own open requests."""
    from shahrvand.cases.services import case_act

    try:
        return case_act(actor=citizen.user, case=case, action="withdraw", role="citizen", as_person=citizen.person)
    except CaseError as exc:
        raise CitizenError(exc.code, exc.message_en, exc.message_fa) from None
