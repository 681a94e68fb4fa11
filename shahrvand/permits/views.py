"""Pages of building permits: the staff file (one page) and the citizen's application and timeline.

Views parse the request, call one service or selector, render. Access: staff through the cases
selectors (``Action.CASE_HANDLE`` in the permit's district, every view audited); citizens only reach
their own applications, and drafts they are asked to approve.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Final

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shahrvand.cases import files
from shahrvand.cases import selectors as case_selectors
from shahrvand.cases.errors import CaseError
from shahrvand.cases.workflows import CITIZEN, action_label, role_label, workflow_for
from shahrvand.citizens.models import Citizen
from shahrvand.citizens.views import _portal, citizen_required
from shahrvand.core.access import roles_of
from shahrvand.core.models import User
from shahrvand.core.text import to_latin_digits
from shahrvand.permits import selectors, services
from shahrvand.permits import workflow as wf
from shahrvand.permits.models import FloorUse, PermitKind, Stage
from shahrvand.permits.precheck import FloorIn
from shahrvand.registry.models import Ownership

FLOOR_ROWS: Final = 6
# Moves the staff page makes with a form of their own (the rest are plain buttons with a comment).
SPECIAL: Final = {"record_visit", *wf.STAGE_ACTIONS.values(), "mark_paid"}


def _lang() -> str:
    return get_language() or "fa"


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _send_file(attachment: Any) -> HttpResponseBase:
    try:
        handle = files.open_stored(attachment.path).open("rb")
    except OSError:
        raise Http404("the stored file is missing") from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.name, content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --------------------------------------------------------------------------------------------------
# Staff
# --------------------------------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    case_selectors.require_case_handler(actor)
    permits = selectors.staff_permits(actor=actor, open_only=request.GET.get("scope") != "all")
    rows = case_selectors.queue_rows([p.case for p in permits if p.case is not None])
    return render(request, "permits/staff_list.html", {"rows": zip(permits, rows, strict=False), "nav": "permits"})


@never_cache
@login_required
@require_GET
def staff_detail(request: HttpRequest, tracking_code: str) -> HttpResponse:
    actor = _actor(request)
    permit = selectors.permit_for_staff(actor=actor, tracking_code=tracking_code)
    case = permit.case
    assert case is not None
    view = selectors.permit_file(permit)
    workflow = workflow_for(case.case_type)
    moves = [
        {
            "action": m.action,
            "label": action_label(m.action),
            "roles": [(r, role_label(r)) for r in m.roles],
            "needs_comment": m.transition.requires_comment,
            "reject": m.transition.to_status == wf.REJECTED,
        }
        for m in case_selectors.staff_moves(actor=actor, case=case)
        if m.action not in SPECIAL
    ]
    held = set(roles_of(actor, case.district)) if case.is_open else set()
    return render(
        request,
        "permits/staff_detail.html",
        {
            "file": view,
            "permit": permit,
            "case": case,
            "type_label": workflow.label,
            "row": case_selectors.queue_rows([case])[0],
            "moves": moves,
            "can_visit": case.status == wf.DOCUMENTS_CHECKED and wf.INSPECTOR in held,
            "stage_due": selectors.stage_due(permit) if wf.INSPECTOR in held else None,
            "stages": Stage,
            "max_mb": files.MAX_ATTACHMENT_BYTES // 2**20,
            "nav": "permits",
        },
    )


def _back(code: str) -> HttpResponse:
    return redirect("permits:staff_detail", tracking_code=code)


@login_required
@require_POST
def staff_act(request: HttpRequest, tracking_code: str) -> HttpResponse:
    actor = _actor(request)
    permit = selectors.permit_for_staff(actor=actor, tracking_code=tracking_code, record_view=False)
    action = request.POST.get("action", "")
    try:
        services.permit_act(
            actor=actor,
            permit=permit,
            action=action,
            role=request.POST.get("role", ""),
            comment=request.POST.get("comment", ""),
        )
    except CaseError as exc:
        messages.error(request, exc.message(_lang()))
    else:
        messages.success(request, _("Done: %(action)s.") % {"action": action_label(action)})
    return _back(permit.case.tracking_code if permit.case else tracking_code)


@login_required
@require_POST
def staff_visit(request: HttpRequest, tracking_code: str) -> HttpResponse:
    actor = _actor(request)
    permit = selectors.permit_for_staff(actor=actor, tracking_code=tracking_code, record_view=False)
    try:
        services.permit_visit_record(
            actor=actor,
            permit=permit,
            findings=request.POST.get("findings", ""),
            photos=request.FILES.getlist("photos"),
        )
    except CaseError as exc:
        messages.error(request, exc.message(_lang()))
    else:
        messages.success(request, _("The site visit was recorded."))
    return _back(tracking_code)


@login_required
@require_POST
def staff_report(request: HttpRequest, tracking_code: str) -> HttpResponse:
    actor = _actor(request)
    permit = selectors.permit_for_staff(actor=actor, tracking_code=tracking_code, record_view=False)
    try:
        services.permit_stage_report(
            actor=actor,
            permit=permit,
            stage=request.POST.get("stage", ""),
            text=request.POST.get("text", ""),
            role=wf.INSPECTOR,
            photos=request.FILES.getlist("photos"),
        )
    except CaseError as exc:
        messages.error(request, exc.message(_lang()))
    else:
        messages.success(request, _("The stage report was recorded."))
    return _back(tracking_code)


# --------------------------------------------------------------------------------------------------
# The portal
# --------------------------------------------------------------------------------------------------


def _owned_parcels(citizen: Citizen) -> list[tuple[str, str]]:
    rows = (
        Ownership.objects.filter(person=citizen.person, missing_since__isnull=True)
        .select_related("parcel")
        .order_by("parcel__code")
    )
    seen: dict[str, str] = {}
    for row in rows:
        seen.setdefault(row.parcel.code, row.parcel.address)
    return list(seen.items())


@never_cache
@require_GET
@citizen_required
def portal_list(request: HttpRequest, citizen: Citizen) -> HttpResponse:
    person = citizen.person
    return _portal(
        request,
        citizen,
        "permits/portal_list.html",
        "permits",
        permits=selectors.my_permits(person),
        approvals=selectors.my_approvals(person),
    )


def _floors_from(post: Any) -> list[FloorIn]:
    rows = []
    for i in range(FLOOR_ROWS):
        area = str(post.get(f"floor-{i}-area", "")).strip()
        if not area:
            continue
        rows.append(
            {
                "number": post.get(f"floor-{i}-number", ""),
                "use": post.get(f"floor-{i}-use", ""),
                "area_m2": area,
                "units": post.get(f"floor-{i}-units", "") or "0",
            }
        )
    return services.clean_floors(rows)


def _decimal(value: str, default: str = "0") -> Decimal:
    try:
        return Decimal(to_latin_digits(value or default).strip().replace("٫", "."))
    except InvalidOperation:
        raise services.PermitError("permit.number", "a number is not valid", "عدد واردشده معتبر نیست") from None


@never_cache
@require_http_methods(["GET", "POST"])
@citizen_required
def portal_new(request: HttpRequest, citizen: Citizen) -> HttpResponse:
    parcels = _owned_parcels(citizen)
    error = ""
    values: dict[str, Any] = dict(request.POST.items()) if request.method == "POST" else {}
    if not values:
        values = {"parcel": request.GET.get("parcel", ""), "appeal_of": request.GET.get("appeal_of", "")}
    if request.method == "POST":
        try:
            parking = int(to_latin_digits(request.POST.get("parking", "0") or "0"))
            permit = services.permit_draft_create(
                actor=_actor(request),
                person=citizen.person,
                district=citizen.district,
                parcel_code=request.POST.get("parcel", ""),
                kind=request.POST.get("kind", ""),
                floors=_floors_from(request.POST),
                parking_spaces=parking,
                setback_m=_decimal(request.POST.get("setback", "0")),
                designer_name=request.POST.get("designer_name", ""),
                designer_licence=request.POST.get("designer_licence", ""),
                appeal_of=to_latin_digits(request.POST.get("appeal_of", "")).strip(),
            )
        except ValueError as exc:
            error = exc.message(_lang()) if isinstance(exc, CaseError) else _("A number is not valid.")
        else:
            return redirect("permits_portal:draft", pk=permit.pk)
    rows = [
        {
            "i": i,
            "number": values.get(f"floor-{i}-number", str(i - 1) if i <= 3 else ""),
            "use": values.get(f"floor-{i}-use", ""),
            "area": values.get(f"floor-{i}-area", ""),
            "units": values.get(f"floor-{i}-units", ""),
        }
        for i in range(FLOOR_ROWS)
    ]
    return _portal(
        request,
        citizen,
        "permits/portal_new.html",
        "permits",
        status=400 if error else 200,
        parcels=parcels,
        kinds=PermitKind.choices,
        uses=FloorUse.choices,
        rows=rows,
        values=values,
        error=error,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@citizen_required
def portal_draft(request: HttpRequest, citizen: Citizen, pk: int) -> HttpResponse:
    permit = selectors.my_draft(citizen.person, pk)
    if permit is None:
        submitted = selectors.my_permits(citizen.person)
        for item in submitted:
            if item.pk == pk and item.case is not None:
                return redirect("permits_portal:detail", tracking_code=item.case.tracking_code)
        raise Http404("not your draft")
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "discard":
                services.permit_draft_discard(actor=_actor(request), person=citizen.person, permit=permit)
                messages.success(request, _("The draft was deleted."))
                return redirect("permits_portal:list")
            poa = request.FILES.get("power_of_attorney")
            case = services.permit_submit(
                actor=_actor(request), person=citizen.person, permit=permit, power_of_attorney=poa
            )
        except CaseError as exc:
            error = exc.message(_lang())
        else:
            messages.success(
                request, _("Your application was filed. Tracking code: %(code)s.") % {"code": case.tracking_code}
            )
            return redirect("permits_portal:detail", tracking_code=case.tracking_code)
    check = services.permit_precheck(permit)
    pending = [a for a in permit.approvals.all() if a.decision != "approved"]
    return _portal(
        request,
        citizen,
        "permits/portal_draft.html",
        "permits",
        status=400 if error else 200,
        permit=permit,
        check=check,
        pending=pending,
        error=error,
        max_mb=files.MAX_ATTACHMENT_BYTES // 2**20,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@citizen_required
def portal_approval(request: HttpRequest, citizen: Citizen, pk: int) -> HttpResponse:
    permit = selectors.approval_permit(citizen.person, pk)
    if permit is None:
        raise Http404("not asked of you")
    if request.method == "POST":
        decision = request.POST.get("decision")
        if decision not in ("approve", "decline"):
            return HttpResponse(status=400)
        try:
            services.permit_approval_decide(
                actor=_actor(request),
                person=citizen.person,
                permit=permit,
                approve=decision == "approve",
                comment=request.POST.get("comment", ""),
            )
        except CaseError as exc:
            messages.error(request, exc.message(_lang()))
        else:
            messages.success(request, _("Your decision was recorded."))
        return redirect("permits_portal:list")
    mine = next((a for a in permit.approvals.all() if a.person_id == citizen.person.pk), None)
    return _portal(
        request,
        citizen,
        "permits/portal_approval.html",
        "permits",
        permit=permit,
        mine=mine,
        check=services.permit_precheck(permit),
    )


@never_cache
@require_http_methods(["GET", "POST"])
@citizen_required
def portal_detail(request: HttpRequest, citizen: Citizen, tracking_code: str) -> HttpResponse:
    permit = selectors.my_permit(citizen.person, tracking_code)
    if permit is None or permit.case is None:
        raise Http404("not your permit")
    code = permit.case.tracking_code
    if code != tracking_code:
        return redirect("permits_portal:detail", tracking_code=code)
    if request.method == "POST":
        actor, person = _actor(request), citizen.person
        step = request.POST.get("step", "")
        try:
            if step == "plans":
                services.permit_plans_submit(
                    actor=actor, person=person, permit=permit, plans=request.FILES.getlist("plans")
                )
            elif step == "supervisor":
                services.permit_supervisor_register(
                    actor=actor,
                    person=person,
                    permit=permit,
                    name=request.POST.get("name", ""),
                    licence=request.POST.get("licence", ""),
                )
            elif step == "report":
                services.permit_stage_report(
                    actor=actor,
                    permit=permit,
                    stage=request.POST.get("stage", ""),
                    text=request.POST.get("text", ""),
                    role=CITIZEN,
                    photos=request.FILES.getlist("photos"),
                    as_person=person,
                )
            elif step in ("start_construction", "withdraw", "resubmit"):
                services.permit_act(
                    actor=actor,
                    permit=permit,
                    action=step,
                    role=CITIZEN,
                    comment=request.POST.get("comment", ""),
                    as_person=person,
                )
            else:
                return HttpResponse(status=400)
        except CaseError as exc:
            messages.error(request, exc.message(_lang()))
        else:
            messages.success(request, _("Done."))
        return redirect("permits_portal:detail", tracking_code=code)
    view = selectors.permit_file(permit)
    return _portal(
        request,
        citizen,
        "permits/portal_detail.html",
        "permits",
        file=view,
        permit=permit,
        case=permit.case,
        moves=selectors.citizen_moves(permit),
        stage_due=selectors.stage_due(permit),
        stages=Stage,
        bill=permit.bill,
        max_mb=files.MAX_ATTACHMENT_BYTES // 2**20,
    )


@never_cache
@require_GET
@citizen_required
def portal_attachment(
    request: HttpRequest, citizen: Citizen, tracking_code: str, attachment_id: int
) -> HttpResponseBase:
    attachment = selectors.my_attachment(citizen.person, tracking_code, attachment_id)
    if attachment is None:
        raise Http404("not your file")
    return _send_file(attachment)
