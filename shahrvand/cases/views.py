"""Staff pages of cases: the queue, one case file with the moves its table allows, files, holidays.

Views parse the request, call one selector or service, and render. Access is checked by the
selectors and services: a case outside the staff member's districts is a 403, recorded in the
audit trail by the middleware; a refused move is said on the page and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_stubs_ext import StrOrPromise

from shahrvand.cases import files, selectors, services
from shahrvand.cases.errors import CaseError
from shahrvand.cases.forms import AssignForm, AttachmentForm, BulkAssignForm, HolidayForm, MoveForm, QueueFilterForm
from shahrvand.cases.models import Case
from shahrvand.cases.sla import weekend_days
from shahrvand.cases.tracking import normalize_tracking_code
from shahrvand.cases.workflows import (
    DATA_CORRECTION,
    EVENT_LABELS,
    PROPERTY_LINK,
    action_label,
    role_label,
    status_label,
    workflow_for,
)
from shahrvand.core.access import Action, districts_for, may
from shahrvand.core.http import TOO_LARGE_FLAG, UploadSizeLimitHandler
from shahrvand.core.jalali import format_jalali, jalali_year
from shahrvand.core.models import District, User
from shahrvand.core.text import to_persian_digits
from shahrvand.registry.corrections import ENTITY_MODELS, CorrectionError, find_record, property_shares
from shahrvand.registry.models import DeedType

CASES_PER_PAGE: Final = 50
ENTITY_LABELS: Final[dict[str, StrOrPromise]] = {
    "parcels": gettext_lazy("Parcel"),
    "buildings": gettext_lazy("Building"),
    "units": gettext_lazy("Unit (apartment or shop)"),
    "people": gettext_lazy("Person"),
    "businesses": gettext_lazy("Business"),
}
RELATION_LABELS: Final[dict[str, StrOrPromise]] = {
    "co_owner": gettext_lazy("Co-owner"),
    "heir": gettext_lazy("Heir"),
}


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required ran first
    return user


def _language() -> str:
    return get_language() or "fa"


def _nav(actor: User, districts: list[District] | None = None, **extra: Any) -> dict[str, Any]:
    """What the staff navigation needs (``districts``: the actor's case districts, when already read)."""
    districts = list(selectors.case_districts(actor=actor)) if districts is None else districts
    city = districts[0].city if districts else None
    return {
        "districts": districts,
        "can_handle_cases": bool(districts),
        "can_edit_holidays": city is not None and selectors.may_edit_holidays(actor, city),
        "can_view_registry": districts_for(actor, Action.REGISTRY_VIEW).exists(),
        "can_view_dashboard": districts_for(actor, Action.DASHBOARD_VIEW).exists(),
        **extra,
    }


def _canonical_or_404(tracking_code: str) -> str:
    code = normalize_tracking_code(tracking_code)
    if code is None:
        raise Http404("not a tracking code")
    return code


# --------------------------------------------------------------------------------------------------
# The queue
# --------------------------------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    districts = selectors.case_districts(actor=actor)
    handled = list(districts)
    if not handled:
        selectors.require_case_handler(actor)  # AccessDenied: audited, 403
    form = QueueFilterForm(request.GET or None, districts=districts)
    filters: dict[str, Any] = {}
    scope = "open"
    search: selectors.QueueSearch | None = None
    if form.is_valid():
        text = form.cleaned_data["q"]
        if text:
            try:
                search = selectors.queue_search(text)
            except CaseError as exc:
                form.add_error("q", exc.message(_language()))
            else:
                if search.kind == "tracking_code":
                    return redirect("cases:detail", tracking_code=search.value)
        # A search by a person or a property shows their closed requests too, unless a scope was chosen.
        scope = form.cleaned_data["scope"] or ("all" if search is not None else "open")
        filters = {
            "district": form.cleaned_data["district"],
            "status": form.cleaned_data["status"] or None,
            "case_type": form.cleaned_data["case_type"] or None,
        }
    if search is not None and search.kind == "national_code":
        filters["requester_national_code"] = search.value
    if search is not None and search.renovation is not None:
        filters["subject"] = search.renovation
    now = timezone.now()
    cases = selectors.staff_queue(
        actor,
        **filters,
        open_only=scope not in {"closed", "all"},
        assigned_to=actor if scope == "mine" else None,
        unassigned=scope == "unassigned",
        overdue_at=now if scope == "overdue" else None,
        waiting_for_actor=scope == "waiting",
    )
    if scope == "closed":
        cases = cases.filter(closed_at__isnull=False).order_by("-closed_at", "-pk")
    page = Paginator(cases, CASES_PER_PAGE).get_page(form.cleaned_data.get("page") if form.is_bound else 1)
    rows = selectors.queue_rows(list(page.object_list), now=now)
    if search is not None and search.kind == "national_code":
        selectors.queue_search_record(actor=actor, search=search, found=page.paginator.count)
    counts = selectors.queue_counts(actor, now=now)
    may_manage = selectors.may_manage_queue(actor=actor)
    return render(
        request,
        "cases/queue.html",
        {
            **_nav(actor, handled, nav="queue"),
            "form": form,
            "rows": rows,
            "page": page,
            "scope": scope,
            "search": search,
            "counts": counts,
            "overdue_count": counts.overdue,
            "query": request.GET.copy(),
            "back": request.GET.urlencode()[:500],
            "may_manage": may_manage,
            "assignable": selectors.bulk_assignable_staff(actor=actor) if may_manage else [],
            "bulk_max": services.BULK_ASSIGN_MAX,
        },
    )


_NOBODY_VALID: Final = User(username="-")  # the assignment form named no one the actor may choose


def _assignee(value: str, actor: User, choices: Callable[[], list[User]]) -> User | None:
    """``me`` → the actor, ``none`` → back to the shared queue, else one of ``choices`` by id (or ``_NOBODY_VALID``)."""
    if value == "me":
        return actor
    if value == "none":
        return None
    return {str(u.pk): u for u in choices()}.get(value, _NOBODY_VALID)


@login_required
@require_POST
def bulk_assign_view(request: HttpRequest) -> HttpResponse:
    """Assign the ticked requests of the queue at once: all of them, or none with the reasons said."""
    actor = _actor(request)
    selectors.require_case_handler(actor)
    form = BulkAssignForm(request.POST)
    back = reverse("cases:queue")
    if not form.is_valid():
        messages.error(request, _("Choose whom to give the requests to."))
        return redirect(back)
    if form.cleaned_data["back"]:
        back = f"{back}?{QueryDict(form.cleaned_data['back']).urlencode()}"
    codes = [code[:40] for code in request.POST.getlist("cases")]
    assignee = _assignee(form.cleaned_data["assignee"], actor, lambda: selectors.bulk_assignable_staff(actor=actor))
    if assignee is _NOBODY_VALID:
        messages.error(request, _("Choose a staff member of your districts."))
        return redirect(back)
    try:
        assigned = services.cases_assign_bulk(actor=actor, tracking_codes=codes, assignee=assignee)
    except CaseError as exc:
        messages.error(request, exc.message(_language()))
        return redirect(back)
    name = (assignee.get_full_name() or assignee.get_username()) if assignee is not None else ""
    count = to_persian_digits(str(len(assigned))) if _language() == "fa" else str(len(assigned))
    if assignee is None:
        messages.success(request, _("%(count)s requests went back to the shared queue.") % {"count": count})
    else:
        messages.success(request, _("%(count)s requests were given to %(name)s.") % {"count": count, "name": name})
    return redirect(back)


# --------------------------------------------------------------------------------------------------
# One case
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    label: StrOrPromise
    value: str
    ltr: bool = False


@dataclass(frozen=True)
class ChangeLine:
    label: str
    at_filing: str
    now: str
    requested: str


def _field_label(entity: str, field: str) -> str:
    model = ENTITY_MODELS.get(entity)
    if model is None:
        return field
    return str(getattr(model._meta.get_field(field), "verbose_name", field))


def _shown(value: object) -> str:
    return "" if value is None else str(value)


def _correction_lines(case: Case) -> tuple[list[Line], list[ChangeLine]]:
    data = case.data
    entity = str(data.get("entity", ""))
    lines = [
        Line(gettext_lazy("Record"), str(ENTITY_LABELS.get(entity, entity))),
        Line(gettext_lazy("Identifier"), str(data.get("key", "")), ltr=True),
    ]
    try:
        record, _, _ = find_record(entity, str(data.get("key", "")), case.district)
    except CorrectionError:
        record = None
    changes = []
    for field, requested in dict(data.get("changes", {})).items():
        at_filing = dict(data.get("current", {})).get(field)
        now = getattr(record, field, None) if record is not None else None
        changes.append(ChangeLine(_field_label(entity, field), _shown(at_filing), _shown(now), _shown(requested)))
    return lines, changes


def _dang(value: object) -> str:
    try:
        return f"{Decimal(str(value)).normalize():f}"
    except (InvalidOperation, ValueError):
        return ""


def _link_lines(case: Case) -> list[Line]:
    data = case.data
    code = str(data.get("property_code", ""))
    lines = [
        Line(gettext_lazy("Property"), code, ltr=True),
        Line(gettext_lazy("The requester is"), str(RELATION_LABELS.get(str(data.get("relation")), ""))),
        Line(gettext_lazy("Share asked for (dang)"), _dang(data.get("share_dang")), ltr=True),
        Line(gettext_lazy("Deed"), str(DeedType(data["deed_type"]).label) if data.get("deed_type") else ""),
    ]
    if data.get("since"):
        since = dt.date.fromisoformat(str(data["since"]))
        lines.append(Line(gettext_lazy("Owner since"), format_jalali(since), ltr=True))
    try:
        held = property_shares(code, case.district)
    except CorrectionError:
        held = None
    if held is not None:
        lines.append(Line(gettext_lazy("Shares recorded on it now (dang)"), _dang(held), ltr=True))
    return lines


@dataclass(frozen=True)
class TimelineLine:
    at: dt.datetime
    label: StrOrPromise
    role: StrOrPromise
    actor: User | None
    status: StrOrPromise | None
    comment: str
    action: str


def _timeline(case: Case) -> list[TimelineLine]:
    lines = []
    for event in selectors.case_timeline(case):
        label = EVENT_LABELS.get(event.action, event.action)
        status = status_label(event.to_status) if event.to_status != event.from_status else None
        lines.append(
            TimelineLine(
                at=event.at,
                label=label,
                role=role_label(event.role),
                actor=event.actor,
                status=status if status is not None and str(status) != str(label) else None,
                comment=event.comment,
                action=event.action,
            )
        )
    return lines


@never_cache
@login_required
@require_GET
def case_detail(request: HttpRequest, tracking_code: str) -> HttpResponse:
    actor = _actor(request)
    code = _canonical_or_404(tracking_code)
    if code != tracking_code:
        return redirect("cases:detail", tracking_code=code)
    case = selectors.case_get_for_staff(actor=actor, tracking_code=code)
    workflow = workflow_for(case.case_type)
    lines: list[Line] = []
    changes: list[ChangeLine] = []
    if case.case_type == DATA_CORRECTION:
        lines, changes = _correction_lines(case)
    elif case.case_type == PROPERTY_LINK:
        lines = _link_lines(case)
    moves = [
        {
            "action": move.action,
            "label": action_label(move.action),
            "roles": [(r, role_label(r)) for r in move.roles],
            "needs_comment": move.transition.requires_comment,
            "final": workflow.is_final(move.transition.to_status),
            "to": status_label(move.transition.to_status),
        }
        for move in selectors.staff_moves(actor=actor, case=case)
    ]
    rows = selectors.queue_rows([case])
    manager = may(actor, Action.QUEUE_MANAGE, case.district)
    return render(
        request,
        "cases/case.html",
        {
            **_nav(actor, nav="queue"),
            "case": case,
            "type_label": workflow.label,
            "status_label": status_label(case.status),
            "row": rows[0],
            "lines": lines,
            "changes": changes,
            "description": case.data.get("description", ""),
            "attachments": selectors.case_attachments(case),
            "timeline": _timeline(case),
            "moves": moves,
            "can_take": case.is_open and case.assigned_to_id is None,
            "can_release": case.is_open and case.assigned_to_id == actor.pk,
            "assignable": selectors.assignable_staff(case=case) if manager and case.is_open else [],
            "can_attach": case.is_open,
            "can_view_person": may(actor, Action.PERSON_VIEW, case.district),
            "max_mb": files.MAX_ATTACHMENT_BYTES // 2**20,
        },
    )


def _back(code: str) -> HttpResponse:
    return redirect(reverse("cases:detail", kwargs={"tracking_code": code}))


@login_required
@require_POST
def case_act_view(request: HttpRequest, tracking_code: str) -> HttpResponse:
    actor = _actor(request)
    code = _canonical_or_404(tracking_code)
    case = selectors.case_get_for_staff(actor=actor, tracking_code=code, record_view=False)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The form was incomplete. Choose an action again."))
        return _back(code)
    try:
        services.case_act(
            actor=actor,
            case=case,
            action=form.cleaned_data["action"],
            role=form.cleaned_data["role"],
            comment=form.cleaned_data["comment"],
        )
    except CaseError as exc:
        messages.error(request, exc.message(_language()))
    else:
        messages.success(request, _("Done: %(action)s.") % {"action": action_label(form.cleaned_data["action"])})
    return _back(code)


@login_required
@require_POST
def case_assign_view(request: HttpRequest, tracking_code: str) -> HttpResponse:
    actor = _actor(request)
    code = _canonical_or_404(tracking_code)
    case = selectors.case_get_for_staff(actor=actor, tracking_code=code, record_view=False)
    form = AssignForm(request.POST)
    if not form.is_valid():
        return _back(code)
    assignee = _assignee(form.cleaned_data["assignee"], actor, lambda: selectors.assignable_staff(case=case))
    if assignee is _NOBODY_VALID:
        messages.error(request, _("Choose a staff member of this district."))
        return _back(code)
    try:
        services.case_assign(actor=actor, case=case, assignee=assignee)
    except CaseError as exc:
        messages.error(request, exc.message(_language()))
    return _back(code)


@csrf_exempt
@login_required
@require_POST
def attachment_add_view(request: HttpRequest, tracking_code: str) -> HttpResponseBase:
    """The size limit is installed before the body is read, hence CSRF is checked inside (Django's documented way)."""
    request.upload_handlers.insert(0, UploadSizeLimitHandler(request, limit=files.MAX_ATTACHMENT_BYTES))
    return _attachment_add(request, tracking_code)


@csrf_protect
def _attachment_add(request: HttpRequest, tracking_code: str) -> HttpResponse:
    actor = _actor(request)
    code = _canonical_or_404(tracking_code)
    case = selectors.case_get_for_staff(actor=actor, tracking_code=code, record_view=False)
    form = AttachmentForm(request.POST, request.FILES)
    if getattr(request, TOO_LARGE_FLAG, False):
        messages.error(request, files.too_large().message_fa if _language() == "fa" else files.too_large().message_en)
        return _back(code)
    if not form.is_valid():
        messages.error(request, _("Choose a file to attach."))
        return _back(code)
    role = services.staff_role_of(actor, case.district)
    try:
        services.attachment_add(actor=actor, case=case, upload=form.cleaned_data["file"], role=role)
    except CaseError as exc:
        messages.error(request, exc.message(_language()))
    else:
        messages.success(request, _("The file was attached."))
    return _back(code)


@never_cache
@login_required
@require_GET
def attachment_download(request: HttpRequest, tracking_code: str, attachment_id: int) -> HttpResponseBase:
    actor = _actor(request)
    code = _canonical_or_404(tracking_code)
    case = selectors.case_get_for_staff(actor=actor, tracking_code=code, record_view=False)
    attachment = selectors.attachment_for_staff(actor=actor, case=case, attachment_id=attachment_id)
    try:
        path = files.open_stored(attachment.path)
        handle = path.open("rb")
    except OSError:
        raise Http404("the stored file is missing") from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.name, content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --------------------------------------------------------------------------------------------------
# Holidays
# --------------------------------------------------------------------------------------------------


WEEKDAYS: Final[dict[int, StrOrPromise]] = {
    0: gettext_lazy("Monday"),
    1: gettext_lazy("Tuesday"),
    2: gettext_lazy("Wednesday"),
    3: gettext_lazy("Thursday"),
    4: gettext_lazy("Friday"),
    5: gettext_lazy("Saturday"),
    6: gettext_lazy("Sunday"),
}


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def holidays(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    city = selectors.holiday_city(actor=actor)
    status = 200
    if request.method == "POST":
        form = HolidayForm(request.POST)
        if form.is_valid():
            try:
                services.holiday_add(
                    actor=actor, city=city, date=form.cleaned_data["date"], name=form.cleaned_data["name"]
                )
            except CaseError as exc:
                form.add_error(None, exc.message(_language()))
            else:
                messages.success(request, _("The holiday was added. Deadlines of open requests were updated."))
                return redirect(f"{reverse('cases:holidays')}?year={jalali_year(form.cleaned_data['date'])}")
        status = 400
    else:
        form = HolidayForm()
    try:
        year = int(request.GET.get("year", "")) if request.GET.get("year") else jalali_year(timezone.localdate())
        days = selectors.holidays_of_year(city=city, year=year)
    except ValueError:
        raise Http404("no such year") from None
    return render(
        request,
        "cases/holidays.html",
        {
            **_nav(actor, nav="holidays"),
            "districts": selectors.city_districts(city=city),  # the page header names the city
            "holiday_city_name": city.name_en if _language().startswith("en") else city.name,
            "form": form,
            "holidays": days,
            "year": year,
            "weekend": [WEEKDAYS[d] for d in sorted(weekend_days())],
            "previous_year": year - 1,
            "next_year": year + 1,
        },
        status=status,
    )


@login_required
@require_POST
def holiday_remove_view(request: HttpRequest, holiday_id: int) -> HttpResponse:
    actor = _actor(request)
    city = selectors.holiday_city(actor=actor)
    holiday = selectors.holiday_get(city=city, holiday_id=holiday_id)
    year = jalali_year(holiday.date)
    services.holiday_remove(actor=actor, holiday=holiday)
    messages.success(request, _("The holiday was removed. Deadlines of open requests were updated."))
    return redirect(f"{reverse('cases:holidays')}?year={year}")
