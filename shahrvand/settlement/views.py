"""Staff pages of bank settlement: upload a file (check, then import), the files, a file's lines, reconciliation.

Views parse the request, call one selector or service, and render. Settlement files are
city-wide: the pages need ``revenue.manage`` in some district of the city (else 403, audited).
"""

from __future__ import annotations

from typing import Any, Final

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from shahrvand.core import jalali
from shahrvand.core.http import TOO_LARGE_FLAG, UploadSizeLimitHandler
from shahrvand.core.models import User
from shahrvand.settlement import selectors
from shahrvand.settlement.forms import MAX_UPLOAD_BYTES, ReconcileForm, SettlementUploadForm
from shahrvand.settlement.models import FOLLOW_UP, Outcome
from shahrvand.settlement.reconcile import FOLLOW_UP_SECTIONS, KNOWN_BUT_MISSING, reconcile
from shahrvand.settlement.services import ImportResult, settlement_import

FILES_PER_PAGE: Final = 25
LINES_PER_PAGE: Final = 100
PROBLEMS_SHOWN: Final = 500
ROWS_SHOWN: Final = 500


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required ran first
    return user


def _persian() -> bool:
    return (get_language() or "fa").startswith("fa")


def _context(actor: User, **extra: Any) -> dict[str, Any]:
    return {"districts": list(selectors.revenue_districts(actor=actor)[:1]), **extra}


def _outcome_rows(counts: dict[str, int], amounts: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {
            "key": value,
            "label": label,
            "count": int(counts.get(value, 0)),
            "amount": int(amounts.get(value, 0)),
            "follow_up": value in FOLLOW_UP,
        }
        for value, label in Outcome.choices
    ]


@login_required
@require_GET
def file_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    page = Paginator(selectors.file_list(actor=actor), FILES_PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        (f, sum(int(f.counts.get(o, 0)) for o in FOLLOW_UP), int(f.counts.get(Outcome.MATCHED, 0)))
        for f in page.object_list
    ]
    return render(request, "settlement/files.html", _context(actor, page=page, rows=rows, nav="files"))


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
    cities = selectors.settlement_cities(actor=actor)
    result: ImportResult | None = None
    status = 200
    if request.method == "POST":
        form = SettlementUploadForm(
            request.POST, request.FILES, cities=cities, too_large=getattr(request, TOO_LARGE_FLAG, False)
        )
        if form.is_valid():
            check_only = request.POST.get("action") == "check"
            upload_file = form.cleaned_data["file"]
            result = settlement_import(
                actor=actor,
                city=form.cleaned_data["city"],
                path_or_bytes=form.file_bytes(),
                name=upload_file.name or "settlement.csv",
                bank=form.cleaned_data["bank"],
                settlement_date=form.cleaned_data["settlement_date"],
                dry_run=check_only,
            )
            if result.status == "imported" and result.file is not None:
                messages.success(request, _("The settlement file was imported."))
                return redirect("settlement:file", file_id=result.file.pk)
            if result.status == "already_imported" and result.file is not None:
                messages.info(request, _("This very file was imported before; nothing changed."))
                return redirect("settlement:file", file_id=result.file.pk)
            if result.status == "rejected":
                status = 400
        else:
            status = 400
    else:
        form = SettlementUploadForm(cities=cities)
    persian = _persian()
    problems = [
        {"line": p.line, "column": p.column, "message": p.message_fa if persian else p.message_en}
        for p in (result.problems[:PROBLEMS_SHOWN] if result is not None else [])
    ]
    return render(
        request,
        "settlement/upload.html",
        _context(
            actor,
            form=form,
            result=result,
            problems=problems,
            problems_hidden=max(0, len(result.problems) - PROBLEMS_SHOWN) if result is not None else 0,
            outcomes=_outcome_rows(result.counts, result.amounts) if result is not None and result.counts else [],
            single_city=cities.count() == 1,
            max_upload_bytes=MAX_UPLOAD_BYTES,
            too_large_message=SettlementUploadForm.too_large_message(),
            nav="upload",
        ),
        status=status,
    )


@never_cache
@login_required
@require_GET
def file_detail(request: HttpRequest, file_id: int) -> HttpResponse:
    actor = _actor(request)
    file = selectors.file_get(actor=actor, file_id=file_id)
    if file is None:
        raise Http404("no such settlement file")
    outcome = request.GET.get("outcome", "")
    if outcome not in Outcome.values:
        outcome = ""
    page = Paginator(selectors.file_lines(file=file, outcome=outcome), LINES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "settlement/file.html",
        _context(
            actor,
            file=file,
            outcomes=_outcome_rows(file.counts, file.amounts),
            outcome=outcome,
            outcome_label=dict(Outcome.choices).get(outcome, ""),
            page=page,
            follow_up=sum(int(file.counts.get(o, 0)) for o in FOLLOW_UP),
            nav="files",
        ),
    )


@never_cache
@login_required
@require_GET
def reconcile_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    cities = selectors.settlement_cities(actor=actor)
    form = ReconcileForm(request.GET or None, cities=cities, initial={"date": jalali.format_jalali(jalali.today())})
    report = None
    sections: list[dict[str, Any]] = []
    status = 200
    if request.GET:
        if form.is_valid():
            report = reconcile(
                actor=actor,
                city=form.cleaned_data["city"],
                date=form.cleaned_data["date"],
                bank=form.cleaned_data["bank"],
            )
            persian = _persian()
            for key in FOLLOW_UP_SECTIONS:
                total = report.total(key)
                rows = report.rows(key, limit=ROWS_SHOWN) if total.count else []
                sections.append(
                    {
                        "key": key,
                        "label": total.label(get_language()),
                        "total": total,
                        "rows": [{"row": r, "note": r.note_fa if persian else r.note_en} for r in rows],
                        "hidden": max(0, total.count - ROWS_SHOWN),
                        "payments": key == KNOWN_BUT_MISSING,
                    }
                )
        else:
            status = 400
    return render(
        request,
        "settlement/reconcile.html",
        _context(
            actor,
            form=form,
            report=report,
            totals=[(t, t.label(get_language())) for t in report.totals] if report is not None else [],
            sections=sections,
            single_city=cities.count() == 1,
            query=request.GET.urlencode(),
            nav="reconcile",
        ),
        status=status,
    )


@never_cache
@login_required
@require_GET
def reconcile_csv(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = ReconcileForm(request.GET, cities=selectors.settlement_cities(actor=actor))
    if not form.is_valid():
        raise Http404("no such report")
    date = form.cleaned_data["date"]
    report = reconcile(actor=actor, city=form.cleaned_data["city"], date=date, bank=form.cleaned_data["bank"])
    response = HttpResponse(report.csv(), content_type="text/csv; charset=utf-8")
    name = (
        f"reconcile-{report.city.slug}-{jalali.format_jalali(date, '%Y%m%d')}{'-' + report.bank if report.bank else ''}"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
