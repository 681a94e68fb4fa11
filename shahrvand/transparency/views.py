"""``/transparency/`` and ``/transparency/transparency.csv``: public, no sign-in, rendered from the cache."""

from __future__ import annotations

import csv
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language_bidi, gettext, pgettext
from django.views.decorators.http import require_GET

from shahrvand.cases.workflows import WORKFLOWS
from shahrvand.core.charts import bar_chart
from shahrvand.transparency import selectors


def _charts(stats: selectors.CityStats, rtl: bool) -> list[dict[str, Any]]:
    months = stats.months
    return [
        {
            "id": f"received-{stats.slug}",
            "title": gettext("Requests received per month"),
            "chart": bar_chart([(m.label, m.received) for m in months], rtl=rtl),
            "rows": [(m.label, m.received, m.finished) for m in months],
            "kind": "requests",
        },
        {
            "id": f"documents-{stats.slug}",
            "title": gettext("Documents issued per month"),
            "chart": bar_chart([(m.label, m.documents_issued) for m in months], rtl=rtl),
            "rows": [(m.label, m.documents_issued) for m in months],
            "kind": "documents",
        },
        {
            "id": f"duties-{stats.slug}",
            "title": gettext("Duties collected per month"),
            "chart": bar_chart([(m.label, m.rials) for m in months], rtl=rtl, values=False),
            "rows": [(m.label, m.payments, m.rials) for m in months],
            "kind": "duties",
        },
    ]


def _service_rows(requests: dict[str, selectors.RequestFigures]) -> list[dict[str, Any]]:
    return [{"code": code, "label": WORKFLOWS[code].label, "figures": requests[code]} for code in requests]


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    rtl = get_language_bidi()
    cities = []
    for stats in selectors.published_statistics():
        cities.append(
            {
                "stats": stats,
                "totals": _service_rows(stats.totals),
                "districts": [{"d": d, "services": _service_rows(d.requests)} for d in stats.districts],
                "charts": _charts(stats, rtl),
                "promised": [(WORKFLOWS[code].label, days) for code, days in stats.promised.items()],
            }
        )
    # Not cacheable by shared caches: the layout carries a CSRF token (the language switch).
    return render(
        request,
        "transparency/index.html",
        {"cities": cities, "small_cell": selectors.SMALL_CELL, "cache_minutes": selectors.CACHE_SECONDS // 60},
    )


def _cell(value: int | float | None) -> str:
    return gettext("fewer than 5") if value is None else str(value)


CSV_COLUMNS = (
    ("city", "City"),
    ("period", "Period"),
    ("district", "District"),
    ("service", "Service"),
    ("received", "Received"),
    ("finished", "Finished"),
    ("decided", "Decided"),
    ("median", "Median working days to a decision"),
    ("within_sla", "Decided within the promised time (%)"),
    ("visits_saved", "Visits saved"),
    ("issued", "Documents issued"),
    ("revoked", "Documents revoked"),
    ("payments", "Payments"),
    ("rials", "Duties collected (Rials)"),
)


@require_GET
def csv_download(request: HttpRequest) -> HttpResponse:
    """The same aggregates as the page, one row per district and service and per month; the same small-cell rule."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="transparency.csv"'
    response.write("\ufeff")  # spreadsheet programs read the file as UTF-8 with it
    writer = csv.writer(response)
    writer.writerow([gettext(label) for _, label in CSV_COLUMNS])
    whole = pgettext("period", "all")
    all_districts = gettext("All districts")
    for stats in selectors.published_statistics():
        city = stats.slug
        scopes: list[tuple[str, dict[str, selectors.RequestFigures], tuple[Any, ...]]] = [
            (d.slug, d.requests, (d.documents_issued, d.documents_revoked, d.payments, d.rials))
            for d in stats.districts
        ]
        scopes.append(
            (
                all_districts,
                stats.totals,
                (stats.documents_issued, stats.documents_revoked, stats.payments, stats.rials),
            )
        )
        for district, requests, (issued, revoked, payments, rials) in scopes:
            for code, f in requests.items():
                writer.writerow(
                    [city, whole, district, code]
                    + [_cell(v) for v in (f.received, f.finished, f.decided, f.median_days)]
                    + [_cell(f.within_sla_percent), _cell(f.visits_saved), "", "", "", ""]
                )
            writer.writerow(
                [city, whole, district, "documents", "", "", "", "", "", "", _cell(issued), _cell(revoked), "", ""]
            )
            writer.writerow(
                [city, whole, district, "duties", "", "", "", "", "", "", "", "", _cell(payments), _cell(rials)]
            )
        for m in stats.months:
            writer.writerow(
                [city, m.label, all_districts, "requests", _cell(m.received), _cell(m.finished)]
                + [""] * 4
                + [_cell(m.documents_issued), "", _cell(m.payments), _cell(m.rials)]
            )
    return response
