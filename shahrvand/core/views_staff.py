"""Staff pages of ``core``: the city administrator's list of districts, their readiness and go-live switch.

Mounted by the project at ``/staff/districts/`` behind the staff second factor. Views parse the
request, call one selector or service, and render; access is checked with ``require`` (a refusal
is a 403, recorded in the audit trail).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from shahrvand.core.access import AccessDenied, Action, districts_for, require
from shahrvand.core.forms_staff import GoLiveForm
from shahrvand.core.models import User
from shahrvand.core.selectors import district_get
from shahrvand.core.services import GoLiveRefused, district_go_live, district_readiness


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required ran first
    return user


def _english() -> bool:
    return (get_language() or "fa").startswith("en")


@never_cache
@login_required
@require_GET
def district_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    districts = list(districts_for(actor, Action.DISTRICT_GO_LIVE).order_by("city__name", "number"))
    if not districts:
        raise AccessDenied(actor=actor, action=Action.DISTRICT_GO_LIVE, district=None)
    rows = [district_readiness(district=d) for d in districts]
    return render(request, "core/districts.html", {"rows": rows, "nav": "districts"})


@login_required
@require_POST
def district_switch(request: HttpRequest, district: str) -> HttpResponse:
    actor = _actor(request)
    place = district_get(slug=district)
    if place is None:
        raise Http404("no such district")
    require(actor, Action.DISTRICT_GO_LIVE, place)
    form = GoLiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether to go live or pause."))
        return redirect("districts:list")
    try:
        changed = district_go_live(
            actor=actor, district=place, enabled=form.cleaned_data["enabled"], reason=form.cleaned_data["reason"]
        )
    except GoLiveRefused as exc:
        messages.error(request, exc.message_en if _english() else exc.message_fa)
        return redirect("districts:list")
    if changed.eservices_enabled:
        messages.success(request, _("E-services of %(district)s are live.") % {"district": changed.name})
    else:
        messages.success(request, _("E-services of %(district)s are paused.") % {"district": changed.name})
    return redirect("districts:list")
