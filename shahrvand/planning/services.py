"""Writes of the planning unit: a parcel's zoning edited by a planning officer, and the planning
information certificate (گواهی اطلاعات شهرسازی) requested by an owner.

Zoning comes from the audit delivery's ``zoning.csv`` (``registry.importing``). A planning officer
(``Action.PLANNING_EDIT`` in the parcel's district) corrects or completes it with
:func:`zoning_edit`: one transaction with the new values, a ``registry.ChangeRecord`` (actor, no
delivery) and an audit entry. A later delivery that lists other values is still applied — the audit
is the registry's source — and its change is recorded with the delivery; the zoning page then shows
that a delivery overrode the officer's edit (``selectors.delivery_overrides``), so nothing changes
silently. See the planning section of ``docs/architecture.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from django.db import transaction

from shahrvand.audit.services import audit_record
from shahrvand.cases.data import CleanRequest, owned_property
from shahrvand.cases.errors import CaseError
from shahrvand.cases.models import Case
from shahrvand.cases.services import case_act, case_file
from shahrvand.core.access import Action, require
from shahrvand.core.models import District, Role, User
from shahrvand.core.text import normalize_letters, to_latin_digits, to_persian_digits
from shahrvand.planning import documents as planning_documents
from shahrvand.planning.errors import PlanningError
from shahrvand.planning.workflow import ISSUE, PLANNING_INFO, REFUSE
from shahrvand.registry import corrections
from shahrvand.registry.corrections import CorrectionError
from shahrvand.registry.models import ChangeRecord, LandUse, Parcel, Person, Zoning

MAX_FLOORS: Final = 30
MIN_FLOORS: Final = 1
MAX_DENSITY_PCT: Final = 1000
MAX_OCCUPANCY_PCT: Final = 100
MAX_METRES: Final = Decimal(100)
ZONE_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,19}$")
USES: Final = tuple(LandUse.values)
FIELDS: Final = (
    "zone",
    "permitted_uses",
    "max_floors",
    "max_density_pct",
    "max_occupancy_pct",
    "setback_m",
    "planned_passage_width_m",
)


@dataclass(frozen=True)
class ZoningValues:
    zone: str
    permitted_uses: tuple[str, ...]
    max_floors: int
    max_density_pct: int
    max_occupancy_pct: int
    setback_m: Decimal | None
    planned_passage_width_m: Decimal | None

    def as_fields(self) -> dict[str, Any]:
        return {
            "zone": self.zone,
            "permitted_uses": list(self.permitted_uses),
            "max_floors": self.max_floors,
            "max_density_pct": self.max_density_pct,
            "max_occupancy_pct": self.max_occupancy_pct,
            "setback_m": self.setback_m,
            "planned_passage_width_m": self.planned_passage_width_m,
        }


def _fa(value: object) -> str:
    return to_persian_digits(str(value))


def _bad(code: str, en: str, fa: str) -> PlanningError:
    return PlanningError(code, en, fa)


def _whole(value: object, low: int, high: int, code: str, what_en: str, what_fa: str) -> int:
    text = to_latin_digits(str(value if value is not None else "")).strip()
    if not re.fullmatch(r"\d{1,5}", text) or not low <= int(text) <= high:
        raise _bad(
            code,
            f"{what_en} is a whole number from {low} to {high}.",
            f"{what_fa} باید عددی صحیح از {_fa(low)} تا {_fa(high)} باشد.",
        )
    return int(text)


def _metres(value: object, code: str, what_en: str, what_fa: str) -> Decimal | None:
    text = to_latin_digits(str(value if value is not None else "")).strip().replace("٫", ".").replace("/", ".")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or number < 0 or number > MAX_METRES or number != number.quantize(Decimal("0.01")):
        raise _bad(
            code,
            f"{what_en} is in metres, from 0 to {MAX_METRES}, with at most two decimals.",
            f"{what_fa} به متر است، از صفر تا {_fa(MAX_METRES)} و حداکثر با دو رقم اعشار.",
        )
    return number.quantize(Decimal("0.01"))


def zoning_values(data: dict[str, Any]) -> ZoningValues:
    """Check a zoning as typed (Persian or Latin digits); :class:`PlanningError` names the first bad field."""
    zone = to_latin_digits(normalize_letters(str(data.get("zone") or ""))).strip().upper()
    if not ZONE_PATTERN.match(zone):
        raise _bad(
            "zoning.zone",
            "The zone code is 1–20 Latin letters, digits, '-', '_' or '.', e.g. R122.",
            "کد پهنه ۱ تا ۲۰ نویسه از حروف لاتین، رقم، «-»، «_» یا «.» است، مثلاً R122.",
        )
    raw_uses = data.get("permitted_uses") or []
    if isinstance(raw_uses, str):
        raw_uses = [part for part in re.split(r"[;؛,،\s]+", raw_uses) if part]
    uses: list[str] = []
    for use in raw_uses:
        if use not in USES:
            raise _bad(
                "zoning.use",
                f"Unknown use {use!r} (known: {', '.join(USES)}).",
                f"کاربری ناشناخته «{use}».",
            )
        if use not in uses:
            uses.append(use)
    if not uses:
        raise _bad("zoning.no_use", "Choose at least one permitted use.", "دست‌کم یک کاربری مجاز انتخاب کنید.")
    return ZoningValues(
        zone=zone,
        permitted_uses=tuple(u for u in USES if u in uses),  # a fixed order: equal sets compare equal
        max_floors=_whole(
            data.get("max_floors"), MIN_FLOORS, MAX_FLOORS, "zoning.floors", "Maximum floors", "حداکثر طبقات"
        ),
        max_density_pct=_whole(
            data.get("max_density_pct"), 0, MAX_DENSITY_PCT, "zoning.density", "Density (%)", "تراکم (درصد)"
        ),
        max_occupancy_pct=_whole(
            data.get("max_occupancy_pct"),
            0,
            MAX_OCCUPANCY_PCT,
            "zoning.occupancy",
            "Ground coverage (%)",
            "سطح اشغال (درصد)",
        ),
        setback_m=_metres(data.get("setback_m"), "zoning.setback", "The setback", "عقب‌نشینی"),
        planned_passage_width_m=_metres(
            data.get("planned_passage_width_m"), "zoning.street", "The planned street width", "عرض معبر طرح"
        ),
    )


def _json(value: Any) -> Any:
    """A value as the history keeps it: decimals as plain text without trailing zeros ("2.5", "20")."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    if isinstance(value, tuple):
        return list(value)
    return value


def _same(before: Any, after: Any) -> bool:
    if isinstance(before, list | tuple) or isinstance(after, list | tuple):
        return sorted(before or []) == sorted(after or [])
    return bool(corrections._same(before, after))


def zoning_edit(*, actor: User, parcel: Parcel, data: dict[str, Any], note: str = "") -> ChangeRecord:
    """Set the zoning of ``parcel`` (create it when the audit had none); history and audit in one transaction.

    Raises :class:`PlanningError` for a value out of bounds or when nothing would change, and
    ``AccessDenied`` without ``Action.PLANNING_EDIT`` in the parcel's district.
    """
    require(actor, Action.PLANNING_EDIT, parcel.district)
    values = zoning_values(data)
    text = normalize_letters((note or "").strip())[:500]
    with transaction.atomic():
        locked = Parcel.objects.select_for_update().select_related("district").get(pk=parcel.pk)
        zoning = Zoning.objects.select_for_update().filter(parcel=locked).first()
        new_fields = values.as_fields()
        if zoning is None:
            kind = ChangeRecord.Kind.CREATED
            zoning = Zoning.objects.create(parcel=locked, district=locked.district, **new_fields)
            changes = {f: [None, _json(v)] for f, v in new_fields.items()}
        else:
            diff = {f: (getattr(zoning, f), v) for f, v in new_fields.items() if not _same(getattr(zoning, f), v)}
            reappeared = zoning.missing_since_id is not None
            if not diff and not reappeared:
                raise _bad(
                    "zoning.unchanged",
                    "The zoning already has these values: nothing to save.",
                    "ضوابط همین حالا همین مقادیر را دارد؛ چیزی برای ذخیره نیست.",
                )
            kind = ChangeRecord.Kind.UPDATED
            for f, (_before, after) in diff.items():
                setattr(zoning, f, after)
            zoning.missing_since = None  # confirmed by the planning unit
            zoning.save(update_fields=[*diff, "missing_since", "updated_at"])
            changes = {f: [_json(before), _json(after)] for f, (before, after) in diff.items()}
        change = ChangeRecord.objects.create(
            district=locked.district,
            entity="zoning",
            key=locked.code,
            parcel_code=locked.code,
            kind=kind,
            changes=changes,
            delivery=None,
            actor=actor,
        )
        audit_record(
            actor=actor,
            action="planning.zoning_edit",
            target=zoning,
            district=locked.district,
            payload={"parcel": locked.code, "kind": kind, "changes": changes, "note": text},
        )
    return change


# --------------------------------------------------------------------------------------------------
# The planning information certificate (گواهی اطلاعات شهرسازی)
# --------------------------------------------------------------------------------------------------


def _case_error(code: str, en: str, fa: str) -> CaseError:
    return CaseError(code, en, fa)


def planning_info_clean(*, requester: Person, district: District, data: dict[str, Any]) -> CleanRequest:
    """The data of a ``planning_info`` request: a property of the district the requester owns a share of."""
    canonical = owned_property(
        requester=requester,
        district=district,
        data=data,
        not_owner=(
            "planning_info.not_owner",
            "You can ask for the planning information of a property you own a share of.",
            "گواهی اطلاعات شهرسازی را فقط برای ملکی می‌توانید بخواهید که در آن سهم دارید.",
        ),
    )
    return CleanRequest(data={"property_code": canonical}, subject_ref=canonical, needs_attachment=False)


def live_zoning(parcel: Parcel) -> Zoning | None:
    """The parcel's zoning, unless the audit no longer lists it (then there is none to certify)."""
    return Zoning.objects.filter(parcel=parcel, missing_since__isnull=True).first()


def _parcel_of(case: Case) -> Parcel:
    try:
        parcel, _building, _unit = corrections.property_find(str(case.data["property_code"]), case.district)
    except CorrectionError as exc:
        raise CaseError(exc.code, exc.message_en, exc.message_fa) from None
    return parcel


def planning_info_effect_issue(*, actor: User | None, case: Case) -> None:
    """The ``issue_planning_info`` move: the one-page certificate of the parcel's zoning, signed."""
    parcel = _parcel_of(case)
    zoning = live_zoning(parcel)
    if zoning is None:
        raise _case_error(
            "planning_info.no_zoning",
            "no planning rules are recorded for this land: the certificate cannot be issued",
            "ضوابط شهرسازی این زمین ثبت نشده است و گواهی صادر نمی‌شود",
        )
    document = planning_documents.planning_info_issue(
        actor=actor,
        parcel=parcel,
        zoning=zoning,
        national_code=case.requester.national_code,
        subject_ref=f"planning_info:{case.tracking_code}",
    )
    case.data = {**case.data, "document": document.number}


NO_ZONING_REASON_FA: Final = (
    "ضوابط طرح تفصیلی برای این زمین هنوز در سامانه ثبت نشده است. واحد شهرسازی منطقه آن را ثبت می‌کند؛ "
    "پس از آن دوباره درخواست دهید یا برای استعلام به شهرداری منطقه مراجعه کنید."
)


def planning_info_request(*, user: User, person: Person, district: District, property_code: str) -> Case:
    """An owner's request for the planning information certificate, decided at once.

    Filed as a ``planning_info`` case online and, in the same transaction, moved by the planning unit's
    automatic check: ``issue_planning_info`` (the certificate, in the owner's documents) when the parcel
    has zoning recorded, or ``refuse_planning_info`` with the reason otherwise. Raises ``CaseError``
    (nothing filed) when the property is not the requester's.
    """
    with transaction.atomic():
        case = case_file(
            requester=person,
            filed_by=user,
            case_type=PLANNING_INFO,
            district=district,
            data={"property_code": property_code},
        )
        if live_zoning(_parcel_of(case)) is None:
            case = case_act(
                actor=None, case=case, action=REFUSE, role=str(Role.PLANNING), comment=NO_ZONING_REASON_FA, system=True
            )
        else:
            case = case_act(actor=None, case=case, action=ISSUE, role=str(Role.PLANNING), system=True)
    return case
