"""Staff pages of the registry: search, property and person pages, deliveries (upload, report, apply), data quality.

Views parse the request, call one selector or service, and render. Access is checked by the
selectors and services (``require``): a refused request is a 403, recorded in the audit trail.
"""

from __future__ import annotations

import logging
import zipfile
import zlib
from typing import Any, Final

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shahrvand.audit.services import audit_record
from shahrvand.core.access import Action, require
from shahrvand.core.http import TOO_LARGE_FLAG, UploadSizeLimitHandler
from shahrvand.core.identifiers import IdentifierError, RenovationCode
from shahrvand.core.models import District, User
from shahrvand.core.selectors import district_get
from shahrvand.registry import selectors
from shahrvand.registry.forms import MAX_UPLOAD_BYTES, DeliveryUploadForm, SearchForm
from shahrvand.registry.importing.problems import Problem, report_csv
from shahrvand.registry.models import Delivery
from shahrvand.registry.services import DeliveryNotApplicable, delivery_apply, delivery_upload

logger = logging.getLogger(__name__)

ENTITY_LABELS: Final = {
    "parcels": gettext_lazy("Parcels"),
    "buildings": gettext_lazy("Buildings"),
    "units": gettext_lazy("Units (apartments and shops)"),
    "people": gettext_lazy("People"),
    "ownerships": gettext_lazy("Ownerships"),
    "businesses": gettext_lazy("Businesses"),
    "zoning": gettext_lazy("Zoning"),
}
PROBLEMS_SHOWN: Final = 500
DELIVERIES_PER_PAGE: Final = 25

# What reading a malformed archive or workbook can raise beyond the problems the reader reports
# itself: encrypted or exotic zip members, corrupt deflate streams, broken XML inside an .xlsx.
UNREADABLE_UPLOAD: Final = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    KeyError,
    ValueError,
    OSError,
    RuntimeError,
    NotImplementedError,
    SyntaxError,
    UnicodeError,
)


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required ran first
    return user


def _district(slug: str) -> District:
    district = district_get(slug=slug)
    if district is None:
        raise Http404("no such district")
    return district


def _is_xhr(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def _persian() -> bool:
    return (get_language() or "fa").startswith("fa")


def _staff_context(actor: User, **extra: Any) -> dict[str, Any]:
    """What the staff navigation needs: the districts the actor sees and where they may import."""
    view = list(selectors.view_districts(actor=actor))
    imports = list(selectors.import_districts(actor=actor))
    return {
        "districts": view,
        "import_districts": imports,
        "can_import": bool(imports),
        "today": timezone.localdate(),
        **extra,
    }


# --------------------------------------------------------------------------------------------------
# Search, property, person
# --------------------------------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    selectors.require_any(actor, Action.REGISTRY_VIEW)
    context = _staff_context(actor)
    form = SearchForm(request.GET or None, districts=selectors.view_districts(actor=actor))
    result = None
    if form.is_valid() and form.cleaned_data["q"]:
        result = selectors.registry_search(
            actor=actor,
            query=form.cleaned_data["q"],
            district=form.cleaned_data["district"],
            page=form.cleaned_data["page"] or 1,
        )
    return render(request, "registry/search.html", {**context, "form": form, "result": result, "nav": "search"})


@never_cache
@login_required
@require_GET
def property_detail(request: HttpRequest, district: str, parcel_code: str) -> HttpResponse:
    actor = _actor(request)
    try:
        code = RenovationCode.parse(parcel_code)
    except IdentifierError:
        raise Http404("not a renovation code") from None
    if str(code.parcel_code) != parcel_code:
        # A building, unit or a code typed with other digits or separators: the parcel's page, at that node.
        url = reverse("registry:property", kwargs={"district": district, "parcel_code": str(code.parcel_code)})
        return redirect(f"{url}#node-{code}" if code.level != "parcel" else url)
    tree = selectors.property_tree(actor=actor, parcel_code=parcel_code, district=_district(district))
    return render(request, "registry/property.html", {**_staff_context(actor), "tree": tree, "nav": "search"})


@never_cache
@login_required
@require_GET
def person_detail(request: HttpRequest, district: str, national_code: str) -> HttpResponse:
    actor = _actor(request)
    record = selectors.person_record(actor=actor, district=_district(district), national_code=national_code)
    return render(request, "registry/person.html", {**_staff_context(actor), "record": record, "nav": "search"})


# --------------------------------------------------------------------------------------------------
# Deliveries
# --------------------------------------------------------------------------------------------------


def _delivery_totals(delivery: Delivery) -> dict[str, int]:
    counts: dict[str, dict[str, int]] = delivery.counts or {}
    total = {"new": 0, "changed": 0, "unchanged": 0, "missing": 0}
    for entity in counts.values():
        for key in total:
            total[key] += int(entity.get(key, 0))
    return total


@login_required
@require_GET
def delivery_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    selectors.require_any(actor, Action.REGISTRY_IMPORT)
    paginator = Paginator(selectors.delivery_list(actor=actor), DELIVERIES_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    rows = [(d, _delivery_totals(d)) for d in page.object_list]
    return render(
        request,
        "registry/deliveries.html",
        {**_staff_context(actor), "page": page, "rows": rows, "nav": "deliveries"},
    )


@csrf_exempt
@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponseBase:
    """The size limit is installed before the body is read, hence CSRF is checked inside (Django's documented way)."""
    request.upload_handlers.insert(0, UploadSizeLimitHandler(request, limit=MAX_UPLOAD_BYTES))
    return _upload(request)


@csrf_protect
def _upload(request: HttpRequest) -> HttpResponseBase:
    actor = _actor(request)
    selectors.require_any(actor, Action.REGISTRY_IMPORT)
    districts = selectors.import_districts(actor=actor)
    status = 200
    if request.method == "POST":
        form = DeliveryUploadForm(
            request.POST, request.FILES, districts=districts, too_large=getattr(request, TOO_LARGE_FLAG, False)
        )
        if form.is_valid():
            upload_file = form.cleaned_data["file"]
            try:
                delivery = delivery_upload(
                    actor=actor,
                    district=form.cleaned_data["district"],
                    filename=upload_file.name or "delivery.zip",
                    data=form.file_bytes(),
                )
            except UNREADABLE_UPLOAD:
                logger.warning("delivery upload could not be read", exc_info=True)
                form.add_error(
                    "file",
                    _(
                        "The file could not be read: it is damaged, encrypted or not a delivery. "
                        "Save the CSV files again (CSV UTF-8), put them in a new .zip and upload that."
                    ),
                )
            else:
                url = reverse("registry:delivery", args=[delivery.pk])
                if _is_xhr(request):
                    return JsonResponse({"redirect": url})
                return redirect(url)
        status = 400
        if _is_xhr(request):
            errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
            return JsonResponse({"errors": errors}, status=status)
    else:
        form = DeliveryUploadForm(districts=districts, initial={"district": districts.first()})
    recent = list(selectors.delivery_list(actor=actor)[:5])
    return render(
        request,
        "registry/upload.html",
        {
            **_staff_context(actor),
            "form": form,
            "recent": recent,
            "max_upload_bytes": MAX_UPLOAD_BYTES,
            "too_large_message": DeliveryUploadForm.too_large_message(),
            "nav": "upload",
        },
        status=status,
    )


@never_cache
@login_required
@require_GET
def delivery_detail(request: HttpRequest, delivery_id: int) -> HttpResponse:
    actor = _actor(request)
    delivery = selectors.delivery_get(actor=actor, delivery_id=delivery_id)
    counts: dict[str, dict[str, int]] = delivery.counts or {}
    entities = [(ENTITY_LABELS.get(name, name), counts[name]) for name in ENTITY_LABELS if name in counts]
    problems: list[dict[str, Any]] = delivery.problems or []
    persian = _persian()
    shown = [
        {**p, "message": p.get("message_fa") if persian else p.get("message_en")} for p in problems[:PROBLEMS_SHOWN]
    ]
    return render(
        request,
        "registry/delivery.html",
        {
            **_staff_context(actor),
            "delivery": delivery,
            "entities": entities,
            "totals": _delivery_totals(delivery),
            "problems": shown,
            "problems_total": len(problems),
            "problems_hidden": max(0, len(problems) - PROBLEMS_SHOWN),
            "can_apply": delivery.status == Delivery.Status.VALIDATED,
            "nav": "deliveries",
        },
    )


@login_required
@require_POST
def delivery_apply_view(request: HttpRequest, delivery_id: int) -> HttpResponse:
    actor = _actor(request)
    delivery = selectors.delivery_get(actor=actor, delivery_id=delivery_id)
    try:
        result = delivery_apply(actor=actor, delivery=delivery)
    except DeliveryNotApplicable as exc:
        messages.error(request, exc.message_fa if _persian() else exc.message_en)
    except OSError:
        logger.exception("stored delivery file unreadable (delivery %s)", delivery.pk)
        messages.error(request, _("The stored file of this delivery could not be read. Upload the delivery again."))
    else:
        if result.status == "applied":
            messages.success(request, _("The delivery was applied. The registry of the district now holds it."))
        else:
            messages.error(
                request,
                _(
                    "The registry changed after this delivery was checked, and it no longer passes the checks. "
                    "It was not applied; see the problems below."
                ),
            )
    return redirect("registry:delivery", delivery_id=delivery.pk)


@never_cache
@login_required
@require_GET
def delivery_report(request: HttpRequest, delivery_id: int) -> HttpResponse:
    actor = _actor(request)
    delivery = selectors.delivery_get(actor=actor, delivery_id=delivery_id)
    problems = [
        Problem(
            file=str(p.get("file", "")),
            row=int(p.get("row", 0)),
            column=str(p.get("column", "")),
            code=str(p.get("code", "")),
            message_en=str(p.get("message_en", "")),
            message_fa=str(p.get("message_fa", "")),
            severity="warning" if p.get("severity") == "warning" else "error",
        )
        for p in (delivery.problems or [])
    ]
    response = HttpResponse(report_csv(problems), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="delivery-{delivery.pk}-report.csv"'
    return response


# --------------------------------------------------------------------------------------------------
# Data quality
# --------------------------------------------------------------------------------------------------


@login_required
@require_GET
def quality_index(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    selectors.require_any(actor, Action.REGISTRY_IMPORT)
    context = _staff_context(actor, nav="quality")
    if len(context["import_districts"]) == 1:
        return redirect("registry:quality", district=context["import_districts"][0].slug)
    return render(request, "registry/quality_index.html", context)


@never_cache
@login_required
@require_GET
def quality(request: HttpRequest, district: str) -> HttpResponse:
    actor = _actor(request)
    place = _district(district)
    require(actor, Action.REGISTRY_IMPORT, place)
    report = selectors.data_quality(district=place)
    # The report names people (without a mobile, operators of expired licences): the look is audited.
    with transaction.atomic():
        audit_record(actor=actor, action="registry.quality_view", district=place, payload={"district": place.slug})
    return render(request, "registry/quality.html", {**_staff_context(actor), "report": report, "nav": "quality"})
