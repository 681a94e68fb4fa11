"""Staff pages of tariff books and the annual assessment.

Views parse the request, call one service, render. Access: tariffs are city-wide (``TARIFF_EDIT``
in some district of the city); the assessment of a district needs ``REVENUE_MANAGE`` there.
A run started from the page works in a background thread with its own database connection (inline
when ``settings.SHAHRVAND_ASSESSMENT_INLINE`` is true, as in tests); the page polls its progress.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import close_old_connections, connection
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shahrvand.core.access import AccessDenied, Action, districts_for, require
from shahrvand.core.models import City, District, User
from shahrvand.core.selectors import district_get
from shahrvand.revenue import tariff as tariff_rules
from shahrvand.revenue.assessment import AssessmentError, assessment_execute, assessment_prepare
from shahrvand.revenue.forms_tariff import AssessmentStartForm, TariffApproveForm, TariffUploadForm
from shahrvand.revenue.models import AssessmentRun, Bill, TariffBook
from shahrvand.revenue.tariff import TariffError, TariffInvalid
from shahrvand.revenue.tariffs import (
    may_edit_tariffs,
    tariff_approve,
    tariff_cities,
    tariff_create_draft,
    tariff_new_version,
    tariff_put_in_force,
)

logger = logging.getLogger(__name__)
RUNS_SHOWN = 10
PROBLEMS_SHOWN = 300


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _persian() -> bool:
    return (get_language() or "fa").startswith("fa")


def _message(exc: TariffError | AssessmentError) -> str:
    return exc.message_fa if _persian() else exc.message_en


def _cities(actor: User) -> list[City]:
    cities = list(tariff_cities(actor=actor))
    if not cities:
        raise AccessDenied(actor=actor, action=Action.TARIFF_EDIT, district=None)
    return cities


def _book(actor: User, pk: int) -> TariffBook:
    book = TariffBook.objects.select_related("city", "created_by", "approved_by").filter(pk=pk).first()
    if book is None:
        raise Http404("no such tariff version")
    if not may_edit_tariffs(actor, book.city):
        district = District.objects.filter(city=book.city).order_by("number").first()
        raise AccessDenied(actor=actor, action=Action.TARIFF_EDIT, district=district)
    return book


def _readable(t: tariff_rules.Tariff | None) -> dict[str, Any] | None:
    """The rules in the shape the version page shows (tables with rows), decimals as text."""
    if t is None:
        return None
    p = t.property
    b = t.business
    guilds_by_class: dict[str, list[str]] = {key: [] for key in b.classes}
    for code, key in sorted(b.guilds.items()):
        guilds_by_class.setdefault(key, []).append(code)
    return {
        "rate": tariff_rules.decimal_text(p.rate_per_mille),
        "land_coefficient": tariff_rules.decimal_text(p.land_value_coefficient),
        "bands": [band.key for band in p.age_bands],
        "structures": [
            (key, [p.building_value_per_m2[key][band.key] for band in p.age_bands]) for key in tariff_rules.STRUCTURES
        ],
        "uses": [(key, tariff_rules.decimal_text(p.use_coefficients[key])) for key in tariff_rules.UNIT_USES],
        "age_if_unknown": p.age_if_unknown,
        "exempt_years": p.rebuilt_exempt_years,
        "waste": t.residential_waste,
        "classes": [(k, guilds_by_class.get(k.key, [])) for k in sorted(b.classes.values(), key=lambda k: k.key)],
        "default_class": b.default_class,
        "location_bands": [
            (band.max_regional_value, tariff_rules.decimal_text(band.coefficient)) for band in b.location_bands
        ],
        "nrw_percent": tariff_rules.decimal_text(t.non_residential_waste_percent),
        "discounts": [(d, tariff_rules.decimal_text(d.percent)) for d in t.discounts],
        "penalty_monthly": tariff_rules.decimal_text(t.penalty_monthly_percent),
        "penalty_cap": tariff_rules.decimal_text(t.penalty_cap_percent),
        "due_property": t.due_property,
        "due_business": t.due_business,
        "notes": t.notes,
    }


def _assess_districts(actor: User) -> list[District]:
    return list(districts_for(actor, Action.REVENUE_MANAGE).order_by("city__name", "number"))


def _context(actor: User, **extra: Any) -> dict[str, Any]:
    return {"assess_districts": _assess_districts(actor), **extra}


# --------------------------------------------------------------------------------------------------
# Tariff books
# --------------------------------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def tariff_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    cities = _cities(actor)
    books = TariffBook.objects.filter(city__in=cities).select_related("city").annotate(bill_count=Count("bills"))
    groups: dict[tuple[int, int], dict[str, Any]] = {}
    for book in books.order_by("city__name", "-year", "-version"):
        key = (book.city_id, book.year)
        groups.setdefault(key, {"city": book.city, "year": book.year, "versions": []})["versions"].append(book)
    return render(
        request,
        "revenue/tariffs/list.html",
        _context(actor, groups=list(groups.values()), cities=cities, nav="tariffs"),
    )


@never_cache
@login_required
@require_GET
def tariff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    book = _book(actor, pk)
    try:
        parsed: tariff_rules.Tariff | None = tariff_rules.parse(book.rules)
    except TariffInvalid:
        parsed = None
    bills = Bill.objects.filter(tariff=book)
    usage = {
        "count": bills.count(),
        "by_status": list(bills.values("status").annotate(n=Count("id"), gross=Sum("gross")).order_by("status")),
    }
    runs = list(book.assessment_runs.select_related("district").order_by("-started_at")[:RUNS_SHOWN])
    return render(
        request,
        "revenue/tariffs/detail.html",
        _context(
            actor,
            book=book,
            t=parsed,
            rules=_readable(parsed),
            usage=usage,
            runs=runs,
            approve_form=TariffApproveForm(),
            nav="tariffs",
        ),
    )


@never_cache
@login_required
@require_GET
def tariff_download(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    book = _book(actor, pk)
    body = json.dumps(book.rules, ensure_ascii=False, indent=2) + "\n"
    # The stored rules are canonical already; re-export when they parse, for the documented key order.
    try:
        body = tariff_rules.dumps(tariff_rules.parse(book.rules))
    except TariffInvalid:
        logger.warning("stored tariff %s does not parse", book.pk)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="tariff-{book.city.slug}-{book.year}-v{book.version}.json"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def tariff_upload(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    cities = _cities(actor)
    city_qs = City.objects.filter(pk__in=[c.pk for c in cities])
    problems: list[dict[str, str]] = []
    status = 200
    if request.method == "POST":
        form = TariffUploadForm(request.POST, request.FILES, cities=city_qs)
        if form.is_valid():
            city = form.cleaned_data["city"]
            year = form.cleaned_data["year"]
            try:
                parsed = tariff_rules.loads(form.cleaned_data["file"], city=city.slug, year=year)
                book = tariff_create_draft(
                    actor=actor,
                    city=city,
                    year=year,
                    rules=tariff_rules.export(parsed),
                    note=form.cleaned_data["note"],
                )
            except TariffInvalid as exc:
                persian = _persian()
                problems = [
                    {"path": p.path, "message": p.message_fa if persian else p.message_en} for p in exc.problems
                ]
                form.add_error(
                    "file",
                    _("The tariff file has %(n)d problem(s), listed below. Nothing was saved.") % {"n": len(problems)},
                )
            except TariffError as exc:
                form.add_error(None, _message(exc))
            else:
                messages.success(request, _("The draft was saved. Read it, then record the council's approval."))
                return redirect("tariffs:detail", pk=book.pk)
        status = 400
    else:
        form = TariffUploadForm(cities=city_qs, initial={"city": cities[0]})
    return render(
        request,
        "revenue/tariffs/upload.html",
        _context(actor, form=form, problems=problems, nav="tariffs"),
        status=status,
    )


@login_required
@require_POST
def tariff_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    book = _book(actor, pk)
    form = TariffApproveForm(request.POST)
    if form.is_valid():
        try:
            tariff_approve(
                actor=actor,
                book=book,
                approval_number=form.cleaned_data["approval_number"],
                approval_date=form.cleaned_data["approval_date"],
            )
        except TariffError as exc:
            messages.error(request, _message(exc))
        else:
            messages.success(request, _("The council's approval was recorded."))
            return redirect("tariffs:detail", pk=book.pk)
        return redirect("tariffs:detail", pk=book.pk)
    try:
        parsed: tariff_rules.Tariff | None = tariff_rules.parse(book.rules)
    except TariffInvalid:
        parsed = None
    bills = Bill.objects.filter(tariff=book)
    usage = {"count": bills.count(), "by_status": []}
    return render(
        request,
        "revenue/tariffs/detail.html",
        _context(
            actor, book=book, t=parsed, rules=_readable(parsed), usage=usage, runs=[], approve_form=form, nav="tariffs"
        ),
        status=400,
    )


@login_required
@require_POST
def tariff_in_force_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    book = _book(actor, pk)
    try:
        tariff_put_in_force(actor=actor, book=book)
    except TariffError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, _("This version is now in force; the previous one is superseded."))
    return redirect("tariffs:detail", pk=book.pk)


@login_required
@require_POST
def tariff_new_version_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    book = _book(actor, pk)
    try:
        new = tariff_new_version(actor=actor, book=book)
    except TariffError as exc:
        messages.error(request, _message(exc))
        return redirect("tariffs:detail", pk=book.pk)
    messages.success(request, _("A new draft version was made from this one. Download it, edit it and upload it."))
    return redirect("tariffs:detail", pk=new.pk)


# --------------------------------------------------------------------------------------------------
# Assessment
# --------------------------------------------------------------------------------------------------


def _district(actor: User, slug: str) -> District:
    district = district_get(slug=slug)
    if district is None:
        raise Http404("no such district")
    require(actor, Action.REVENUE_MANAGE, district)
    return district


def _run_in_background(run_pk: int) -> None:
    """The thread's body: its own connection, closed at the end whatever happens."""
    try:
        close_old_connections()
        run = AssessmentRun.objects.get(pk=run_pk)
        assessment_execute(run=run)
    except Exception:
        logger.exception("assessment run %s failed", run_pk)
    finally:
        connection.close()


def _start(run: AssessmentRun) -> None:
    if getattr(settings, "SHAHRVAND_ASSESSMENT_INLINE", False):
        try:
            assessment_execute(run=run)
        except Exception:
            logger.exception("assessment run %s failed", run.pk)
        return
    threading.Thread(target=_run_in_background, args=(run.pk,), name=f"assess-{run.pk}", daemon=True).start()


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def assessment(request: HttpRequest, district: str) -> HttpResponse:
    actor = _actor(request)
    place = _district(actor, district)
    status = 200
    if request.method == "POST":
        form = AssessmentStartForm(request.POST)
        if form.is_valid():
            try:
                run = assessment_prepare(
                    actor=actor, district=place, year=form.cleaned_data["year"], dry_run=form.cleaned_data["dry_run"]
                )
            except AssessmentError as exc:
                form.add_error(None, _message(exc))
            else:
                _start(run)
                return redirect("tariffs:run", pk=run.pk)
        status = 400
    else:
        from shahrvand.core import jalali

        form = AssessmentStartForm(initial={"year": jalali.jalali_year(jalali.today())})
    runs = list(AssessmentRun.objects.filter(district=place).select_related("tariff")[:RUNS_SHOWN])
    in_force = list(
        TariffBook.objects.filter(city_id=place.city_id, status=TariffBook.Status.IN_FORCE).order_by("-year")
    )
    return render(
        request,
        "revenue/tariffs/assessment.html",
        _context(actor, district=place, form=form, runs=runs, in_force=in_force, nav="assessment"),
        status=status,
    )


def _run(actor: User, pk: int) -> AssessmentRun:
    run = AssessmentRun.objects.select_related("district__city", "tariff", "started_by").filter(pk=pk).first()
    if run is None:
        raise Http404("no such run")
    require(actor, Action.REVENUE_MANAGE, run.district)
    return run


@never_cache
@login_required
@require_GET
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    run = _run(actor, pk)
    persian = _persian()
    problems = [
        {**p, "message": p.get("message_fa") if persian else p.get("message_en")}
        for p in (run.problems or [])[:PROBLEMS_SHOWN]
    ]
    return render(
        request,
        "revenue/tariffs/run.html",
        _context(
            actor,
            run=run,
            district=run.district,
            problems=problems,
            problems_total=len(run.problems or []),
            running=run.status == AssessmentRun.Status.RUNNING,
            nav="assessment",
        ),
    )


@never_cache
@login_required
@require_GET
def run_progress(request: HttpRequest, pk: int) -> JsonResponse:
    actor = _actor(request)
    run = _run(actor, pk)
    percent = 100 if run.total == 0 and run.status != AssessmentRun.Status.RUNNING else 0
    if run.total:
        percent = min(100, run.done * 100 // run.total)
    return JsonResponse(
        {
            "status": run.status,
            "total": run.total,
            "done": run.done,
            "percent": percent,
            "finished": run.status != AssessmentRun.Status.RUNNING,
            "url": reverse("tariffs:run", args=[run.pk]),
        }
    )
