"""Writes of the building-permit workflow.

A draft is created and pre-checked by the applicant (:func:`permit_draft_create`); co-owners decide
in their own portal (:func:`permit_approval_decide`); :func:`permit_submit` files the case. After that
every status change goes through ``shahrvand.cases.services.case_act`` along the one table of
:mod:`shahrvand.permits.workflow`; the services here add what a step records (findings, photos,
plans, the supervisor, stage reports) and make the move in the same transaction. The table's effects
(``effect_*``) run inside ``case_act`` and refuse a move whose data is missing — a permit is never
issued unless its bill is paid. Errors are :class:`PermitError` (a ``CaseError``: code, English,
Persian); nothing changes when one is raised.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import asdict
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Final

from django.core.files.uploadedfile import UploadedFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from shahrvand.audit.services import audit_record
from shahrvand.cases import files
from shahrvand.cases.data import CleanRequest
from shahrvand.cases.errors import CaseError
from shahrvand.cases.files import AttachmentRejected, Upload
from shahrvand.cases.models import Case
from shahrvand.cases.services import attachment_store, case_act, case_file
from shahrvand.cases.tracking import tracking_code_fa
from shahrvand.cases.workflows import CITIZEN
from shahrvand.core.access import Action, require, roles_of
from shahrvand.core.jalali import format_jalali
from shahrvand.core.models import District, Role, User
from shahrvand.core.text import normalize_letters, to_latin_digits
from shahrvand.permits import workflow as wf
from shahrvand.permits.models import (
    Approval,
    Floor,
    FloorUse,
    Permit,
    PermitFile,
    PermitKind,
    SiteVisit,
    Stage,
    StageReport,
)
from shahrvand.permits.precheck import USE_FA, FloorIn, Precheck, ZoningIn, precheck
from shahrvand.registry.models import Ownership, Parcel, Person, Zoning

if TYPE_CHECKING:
    from shahrvand.revenue.models import Bill, Payment

logger = logging.getLogger(__name__)

MAX_FLOORS: Final = 10
MAX_FLOOR_AREA: Final = Decimal(100_000)
MAX_PERMIT_FILES: Final = 60
MAX_TEXT: Final = 2000
LICENCE: Final = re.compile(r"^[0-9][0-9\-/]{3,19}$")
STAGE_FROM: Final = {
    Stage.FOUNDATION: wf.CONSTRUCTION,
    Stage.STRUCTURE: wf.FOUNDATION_DONE,
    Stage.FINISHING: wf.NO_VIOLATION,
}
FLOOR_FA: Final = {-2: "زیرزمین دوم", -1: "زیرزمین", 0: "همکف"}


class PermitError(CaseError):
    """An application or a step of a permit that cannot be made. Nothing was changed."""


Incoming = Upload | UploadedFile


# --------------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------------


def _text(value: object, field_en: str, field_fa: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    text = normalize_letters(str(value or "").strip())
    if required and not text:
        raise PermitError(f"permit.{field_en.replace(' ', '_')}", f"write the {field_en}", f"{field_fa} را بنویسید")
    if len(text) > limit:
        raise PermitError(
            "permit.too_long",
            f"the {field_en} is longer than {limit} characters",
            f"{field_fa} بیش از {limit} نویسه است",
        )
    return text


def _licence(value: object, who_en: str, who_fa: str) -> str:
    text = to_latin_digits(str(value or "")).strip()
    if not LICENCE.match(text):
        raise PermitError(
            "permit.licence",
            f"the {who_en}'s engineering-organisation licence number must be 4 to 20 digits (with - or /)",
            f"شماره پروانه اشتغال نظام مهندسی {who_fa} باید ۴ تا ۲۰ رقم (با - یا /) باشد",
        )
    return text


def floor_label_fa(number: int) -> str:
    return FLOOR_FA.get(number, f"طبقه {number}" if number > 0 else f"زیرزمین {-number}")


def _owners(parcel: Parcel) -> dict[int, Person]:
    """Everyone with a share of the parcel, its building or one of its units (one query)."""
    rows = Ownership.objects.filter(parcel=parcel, missing_since__isnull=True).select_related("person")
    return {o.person_id: o.person for o in rows}


def zoning_in(parcel: Parcel) -> ZoningIn | None:
    zoning = Zoning.objects.filter(parcel=parcel).first()
    if zoning is None:
        return None
    return ZoningIn(
        permitted_uses=tuple(str(u) for u in zoning.permitted_uses),
        max_floors=zoning.max_floors,
        max_density_pct=zoning.max_density_pct,
        max_occupancy_pct=zoning.max_occupancy_pct,
        setback_m=zoning.setback_m,
    )


def floors_in(permit: Permit) -> list[FloorIn]:
    return [FloorIn(f.number, f.use, f.area_m2, f.units) for f in permit.floors.all()]


def permit_precheck(permit: Permit) -> Precheck:
    """The application's pre-check against the parcel's zoning now (shown before submitting)."""
    return precheck(
        zoning=zoning_in(permit.parcel),
        parcel_area_m2=permit.parcel.land_area_m2,
        floors=floors_in(permit),
        setback_m=permit.setback_m,
    )


def clean_floors(rows: Sequence[dict[str, Any]]) -> list[FloorIn]:
    """Floors as typed: number, use, area and units each checked; at least one floor, each number once."""
    floors: list[FloorIn] = []
    for row in rows:
        try:
            number = int(to_latin_digits(str(row.get("number", ""))).strip())
            area = Decimal(to_latin_digits(str(row.get("area_m2", ""))).strip().replace("٫", "."))
            units = int(to_latin_digits(str(row.get("units") or "0")).strip())
        except (ValueError, InvalidOperation):
            raise PermitError(
                "permit.floor",
                "each floor needs its number, its area in m² and its number of units",
                "هر طبقه باید شماره، زیربنا (متر مربع) و تعداد واحد داشته باشد",
            ) from None
        use = str(row.get("use") or "")
        if use not in FloorUse.values:
            raise PermitError("permit.floor_use", "choose each floor's use", "کاربری هر طبقه را انتخاب کنید")
        if not (-3 <= number <= 30) or area <= 0 or area > MAX_FLOOR_AREA or units < 0 or units > 200:
            raise PermitError(
                "permit.floor_range",
                f"floor {number}: the number, area or units are out of range",
                f"طبقه {number}: شماره، زیربنا یا تعداد واحد خارج از محدوده است",
            )
        floors.append(FloorIn(number, use, area.quantize(Decimal("0.01")), units))
    if not floors:
        raise PermitError("permit.no_floors", "give at least one floor", "دست‌کم یک طبقه وارد کنید")
    if len(floors) > MAX_FLOORS:
        raise PermitError("permit.too_many_floors", f"at most {MAX_FLOORS} floors", f"حداکثر {MAX_FLOORS} طبقه")
    numbers = [f.number for f in floors]
    if len(set(numbers)) != len(numbers):
        raise PermitError("permit.floor_twice", "each floor number once", "شماره هر طبقه فقط یک بار")
    return sorted(floors, key=lambda f: f.number)


def _check_upload(item: Incoming, *, pdf_only: bool = False) -> tuple[Upload, str]:
    try:
        upload = item if isinstance(item, Upload) else Upload.from_file(item)
        mime = files.check(upload)
    except AttachmentRejected as exc:
        name = getattr(item, "name", "") or ""
        raise PermitError(exc.code, f"{name}: {exc.message_en}", f"{name}: {exc.message_fa}") from None
    if pdf_only and mime != "application/pdf":
        raise PermitError(
            "permit.pdf_only", f"{upload.name}: plans must be PDF files", f"{upload.name}: نقشه‌ها باید پرونده PDF باشند"
        )
    return upload, mime


def _attach(
    *,
    permit: Permit,
    checked: tuple[Upload, str],
    kind: str,
    actor: User | None,
    role: str,
    visit: SiteVisit | None = None,
    report: StageReport | None = None,
) -> PermitFile:
    """Store one checked file as an attachment of the permit's case (SHA-256, served only with access)."""
    case = permit.case
    assert case is not None
    if PermitFile.objects.filter(permit=permit).count() >= MAX_PERMIT_FILES:
        raise PermitError(
            "attachment.too_many",
            f"a permit file holds at most {MAX_PERMIT_FILES} files",
            f"پرونده پروانه حداکثر {MAX_PERMIT_FILES} پرونده دارد",
        )
    upload, mime = checked
    attachment = attachment_store(case=case, upload=upload, mime=mime, actor=actor, role=role, payload={"kind": kind})
    return PermitFile.objects.create(permit=permit, attachment=attachment, kind=kind, visit=visit, report=report)


def _check_staff_role(actor: User, permit: Permit, role: str) -> None:
    require(actor, Action.CASE_HANDLE, permit.district)
    if role not in roles_of(actor, permit.district):
        raise PermitError(
            "case.role_not_held",
            f"you do not hold the role {role} in this district",
            "شما در این منطقه این نقش را ندارید",
        )


def _check_applicant(permit: Permit, person: Person | None) -> None:
    if person is None or person.pk != permit.applicant_id:
        raise PermitError(
            "permit.not_applicant", "only the applicant can do this", "فقط متقاضی پروانه می‌تواند این کار را انجام دهد"
        )


def _locked(permit: Permit) -> Permit:
    return (
        Permit.objects.select_for_update(of=("self",))
        .select_related("case", "district__city", "parcel")
        .get(pk=permit.pk)
    )


def _submitted(permit: Permit) -> Case:
    if permit.case is None:
        raise PermitError("permit.draft", "the application is not submitted yet", "درخواست هنوز ثبت نهایی نشده است")
    return permit.case


def _applicant_draft(permit: Permit, person: Person) -> Permit:
    """The permit, locked, when ``person`` is its applicant and it is still a draft."""
    locked = _locked(permit)
    _check_applicant(locked, person)
    if not locked.is_draft:
        raise PermitError(
            "permit.already_submitted", "the application was already submitted", "درخواست پیش‌تر ثبت نهایی شده است"
        )
    return locked


def _applicant_at(permit: Permit, person: Person, status: str, code: str, en: str, fa: str) -> tuple[Permit, Case]:
    """The permit, locked, and its case, when ``person`` is its applicant and the case is at ``status``;
    otherwise ``PermitError(code, en, fa)``: the applicant's step is not due."""
    locked = _locked(permit)
    _check_applicant(locked, person)
    case = _submitted(locked)
    if case.status != status:
        raise PermitError(code, en, fa)
    return locked, case


# --------------------------------------------------------------------------------------------------
# The application: draft, co-owners, submission
# --------------------------------------------------------------------------------------------------


def permit_draft_create(
    *,
    actor: User,
    person: Person,
    district: District,
    parcel_code: str,
    kind: str,
    floors: Sequence[FloorIn],
    parking_spaces: int,
    setback_m: Decimal,
    designer_name: str,
    designer_licence: str,
    appeal_of: str = "",
) -> Permit:
    """A draft application by ``person`` for a parcel they own in ``district``; co-owners get a pending approval."""
    code = to_latin_digits(str(parcel_code or "")).strip()
    parcel = Parcel.objects.filter(district=district, code=code).first()
    if parcel is None:
        raise PermitError(
            "permit.no_parcel", f"there is no parcel {code} in this district", "چنین ملکی در این منطقه نیست"
        )
    owners = _owners(parcel)
    if person.pk not in owners:
        raise PermitError(
            "permit.not_owner",
            f"you are not recorded as an owner of parcel {code}: only its owners can apply for a permit",
            f"شما مالک ثبت‌شده ملک {code} نیستید؛ فقط مالکان می‌توانند برای آن پروانه بخواهند",
        )
    if kind not in PermitKind.values:
        raise PermitError("permit.kind", "choose the kind of works", "نوع عملیات ساختمانی را انتخاب کنید")
    if not (0 <= int(parking_spaces) <= 500):
        raise PermitError("permit.parking", "parking spaces: 0 to 500", "تعداد پارکینگ باید بین ۰ تا ۵۰۰ باشد")
    if not (Decimal(0) <= setback_m <= Decimal(50)):
        raise PermitError("permit.setback", "the setback is 0 to 50 metres", "عقب‌نشینی باید بین ۰ تا ۵۰ متر باشد")
    floors = clean_floors([asdict(f) for f in floors])
    name = _text(designer_name, "designer's name", "نام مهندس طراح", limit=120)
    licence = _licence(designer_licence, "designer", "مهندس طراح")
    appealed: Permit | None = None
    if appeal_of:
        appealed = (
            Permit.objects.filter(applicant=person, case__tracking_code=appeal_of, case__status=wf.REJECTED)
            .select_related("case")
            .first()
        )
        if appealed is None:
            raise PermitError(
                "permit.appeal",
                "an appeal is for one of your rejected permit requests",
                "اعتراض فقط برای درخواست پروانه ردشده خودتان است",
            )
    with transaction.atomic():
        permit = Permit.objects.create(
            district=district,
            parcel=parcel,
            applicant=person,
            created_by=actor,
            kind=kind,
            parking_spaces=int(parking_spaces),
            setback_m=setback_m,
            designer_name=name,
            designer_licence=licence,
            appeal_of=appealed,
        )
        Floor.objects.bulk_create(
            [Floor(permit=permit, number=f.number, use=f.use, area_m2=f.area_m2, units=f.units) for f in floors]
        )
        Approval.objects.bulk_create(
            [Approval(permit=permit, person=p) for pk, p in sorted(owners.items()) if pk != person.pk]
        )
        audit_record(
            actor=actor,
            action="permit.draft",
            target=permit,
            district=district,
            payload={"parcel": parcel.code, "kind": kind, "floors": len(floors), "co_owners": len(owners) - 1},
        )
    return permit


def permit_approval_decide(
    *, actor: User, person: Person, permit: Permit, approve: bool, comment: str = ""
) -> Approval:
    """A co-owner approves or declines a draft application in their own portal."""
    comment = _text(comment, "comment", "توضیح", required=False)
    with transaction.atomic():
        locked = _locked(permit)
        approval = Approval.objects.select_for_update().filter(permit=locked, person=person).first()
        if approval is None:
            raise PermitError(
                "permit.not_co_owner",
                "you are not asked to approve this application",
                "از شما تأیید این درخواست خواسته نشده است",
            )
        if not locked.is_draft:
            raise PermitError(
                "permit.already_submitted", "the application was already submitted", "درخواست پیش‌تر ثبت نهایی شده است"
            )
        approval.decision = Approval.Decision.APPROVED if approve else Approval.Decision.DECLINED
        approval.comment = comment
        approval.decided_at = timezone.now()
        approval.save(update_fields=["decision", "comment", "decided_at"])
        audit_record(
            actor=actor,
            action="permit.approval",
            target=locked,
            district=locked.district,
            payload={"person": person.pk, "decision": approval.decision},
        )
    return approval


def permit_draft_discard(*, actor: User, person: Person, permit: Permit) -> None:
    """The applicant drops a draft (nothing was filed)."""
    with transaction.atomic():
        locked = _applicant_draft(permit, person)
        audit_record(actor=actor, action="permit.discard", target=locked, district=locked.district, payload={})
        locked.approvals.all().delete()
        locked.floors.all().delete()
        locked.delete()


def _consent_missing(permit: Permit) -> list[Approval]:
    return [a for a in permit.approvals.select_related("person") if a.decision != Approval.Decision.APPROVED]


def permit_clean(*, requester: Person, district: District, data: dict[str, Any]) -> CleanRequest:
    """The cases engine's data check for a permit request: a draft of the requester's, pre-checked."""
    permit = Permit.objects.filter(pk=int(data.get("permit") or 0), applicant=requester, district=district).first()
    if permit is None or not permit.is_draft:
        raise PermitError("permit.no_draft", "there is no such draft application", "چنین پیش‌نویس درخواستی نیست")
    return CleanRequest(
        data={"permit": permit.pk, "property_code": permit.parcel.code, "kind": permit.kind},
        subject_ref=permit.parcel.code,
        needs_attachment=False,
    )


def permit_submit(*, actor: User, person: Person, permit: Permit, power_of_attorney: Incoming | None = None) -> Case:
    """File the application: the pre-check must pass, and every co-owner must have approved (or a power of
    attorney, a PDF checked by content, is attached). Returns the case with its tracking code."""
    checked = _check_upload(power_of_attorney, pdf_only=True) if power_of_attorney is not None else None
    with transaction.atomic():
        locked = _applicant_draft(permit, person)
        result = permit_precheck(locked)
        if not result.passed:
            raise PermitError(
                "permit.precheck",
                "the application does not meet the parcel's zoning: "
                + "; ".join(r.message_en for r in result.failures),
                "درخواست با ضوابط ملک سازگار نیست: " + "؛ ".join(r.message_fa for r in result.failures),
            )
        missing = _consent_missing(locked)
        if missing and checked is None:
            names = "، ".join(a.person.full_name for a in missing)
            raise PermitError(
                "permit.consent",
                f"{len(missing)} co-owner(s) have not approved: attach a power of attorney or wait for them",
                f"{names} هنوز موافقت نکرده‌اند؛ وکالت‌نامه پیوست کنید یا منتظر موافقت بمانید",
            )
        case = case_file(
            requester=person,
            filed_by=actor,
            case_type=wf.PERMIT,
            district=locked.district,
            data={"permit": locked.pk},
            subject_ref=locked.parcel.code,
        )
        locked.case = case
        locked.precheck = result.as_dict()
        locked.save(update_fields=["case", "precheck", "updated_at"])
        if checked is not None:
            _attach(permit=locked, checked=checked, kind=PermitFile.Kind.POWER_OF_ATTORNEY, actor=actor, role=CITIZEN)
        audit_record(
            actor=actor,
            action="permit.submit",
            target=locked,
            district=locked.district,
            payload={"tracking_code": case.tracking_code, "power_of_attorney": checked is not None},
        )
    return case


# --------------------------------------------------------------------------------------------------
# Steps that record something, then move
# --------------------------------------------------------------------------------------------------


def permit_act(
    *, actor: User, permit: Permit, action: str, role: str, comment: str = "", as_person: Person | None = None
) -> Case:
    """A move of the table that needs no input beyond a comment (the effects do the work)."""
    case = _submitted(permit)
    if action == "compute_fees" and permit.fee_lines:
        raise _fees_twice(case)
    return case_act(actor=actor, case=case, action=action, role=role, comment=comment, as_person=as_person)


def permit_visit_record(*, actor: User, permit: Permit, findings: str, photos: Sequence[Incoming] = ()) -> SiteVisit:
    """The inspector's site visit: findings, photos (JPEG/PNG/PDF by content), and the move on."""
    text = _text(findings, "findings", "نتیجه بازدید")
    checked = [_check_upload(p) for p in photos]
    with transaction.atomic():
        locked = _locked(permit)
        _check_staff_role(actor, locked, wf.INSPECTOR)
        case = _submitted(locked)
        visit = SiteVisit.objects.create(permit=locked, inspector=actor, findings=text, at=timezone.now())
        for item in checked:
            _attach(
                permit=locked,
                checked=item,
                kind=PermitFile.Kind.SITE_PHOTO,
                actor=actor,
                role=wf.INSPECTOR,
                visit=visit,
            )
        case_act(actor=actor, case=case, action="record_visit", role=wf.INSPECTOR)
    return visit


def permit_plans_submit(*, actor: User, person: Person, permit: Permit, plans: Sequence[Incoming]) -> Case:
    """The applicant sends the designer's plans (PDF only) for review."""
    checked = [_check_upload(p, pdf_only=True) for p in plans]
    if not checked:
        raise PermitError("permit.no_plans", "attach the plans (PDF)", "نقشه‌ها را (PDF) پیوست کنید")
    with transaction.atomic():
        locked, case = _applicant_at(
            permit,
            person,
            wf.BRIEF_ISSUED,
            "permit.plans_not_now",
            "plans are sent after the planning brief is issued (or returned)",
            "نقشه‌ها پس از صدور دستور نقشه (یا برگشت نقشه‌ها) فرستاده می‌شوند",
        )
        for item in checked:
            _attach(permit=locked, checked=item, kind=PermitFile.Kind.PLAN, actor=actor, role=CITIZEN)
        return case_act(actor=actor, case=case, action="submit_plans", role=CITIZEN, as_person=person)


def permit_supervisor_register(*, actor: User, person: Person, permit: Permit, name: str, licence: str) -> Case:
    """The applicant registers the supervising engineer (name and engineering-organisation licence)."""
    clean_name = _text(name, "supervisor's name", "نام مهندس ناظر", limit=120)
    clean_licence = _licence(licence, "supervising engineer", "مهندس ناظر")
    with transaction.atomic():
        locked, case = _applicant_at(
            permit,
            person,
            wf.PLANS_ACCEPTED,
            "permit.supervisor_not_now",
            "the supervising engineer is registered after the plans are accepted",
            "مهندس ناظر پس از تأیید نقشه‌ها معرفی می‌شود",
        )
        locked.supervisor_name, locked.supervisor_licence = clean_name, clean_licence
        locked.save(update_fields=["supervisor_name", "supervisor_licence", "updated_at"])
        return case_act(actor=actor, case=case, action="register_supervisor", role=CITIZEN, as_person=person)


def permit_stage_report(
    *,
    actor: User,
    permit: Permit,
    stage: str,
    text: str,
    role: str,
    photos: Sequence[Incoming] = (),
    as_person: Person | None = None,
) -> StageReport:
    """A construction-stage report (foundation, structure, finishing) with photos, and the move on.

    Refused — nothing recorded — before the permit is issued and construction started, out of order,
    or twice for a stage.
    """
    if stage not in Stage.values:
        raise PermitError("permit.stage", "choose the stage", "مرحله را انتخاب کنید")
    body = _text(text, "report", "گزارش")
    checked = [_check_upload(p) for p in photos]
    with transaction.atomic():
        locked = _locked(permit)
        case = _submitted(locked)
        if role == CITIZEN:
            _check_applicant(locked, as_person)
        else:
            _check_staff_role(actor, locked, role)
        if locked.permit_document_id is None or case.status in (wf.PERMIT_ISSUED,):
            raise PermitError(
                "permit.stage_before_permit",
                "stage reports start after the building permit is issued and construction has started",
                "گزارش مرحله‌ای پس از صدور پروانه ساختمانی و شروع عملیات ساختمانی ممکن است",
            )
        if case.status != STAGE_FROM[Stage(stage)]:
            raise PermitError(
                "permit.stage_order",
                f"the {stage} report is not due now (stages: foundation, structure, finishing)",
                f"گزارش مرحله «{Stage(stage).label}» اکنون ممکن نیست (ترتیب: پی، اسکلت، نازک‌کاری)",
            )
        report = StageReport.objects.create(
            permit=locked, stage=stage, text=body, by=actor, role=role, at=timezone.now()
        )
        for item in checked:
            _attach(
                permit=locked, checked=item, kind=PermitFile.Kind.STAGE_PHOTO, actor=actor, role=role, report=report
            )
        case_act(actor=actor, case=case, action=wf.STAGE_ACTIONS[stage], role=role, as_person=as_person)
    return report


# --------------------------------------------------------------------------------------------------
# The payment hook
# --------------------------------------------------------------------------------------------------


def permit_fees_paid(*, bill: Bill, payment: Payment) -> None:
    """``BILL_PAID_HANDLERS["permit"]``: the fees bill was paid — move the permit to "paid" (in the payment's
    transaction; a system move, no person acting)."""
    permit = Permit.objects.filter(bill_id=bill.pk).select_related("case").first()
    if permit is None or permit.case is None:
        logger.warning("bill %s was paid but no permit carries it", bill.bill_id)
        return
    if permit.case.status != wf.BILL_ISSUED:
        logger.warning(
            "bill %s paid while permit %s is %s", bill.bill_id, permit.case.tracking_code, permit.case.status
        )
        return
    case_act(actor=None, case=permit.case, action="mark_paid", role=wf.SYSTEM, system=True)


# --------------------------------------------------------------------------------------------------
# Effects of the table (run inside case_act, the case row locked)
# --------------------------------------------------------------------------------------------------


def _permit_of(case: Case) -> Permit:
    permit = (
        Permit.objects.select_for_update(of=("self",))
        .select_related("parcel", "applicant", "district__city", "bill", "permit_document")
        .filter(case_id=case.pk)
        .first()
    )
    if permit is None:
        raise PermitError("permit.missing", "this request has no permit application", "این درخواست پرونده پروانه ندارد")
    permit.case = case
    return permit


def _fees_twice(case: Case) -> PermitError:
    return PermitError(
        "permit.fees_twice",
        f"the fees of request {case.tracking_code} were already computed",
        f"عوارض درخواست {tracking_code_fa(case.tracking_code)} پیش‌تر محاسبه شده است",
    )


def effect_documents_ok(*, actor: User | None, case: Case) -> None:
    permit = _permit_of(case)
    if _consent_missing(permit) and not permit.files.filter(kind=PermitFile.Kind.POWER_OF_ATTORNEY).exists():
        raise PermitError(
            "permit.consent",
            "co-owners have not all approved and no power of attorney is attached",
            "همه مالکان موافقت نکرده‌اند و وکالت‌نامه‌ای پیوست نیست",
        )


def effect_visit_recorded(*, actor: User | None, case: Case) -> None:
    if not SiteVisit.objects.filter(permit__case=case).exists():
        raise PermitError(
            "permit.no_findings", "record the site visit's findings first", "ابتدا نتیجه بازدید محلی را ثبت کنید"
        )


def effect_plans_present(*, actor: User | None, case: Case) -> None:
    if not PermitFile.objects.filter(permit__case=case, kind=PermitFile.Kind.PLAN).exists():
        raise PermitError("permit.no_plans", "attach the plans (PDF)", "نقشه‌ها را (PDF) پیوست کنید")


def effect_supervisor_present(*, actor: User | None, case: Case) -> None:
    permit = _permit_of(case)
    if not (permit.supervisor_name and permit.supervisor_licence):
        raise PermitError(
            "permit.no_supervisor", "register the supervising engineer first", "ابتدا مهندس ناظر را معرفی کنید"
        )


def _stage_effect(stage: str) -> Any:
    def effect(*, actor: User | None, case: Case) -> None:
        if not StageReport.objects.filter(permit__case=case, stage=stage).exists():
            raise PermitError(
                "permit.no_report",
                f"record the {stage} report (with photos) first",
                f"ابتدا گزارش مرحله «{Stage(stage).label}» را ثبت کنید",
            )

    return effect


effect_report_foundation = _stage_effect(Stage.FOUNDATION)
effect_report_structure = _stage_effect(Stage.STRUCTURE)
effect_report_finishing = _stage_effect(Stage.FINISHING)


def fee_input(permit: Permit) -> Any:
    """The revenue package's ``PermitFeeInput`` for this application."""
    permit_fees = import_string("shahrvand.revenue.permit_fees.PermitFeeInput")
    floor_spec = import_string("shahrvand.revenue.permit_fees.FloorSpec")
    floors = floors_in(permit)
    from shahrvand.permits.precheck import parking_required

    return permit_fees(
        district=permit.district,
        parcel_area_m2=permit.parcel.land_area_m2,
        kind=permit.kind,
        floors=tuple(floor_spec(number=f.number, use=f.use, area_m2=f.area_m2) for f in floors),
        parking_required=parking_required(floors),
        parking_provided=permit.parking_spaces,
    )


def _revenue_error(exc: Exception) -> PermitError:
    return PermitError(
        str(getattr(exc, "code", "permit.fees")),
        str(getattr(exc, "message_en", exc)),
        str(getattr(exc, "message_fa", exc)),
    )


def effect_fees_compute(*, actor: User | None, case: Case) -> None:
    permit = _permit_of(case)
    if permit.fee_lines:
        raise _fees_twice(case)
    compute = import_string("shahrvand.revenue.permit_fees.permit_fees")
    try:
        lines = compute(data=fee_input(permit))
    except ValueError as exc:  # revenue errors carry Persian and English messages
        raise _revenue_error(exc) from None
    permit.fee_lines = [
        {
            "kind": line.kind,
            "label_fa": line.label_fa,
            "label_en": line.label_en,
            "amount": int(line.amount),
            "formula": line.formula,
            "inputs": json.loads(json.dumps(line.inputs, cls=DjangoJSONEncoder)),
        }
        for line in lines
    ]
    permit.save(update_fields=["fee_lines", "updated_at"])


def effect_bill_issue(*, actor: User | None, case: Case) -> None:
    permit = _permit_of(case)
    if not permit.fee_lines:
        raise PermitError("permit.no_fees", "compute the fees first", "ابتدا عوارض را محاسبه کنید")
    if permit.bill is not None and permit.bill.status in ("open", "paid"):
        raise PermitError("permit.bill_twice", "the fees bill was already issued", "قبض عوارض پیش‌تر صادر شده است")
    fee_line = import_string("shahrvand.revenue.permit_fees.FeeLine")
    create = import_string("shahrvand.revenue.permit_fees.permit_bill_create")
    try:
        # The bill is the system's, made by the revenue officer's move (audited by case_act): the
        # revenue package asks PERMIT_REVIEW (a planning right) of a person who bills themselves.
        bill = create(actor=None, case=case, lines=[fee_line(**line) for line in permit.fee_lines])
    except ValueError as exc:
        raise _revenue_error(exc) from None
    permit.bill = bill
    permit.save(update_fields=["bill", "updated_at"])


def _require_paid(permit: Permit) -> Bill:
    bill = permit.bill
    if bill is None or bill.status != "paid":
        raise PermitError(
            "permit.unpaid",
            "the permit's fees are not paid: a permit is never issued unpaid",
            "عوارض پروانه پرداخت نشده است؛ پروانه بدون پرداخت صادر نمی‌شود",
        )
    return bill


def effect_bill_is_paid(*, actor: User | None, case: Case) -> None:
    _require_paid(_permit_of(case))


# --- documents -----------------------------------------------------------------------------------


def _plate(parcel: Parcel) -> str:
    if not parcel.registry_main_plate:
        return "ثبت نشده"
    plate = (
        f"{parcel.registry_main_plate}/{parcel.registry_sub_plate}"
        if parcel.registry_sub_plate
        else parcel.registry_main_plate
    )
    section = f" بخش {parcel.registry_section}" if parcel.registry_section else ""
    return f"پلاک {plate}{section}"


def _owners_list(permit: Permit) -> list[str]:
    from shahrvand.documents.types import MAX_OWNERS, summarise_people

    rows = Ownership.objects.filter(parcel=permit.parcel, missing_since__isnull=True).select_related("person")
    shares: dict[int, tuple[str, Decimal]] = {}
    for row in rows.order_by("person_id"):
        name, total = shares.get(row.person_id, (row.person.full_name, Decimal(0)))
        shares[row.person_id] = (name, total + row.share_dang)
    people = [f"{name} ({to_latin_digits(str(share.normalize()))} دانگ)" for name, share in shares.values()]
    return summarise_people(people, MAX_OWNERS)


def _ltr(identifier: str) -> str:
    """A licence number inside Persian text keeps its order (see ``documents.types``)."""
    from shahrvand.documents.types import ltr_isolate

    return ltr_isolate(identifier)


def _area(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def _floors_cells(permit: Permit) -> list[str]:
    cells: list[str] = []
    for floor in permit.floors.all():
        cells += [
            floor_label_fa(floor.number),
            USE_FA.get(floor.use, floor.use),
            _area(floor.area_m2),
            str(floor.units),
        ]
    return cells


def _main_use(permit: Permit) -> str:
    uses = sorted({f.use for f in permit.floors.all() if f.use not in ("parking", "storage")})
    return "، ".join(USE_FA.get(u, u) for u in uses) or "مسکونی"


def _storeys(permit: Permit) -> str:
    floors = list(permit.floors.all())
    above = sum(1 for f in floors if f.number >= 0)
    below = sum(1 for f in floors if f.number < 0)
    return f"{above} طبقه" + (" با زیرزمین" if below else "")


def _today() -> str:
    return format_jalali(timezone.localdate())


def _issue(*, actor: User | None, permit: Permit, doc_type: str, role: str, fields: dict[str, Any]) -> Any:
    from shahrvand.documents.services import DocumentError, document_issue

    case = permit.case
    assert case is not None
    try:
        return document_issue(
            actor=actor,
            doc_type=doc_type,
            district=permit.district,
            fields=fields,
            signer_role=role,
            subject_national_code=permit.applicant.national_code,
            subject_ref=case.tracking_code,
        )
    except DocumentError as exc:
        raise PermitError("permit.document", exc.message_en, exc.message_fa) from None


def effect_brief_issue(*, actor: User | None, case: Case) -> None:
    permit = _permit_of(case)
    zoning = Zoning.objects.filter(parcel=permit.parcel).first()
    if zoning is None:
        raise PermitError("permit.no_zoning", "the parcel has no zoning recorded", "برای این ملک ضوابط ثبت نشده است")
    uses = "، ".join(USE_FA.get(str(u), str(u)) for u in zoning.permitted_uses)
    setback = f"{zoning.setback_m} متر" if zoning.setback_m else "ندارد"
    rules = [
        f"حداکثر {zoning.max_floors} طبقه روی زمین، تراکم {zoning.max_density_pct}٪ "
        f"و سطح اشغال {zoning.max_occupancy_pct}٪",
        "تأمین پارکینگ: یک واحد برای هر واحد مسکونی و یکی برای هر ۵۰ متر مربع تجاری یا اداری",
        "نقشه‌ها با امضای مهندس طراح عضو سازمان نظام مهندسی ارائه شود",
    ]
    valid = timezone.localdate() + dt.timedelta(days=365)
    visit = permit.visits.order_by("-at").first()
    if visit is not None:
        rules.append(f"یافته‌های بازدید محلی: {visit.findings[:150]}")
    permit.brief_document = _issue(
        actor=actor,
        permit=permit,
        doc_type="planning_brief",
        role=str(Role.PLANNING),
        fields={
            "file_number": case.tracking_code,
            "renovation_code": permit.parcel.code,
            "address": permit.parcel.address,
            "registry_plate": _plate(permit.parcel),
            "applicant": permit.applicant.full_name,
            "land_area": _area(permit.parcel.land_area_m2),
            "plan_use": uses or "—",
            "density": f"{zoning.max_density_pct}٪",
            "occupancy": f"{zoning.max_occupancy_pct}٪",
            "max_floors": f"{zoning.max_floors} طبقه",
            "max_height": f"{zoning.max_floors * 3 + 2} متر",
            "parking": str(permit.precheck.get("parking_required", permit.parking_spaces)),
            "setback": setback,
            "rules": rules,
            "valid_until": format_jalali(valid),
        },
    )
    permit.save(update_fields=["brief_document", "updated_at"])


def effect_permit_issue(*, actor: User | None, case: Case) -> None:
    permit = _permit_of(case)
    bill = _require_paid(permit)
    floors = list(permit.floors.all())
    engineers = [
        f"طراح: {permit.designer_name} (پروانه {_ltr(permit.designer_licence)})",
        f"ناظر: {permit.supervisor_name} (پروانه {_ltr(permit.supervisor_licence)})",
    ]
    works_deadline = timezone.localdate() + dt.timedelta(days=3 * 365)
    permit.permit_document = _issue(
        actor=actor,
        permit=permit,
        doc_type="building_permit",
        role=str(Role.PLANNING),
        fields={
            **_property_fields(permit),
            "land_area": _area(permit.parcel.land_area_m2),
            "total_area": _floor_area(floors),
            "use": _main_use(permit),
            "storeys": _storeys(permit),
            "units": str(sum(f.units for f in floors)),
            "parking": str(permit.parking_spaces),
            "works_deadline": format_jalali(works_deadline),
            "fees_receipt": bill.bill_id,
            "floors": _floors_cells(permit),
            "engineers": engineers,
        },
    )
    permit.save(update_fields=["permit_document", "updated_at"])


def _property_fields(permit: Permit) -> dict[str, Any]:
    """What every permit document says of the property: its code, address, plate and owners."""
    return {
        "renovation_code": permit.parcel.code,
        "address": permit.parcel.address,
        "registry_plate": _plate(permit.parcel),
        "owners": _owners_list(permit),
    }


def _floor_area(floors: Sequence[Floor]) -> str:
    return _area(sum((f.area_m2 for f in floors), Decimal(0)))


def _permit_facts(permit: Permit) -> dict[str, str]:
    document = permit.permit_document
    if document is None:
        raise PermitError("permit.not_issued", "the building permit is not issued", "پروانه ساختمانی صادر نشده است")
    return {"permit_number": document.number, "permit_date": format_jalali(document.issued_at)}


def effect_no_violation_issue(*, actor: User | None, case: Case) -> None:
    permit = _permit_of(case)
    facts = _permit_facts(permit)
    report = permit.reports.filter(stage=Stage.STRUCTURE).first()
    if report is None:
        raise PermitError("permit.no_report", "the structure report is missing", "گزارش مرحله اسکلت ثبت نشده است")
    floors = list(permit.floors.all())
    permit.no_violation_document = _issue(
        actor=actor,
        permit=permit,
        doc_type="no_violation",
        role=str(Role.INSPECTOR),
        fields={
            **_property_fields(permit),
            **facts,
            "stage": "اتمام اسکلت و سفت‌کاری",
            "built_area": _floor_area(floors),
            "storeys": _storeys(permit),
            "inspected_on": _today(),
            "findings": report.text[:400],
        },
    )
    permit.save(update_fields=["no_violation_document", "updated_at"])


def effect_completion_issue(*, actor: User | None, case: Case) -> None:
    permit = _permit_of(case)
    facts = _permit_facts(permit)
    floors = list(permit.floors.all())
    permit.completion_document = _issue(
        actor=actor,
        permit=permit,
        doc_type="completion",
        role=str(Role.PLANNING),
        fields={
            **_property_fields(permit),
            **facts,
            "total_area": _floor_area(floors),
            "use": _main_use(permit),
            "storeys": _storeys(permit),
            "units": str(sum(f.units for f in floors)),
            "parking": str(permit.parking_spaces),
            "completed_on": _today(),
            "floors": _floors_cells(permit),
            "supervisor": f"{permit.supervisor_name} (پروانه {_ltr(permit.supervisor_licence)})",
            "commission": "بدون تخلف؛ به کمیسیون ماده ۱۰۰ ارجاع نشد",
        },
    )
    permit.save(update_fields=["completion_document", "updated_at"])
