"""Pages of the planning unit: parcels and their zoning (staff), the certificate request (portal).

Views parse the request, call one selector or service, and render. Access is checked by the
selectors and services (``require``): a refused request is a 403, recorded in the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from shahrvand.cases.errors import CaseError
from shahrvand.citizens import selectors as citizen_selectors
from shahrvand.citizens.models import Citizen
from shahrvand.citizens.views import citizen_required
from shahrvand.core.access import Action
from shahrvand.core.models import User
from shahrvand.core.templatetags.persian import localize_digits
from shahrvand.documents.types import ltr_isolate
from shahrvand.planning import selectors, services
from shahrvand.planning.errors import PlanningError
from shahrvand.planning.forms import PlanningInfoRequestForm, ZoningForm
from shahrvand.registry.models import ChangeRecord, LandUse, Zoning
from shahrvand.registry.selectors import require_any


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required ran first
    return user


def _message(exc: PlanningError | CaseError) -> str:
    return exc.message_en if (get_language() or "fa").startswith("en") else exc.message_fa


@dataclass(frozen=True)
class HistoryLine:
    """A zoning change in the shape of ``registry/_history.html``."""

    change: ChangeRecord
    entity_label: str
    key: str
    changes: list[tuple[str, str, str]]


def _shown(name: str, value: object) -> str:
    if value is None or value == "":
        return ""
    if name == "permitted_uses" and isinstance(value, list):
        return "، ".join(str(LandUse(v).label) if v in LandUse.values else str(v) for v in value)
    return str(value)


def _history_lines(history: list[ChangeRecord]) -> list[HistoryLine]:
    lines = []
    for change in history:
        pairs = []
        for name, pair in sorted((change.changes or {}).items()):
            if isinstance(pair, list) and len(pair) == 2:
                label = (
                    str(getattr(Zoning._meta.get_field(name), "verbose_name", name))
                    if name in services.FIELDS
                    else name
                )
                pairs.append((label, _shown(name, pair[0]), _shown(name, pair[1])))
        lines.append(HistoryLine(change, _("Zoning"), change.key, pairs))
    return lines


@never_cache
@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Parcels of the officer's districts with their zone, searchable by renovation code, address or zone."""
    actor = _actor(request)
    require_any(actor, Action.PLANNING_EDIT)
    query = request.GET.get("q", "")[:100]
    parcels = list(selectors.parcels_for_planning(actor=actor, query=query))
    return render(request, "planning/home.html", {"parcels": parcels, "q": query})


def _initial(zoning: Zoning | None) -> dict[str, Any]:
    if zoning is None:
        return {}
    return {
        "zone": zoning.zone,
        "permitted_uses": list(zoning.permitted_uses or []),
        "max_floors": zoning.max_floors,
        "max_density_pct": zoning.max_density_pct,
        "max_occupancy_pct": zoning.max_occupancy_pct,
        "setback_m": "" if zoning.setback_m is None else format(zoning.setback_m.normalize(), "f"),
        "planned_passage_width_m": ""
        if zoning.planned_passage_width_m is None
        else format(zoning.planned_passage_width_m.normalize(), "f"),
    }


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def zoning_edit_view(request: HttpRequest, parcel_id: int) -> HttpResponse:
    """A parcel's zoning: the form, the history of changes, and deliveries that overrode an officer's edit."""
    actor = _actor(request)
    parcel = selectors.parcel_for_planning(actor=actor, parcel_id=parcel_id)
    zoning = selectors.zoning_of(parcel)
    form = ZoningForm(request.POST or None, initial=_initial(zoning))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "note"}
            try:
                services.zoning_edit(actor=actor, parcel=parcel, data=data, note=form.cleaned_data["note"])
            except PlanningError as exc:
                form.add_error(ZoningForm.ERROR_FIELDS.get(exc.code), _message(exc))
            else:
                messages.success(request, _("The zoning was saved and recorded in its history."))
                return redirect(reverse("planning:zoning_edit", kwargs={"parcel_id": parcel.pk}))
        status = 400
    history = selectors.zoning_history(parcel)
    return render(
        request,
        "planning/zoning_edit.html",
        {
            "parcel": parcel,
            "zoning": zoning,
            "form": form,
            "history": _history_lines(history),
            "overrides": selectors.delivery_overrides(history),
        },
        status=status,
    )


# --------------------------------------------------------------------------------------------------
# The portal: the planning information certificate
# --------------------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@citizen_required
def portal_request(request: HttpRequest, citizen: Citizen) -> HttpResponse:
    """Ask for the planning information certificate of one of the citizen's properties; decided at once."""
    properties = citizen_selectors.my_properties(citizen)
    choices = [(p.code, f"{ltr_isolate(localize_digits(p.code))} — {localize_digits(p.address)}") for p in properties]
    initial = {"property_code": request.GET.get("property", "")}
    form = PlanningInfoRequestForm(request.POST or None, choices=choices, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            code = form.cleaned_data["property_code"]
            try:
                case = services.planning_info_request(
                    user=citizen.user,
                    person=citizen.person,
                    district=citizen_selectors.record_district("property", code, citizen),
                    property_code=code,
                )
            except CaseError as exc:
                form.add_error(None, _message(exc))
            else:
                return redirect(f"{reverse('planning_portal:request')}?request={case.tracking_code}")
        status = 400
    outcome = None
    if request.GET.get("request"):
        asked = selectors.my_planning_request(citizen.person, request.GET["request"])
        if asked is None:
            raise Http404("not one of your requests")
        outcome = {"case": asked, "document": selectors.certificate_of(citizen.person, asked)}
    recent = selectors.my_planning_requests(citizen.person)
    response = render(
        request,
        "planning/portal_request.html",
        {
            "citizen": citizen,
            "districts": [citizen.district],
            "portal_nav": "properties",
            "form": form,
            "outcome": outcome,
            "recent": recent,
        },
        status=status,
    )
    response["Cache-Control"] = "no-store, private"
    return response
