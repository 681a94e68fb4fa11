"""The auditor's pages: search the trail, read one entry, export a search, check the chain.

Only actors holding ``audit.read`` come in (a refusal is a 403 and an ``access.denied`` entry).
Every search, entry view and export writes exactly one audit entry of its own.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, Final

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from shahrvand.audit.forms import AuditSearchForm
from shahrvand.audit.models import AuditEntry, ChainCheck
from shahrvand.audit.search import (
    READ_ACTIONS,
    AuditQuery,
    AuditScope,
    audit_entries,
    audit_entry_get,
    audit_page,
    audit_scope,
)
from shahrvand.audit.services import audit_record, chain_check_run
from shahrvand.core.access import AccessDenied, Action
from shahrvand.core.models import User
from shahrvand.core.text import spreadsheet_safe

EXPORT_COLUMNS: Final = [
    "seq",
    "created_at",
    "actor",
    "actor_label",
    "district",
    "action",
    "target_type",
    "target_id",
    "payload",
    "request_id",
    "prev_hash",
    "hash",
]
FILTER_FIELDS: Final = ("actor", "citizen", "record", "action", "district", "since", "until", "reads")


def _auditor(request: HttpRequest) -> tuple[User, AuditScope]:
    actor = request.user
    assert isinstance(actor, User)
    scope = audit_scope(actor)
    if scope.empty:
        raise AccessDenied(actor=actor, action=Action.AUDIT_READ, district=None)
    return actor, scope


def _filters_qs(request: HttpRequest) -> str:
    """The current filters as a query string (for export links and pagination)."""
    params = QueryDict(mutable=True)
    for name in FILTER_FIELDS:
        value = request.GET.get(name, "")
        if value:
            params[name] = value[:150]
    return params.urlencode()


def _context(actor: User, scope: AuditScope, **extra: Any) -> dict[str, Any]:
    return {
        "districts": scope.districts,
        "city_wide": scope.city_wide,
        "last_check": ChainCheck.objects.order_by("-checked_at", "-pk").first(),
        "head": AuditEntry.objects.order_by("-seq").values("seq", "created_at").first(),
        "read_actions": READ_ACTIONS,
        "nav": "search",
        **extra,
    }


@never_cache
@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    actor, scope = _auditor(request)
    form = AuditSearchForm(request.GET or None, districts=scope.districts)
    if request.GET and not form.is_valid():
        context = _context(actor, scope, form=form, entries=None, filters=_filters_qs(request))
        return render(request, "audit/search.html", context, status=400)
    query = form.query() if request.GET else AuditQuery()
    page = form.page_number if request.GET else 1
    entries, has_next = audit_page(scope, query, page)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="audit.search",
            district=query.district,
            payload={**query.describe(), "page": page, "results": len(entries)},
        )
    filters = _filters_qs(request)
    context = _context(
        actor,
        scope,
        form=form,
        entries=entries,
        page=page,
        has_next=has_next,
        first_index=(page - 1) * 50 + 1,
        filters=filters,
    )
    return render(request, "audit/search.html", context)


@never_cache
@login_required
@require_GET
def entry_detail(request: HttpRequest, seq: int) -> HttpResponse:
    actor, scope = _auditor(request)
    entry = audit_entry_get(scope, seq)
    if entry is None:
        raise Http404
    with transaction.atomic():
        audit_record(
            actor=actor, action="audit.entry_view", target=entry, district=entry.district, payload={"seq": seq}
        )
    pretty = json.dumps(entry.payload, ensure_ascii=False, indent=2, sort_keys=True)
    return render(request, "audit/entry.html", _context(actor, scope, entry=entry, pretty=pretty))


def _cell(value: object) -> str:
    """A CSV cell that spreadsheets will not run as a formula."""
    return spreadsheet_safe(value)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _rows(entries: Iterator[AuditEntry]) -> Iterator[dict[str, Any]]:
    for e in entries:
        yield {
            "seq": e.seq,
            "created_at": e.created_at.isoformat(),
            "actor": e.actor.get_username() if e.actor else "",
            "actor_label": e.actor_label,
            "district": e.district.slug if e.district else "",
            "action": e.action,
            "target_type": e.target_type,
            "target_id": e.target_id,
            "payload": e.payload,
            "request_id": e.request_id,
            "prev_hash": e.prev_hash,
            "hash": e.hash,
        }


def _csv_stream(entries: Iterator[AuditEntry]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(EXPORT_COLUMNS)
    for row in _rows(entries):
        row["payload"] = json.dumps(row["payload"], ensure_ascii=False, sort_keys=True)
        yield writer.writerow([_cell(row[c]) for c in EXPORT_COLUMNS])


def _jsonl_stream(entries: Iterator[AuditEntry]) -> Iterator[str]:
    for row in _rows(entries):
        yield json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n"


@never_cache
@login_required
@require_GET
def export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    actor, scope = _auditor(request)
    form = AuditSearchForm(request.GET or None, districts=scope.districts)
    if request.GET and not form.is_valid():
        context = _context(actor, scope, form=form, entries=None, filters=_filters_qs(request))
        return render(request, "audit/search.html", context, status=400)
    query = form.query() if request.GET else AuditQuery()
    with transaction.atomic():
        audit_record(
            actor=actor, action="audit.export", district=query.district, payload={**query.describe(), "format": fmt}
        )
    entries = audit_entries(scope, query).select_related("actor", "district").iterator(chunk_size=2000)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_stream(entries), content_type="text/csv; charset=utf-8")
    else:
        response = StreamingHttpResponse(_jsonl_stream(entries), content_type="application/x-ndjson; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{fmt}"'
    return response


@login_required
@require_POST
def chain_verify(request: HttpRequest) -> HttpResponse:
    actor, _scope = _auditor(request)
    check = chain_check_run(actor=actor, full=request.POST.get("full") == "1")
    if check.ok:
        messages.success(request, _("The chain is intact."))
    else:
        messages.error(request, _("The chain is broken. See the first bad entry below."))
    return redirect(reverse("audit:search"))
