"""``/staff/`` (the staff home: what this staff member may do, as tiles) and ``/staff/dashboard/``.

Views parse, call the selectors and render. Other packages' pages are linked by URL name and
skipped when the name does not resolve (packages land independently).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language_bidi, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_stubs_ext import StrOrPromise

from shahrvand.backoffice import selectors
from shahrvand.cases import selectors as case_selectors
from shahrvand.cases.workflows import WORKFLOWS
from shahrvand.core.access import AccessDenied, Action, districts_for
from shahrvand.core.charts import bar_chart, grouped_bar_chart
from shahrvand.core.models import User


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required ran first
    return user


def _url(*names: str, query: str = "") -> str | None:
    """The first of ``names`` that resolves (another package's page), or None."""
    for name in names:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        return f"{url}?{query}" if query else url
    return None


@dataclass(frozen=True)
class Figure:
    label: StrOrPromise
    value: int
    url: str
    alert: bool = False


@dataclass(frozen=True)
class Tile:
    key: str
    title: StrOrPromise
    text: StrOrPromise
    url: str
    figures: list[Figure] = field(default_factory=list)


# What each tile needs, the URL names to try, its title and its line. The queue and the permits have
# figures or fallbacks and are built in ``_tiles``.
SIMPLE_TILES: list[tuple[str, str, tuple[str, ...], StrOrPromise, StrOrPromise]] = [
    (
        "dashboard",
        Action.DASHBOARD_VIEW,
        ("backoffice:dashboard",),
        gettext_lazy("Manager dashboard"),
        gettext_lazy("Requests by state, SLA breaches, weekly throughput and revenue of your districts."),
    ),
    (
        "registry",
        Action.REGISTRY_VIEW,
        ("registry:search",),
        gettext_lazy("Property records"),
        gettext_lazy("Search parcels, buildings, units, people and businesses by any identifier."),
    ),
    (
        "enrollment",
        Action.ENROLL,
        ("citizens:counter",),
        gettext_lazy("Enrollment at the counter"),
        gettext_lazy("Enroll a citizen: identity, mobile and the activation code."),
    ),
    (
        "revenue",
        Action.REVENUE_MANAGE,
        ("revenue:dashboard",),
        gettext_lazy("Revenue"),
        gettext_lazy("Duties assessed and collected, bills, debts and tariffs."),
    ),
    (
        "settlement",
        Action.REVENUE_MANAGE,
        ("settlement:files",),
        gettext_lazy("Bank settlement"),
        gettext_lazy("The bank's daily settlement files and their reconciliation."),
    ),
    (
        "audit",
        Action.AUDIT_READ,
        ("audit:search",),
        gettext_lazy("Audit trail"),
        gettext_lazy("Who looked at or changed what, and the state of the hash chain."),
    ),
    (
        "districts",
        Action.DISTRICT_GO_LIVE,
        ("districts:list",),
        gettext_lazy("Districts going live"),
        gettext_lazy("Turn e-services on for a district once its data is good enough."),
    ),
    (
        "staff_accounts",
        Action.STAFF_MANAGE,
        ("staff_accounts:list",),
        gettext_lazy("Staff accounts"),
        gettext_lazy("Roles, districts, second factor and deactivation of staff accounts."),
    ),
]

PERMIT_TYPE = "building_permit"


def _tiles(actor: User) -> list[Tile]:
    def allowed(action: str) -> bool:
        return districts_for(actor, action).exists()

    tiles = []
    queue_url = _url("cases:queue")
    if queue_url is not None and allowed(Action.CASE_HANDLE):
        counts = case_selectors.queue_counts(actor)
        tiles.append(
            Tile(
                "queue",
                gettext_lazy("Request queue"),
                gettext_lazy("Citizens' requests in your districts, the most urgent first."),
                queue_url,
                [
                    Figure(gettext_lazy("Waiting for my role"), counts.waiting, f"{queue_url}?scope=waiting"),
                    Figure(gettext_lazy("Assigned to me"), counts.mine, f"{queue_url}?scope=mine"),
                    Figure(gettext_lazy("Not assigned"), counts.unassigned, f"{queue_url}?scope=unassigned"),
                    Figure(
                        gettext_lazy("Overdue"), counts.overdue, f"{queue_url}?scope=overdue", alert=counts.overdue > 0
                    ),
                ],
            )
        )
    for key, action, names, title, text in SIMPLE_TILES:
        url = _url(*names)
        if url is not None and allowed(action):
            tiles.append(Tile(key, title, text, url))
    if allowed(Action.PERMIT_REVIEW) or allowed(Action.SITE_VISIT):
        url = _url("permits:staff_list", "permits:staff_queue", "permits:staff_index", "permits:staff")
        if url is None and PERMIT_TYPE in WORKFLOWS and allowed(Action.CASE_HANDLE):
            url = _url("cases:queue", query=f"case_type={PERMIT_TYPE}")
        if url is not None:
            tiles.append(
                Tile(
                    "permits",
                    gettext_lazy("Building permits"),
                    gettext_lazy("Permit applications: review, site visits and the permit."),
                    url,
                )
            )
    return tiles


@never_cache
@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    tiles = _tiles(actor)
    if not tiles:
        raise AccessDenied(actor=actor, action=Action.CASE_HANDLE, district=None)
    return render(request, "backoffice/home.html", {"tiles": tiles, "nav": "home"})


def _charts(board: selectors.Dashboard, rtl: bool) -> dict[str, Any]:
    weeks = board.weeks
    return {
        "throughput": grouped_bar_chart([(w.label, [w.received, w.finished]) for w in weeks], series=2, rtl=rtl),
        "open_by_type": bar_chart([(str(t.label), t.open) for t in board.types], rtl=rtl),
    }


@never_cache
@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    districts = list(selectors.dashboard_districts(actor=actor))
    if not districts:
        raise AccessDenied(actor=actor, action=Action.DASHBOARD_VIEW, district=None)
    raw = request.GET.get("district", "").strip()[:60]
    chosen = selectors.dashboard_district(actor=actor, value=raw) if raw else None
    board = selectors.manager_dashboard(actor=actor, district=chosen)
    return render(
        request,
        "backoffice/dashboard.html",
        {
            "board": board,
            "charts": _charts(board, get_language_bidi()),
            "all_districts": districts,
            "chosen": chosen,
            "unknown_district": bool(raw) and chosen is None,
            "nav": "dashboard",
            "title": _("Manager dashboard"),
        },
    )
