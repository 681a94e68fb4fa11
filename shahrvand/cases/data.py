"""The request data of each type: what a citizen gives, checked and cleaned before a case is filed.

:func:`clean_request` returns the data to store on the case (``Case.data``) and the case's subject
(a renovation or business code). Registry records are read through ``shahrvand.registry.corrections``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from shahrvand.cases.errors import CaseError
from shahrvand.cases.workflows import DATA_CORRECTION, PROPERTY_LINK
from shahrvand.core.identifiers import IdentifierError, RenovationCode
from shahrvand.core.jalali import parse_jalali_date
from shahrvand.core.models import District
from shahrvand.core.text import normalize_letters, to_latin_digits
from shahrvand.registry import corrections
from shahrvand.registry.corrections import CorrectionError
from shahrvand.registry.models import DeedType, Ownership, Person

MAX_DESCRIPTION: Final = 2000
RELATIONS: Final = ("co_owner", "heir")


@dataclass(frozen=True)
class CleanRequest:
    data: dict[str, Any]
    subject_ref: str
    needs_attachment: bool


def _from(exc: CorrectionError) -> CaseError:
    return CaseError(exc.code, exc.message_en, exc.message_fa)


def owned_property(
    *, requester: Person, district: District, data: dict[str, Any], not_owner: tuple[str, str, str]
) -> str:
    """The canonical renovation code of ``data["property_code"]`` in ``district``, when ``requester`` owns a
    share of it or of what it stands on (its building, its land); else ``CaseError(*not_owner)``.

    For the request types about one's own property (clearance, planning information): the same
    identifier errors, the same rule of ownership.
    """
    try:
        code = RenovationCode.parse(to_latin_digits(str(data.get("property_code") or "")))
        parcel, building, unit = corrections.property_find(str(code), district)
    except IdentifierError as exc:
        raise CaseError(exc.code, exc.message_en, exc.message_fa) from None
    except CorrectionError as exc:
        raise _from(exc) from None
    ancestors = {str(code), str(code.parcel_code)}
    if code.building_code is not None:
        ancestors.add(str(code.building_code))
    if not Ownership.objects.filter(
        person=requester, district=district, property_code__in=ancestors, missing_since__isnull=True
    ).exists():
        raise CaseError(*not_owner)
    return str((unit or building or parcel).code)


def _text(value: object, limit: int = MAX_DESCRIPTION) -> str:
    text = normalize_letters(str(value or ""))
    if len(text) > limit:
        raise CaseError(
            "request.too_long", f"the text is longer than {limit} characters", f"متن بیش از {limit} نویسه است"
        )
    return text


def _correction(*, requester: Person, district: District, data: dict[str, Any]) -> CleanRequest:
    entity = str(data.get("entity") or "")
    key = to_latin_digits(str(data.get("key") or "")).strip()
    changes = data.get("changes")
    if not isinstance(changes, dict) or not changes:
        raise CaseError(
            "request.no_changes", "name at least one field to correct", "دست‌کم یک فیلد برای اصلاح نام ببرید"
        )
    try:
        record, canonical, _ = corrections.find_record(entity, key, district)
        parsed = {str(f): corrections.parse_correction(entity, str(f), v) for f, v in changes.items()}
    except CorrectionError as exc:
        raise _from(exc) from None
    if not corrections.is_related(requester, record):
        raise CaseError(
            "request.not_related",
            "you can ask to correct only your own record or a property you own a share of",
            "فقط سابقه خودتان یا ملکی که در آن سهم دارید را می‌توانید برای اصلاح درخواست کنید",
        )
    if not corrections.differences(record, parsed):
        raise CaseError(
            "request.unchanged",
            "the registry already holds these values",
            "سابقه همین حالا همین مقادیر را دارد",
        )
    requested = {str(f): _text(v, 500) for f, v in changes.items()}
    current = corrections.current_values(record, list(parsed))
    return CleanRequest(
        data={
            "entity": entity,
            "key": canonical,
            "changes": requested,
            "current": current,
            "description": _text(data.get("description")),
        },
        subject_ref=canonical if entity != "people" else "",
        needs_attachment=False,
    )


def _link(*, requester: Person, district: District, data: dict[str, Any]) -> CleanRequest:
    relation = str(data.get("relation") or "")
    if relation not in RELATIONS:
        raise CaseError(
            "request.relation", "say whether you are a co-owner or an heir", "بگویید مالک مشاع هستید یا وارث"
        )
    deed = str(data.get("deed_type") or "")
    if deed not in DeedType.values:
        raise CaseError("request.deed_type", "choose the kind of deed", "نوع سند را انتخاب کنید")
    try:
        parcel, building, unit = corrections.property_find(str(data.get("property_code") or ""), district)
        code = (unit or building or parcel).code
        share = corrections.parse_share(str(data.get("share_dang") or ""))
    except CorrectionError as exc:
        raise _from(exc) from None
    if corrections.is_owner(requester, code):
        raise CaseError(
            "request.already_owner",
            "you are already recorded as an owner of this property",
            "شما هم‌اکنون مالک این ملک ثبت شده‌اید",
        )
    since = str(data.get("since") or "").strip()
    if since:
        try:
            since = parse_jalali_date(since).isoformat()
        except ValueError:
            raise CaseError(
                "request.since", "the date is not a Jalali date YYYY/MM/DD", "تاریخ به شکل ۱۴۰۳/۰۵/۱۲ نیست"
            ) from None
    return CleanRequest(
        data={
            "property_code": code,
            "relation": relation,
            "share_dang": str(share),
            "deed_type": deed,
            "since": since,
            "description": _text(data.get("description")),
        },
        subject_ref=code,
        needs_attachment=True,
    )


CLEANERS: Final[dict[str, Callable[..., CleanRequest]]] = {
    DATA_CORRECTION: _correction,
    PROPERTY_LINK: _link,
}


def clean_request(case_type: str, *, requester: Person, district: District, data: dict[str, Any]) -> CleanRequest:
    cleaner = CLEANERS.get(case_type)
    if cleaner is None:
        raise CaseError("request.type", f"there is no request of type {case_type!r}", "چنین نوع درخواستی وجود ندارد")
    return cleaner(requester=requester, district=district, data=dict(data))
