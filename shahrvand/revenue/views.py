"""The revenue officer's pages (``/staff/revenue/``): dashboard, bill search, the bill, debts.

Views parse the request, call one selector or service, and render. Access is checked by the
selectors and services (``require`` / ``districts_for`` with ``Action.REVENUE_MANAGE``): a refused
request is a 403, recorded in the audit trail. Every refusal of a service is shown on its form.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from shahrvand.core import jalali
from shahrvand.core.identifiers import IdentifierError
from shahrvand.core.models import User
from shahrvand.core.selectors import district_get
from shahrvand.revenue import selectors, services
from shahrvand.revenue.amounts import payable
from shahrvand.revenue.documents import bill_document
from shahrvand.revenue.errors import RevenueError
from shahrvand.revenue.forms import AdjustForm, BillSearchForm, CancelForm, InstalmentForm, YearForm
from shahrvand.revenue.models import Bill, BillPurpose


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required ran first
    return user


def _message(error: RevenueError) -> str:
    return error.message(get_language())


def _context(actor: User, nav: str, **extra: Any) -> dict[str, Any]:
    return {"districts": selectors.require_revenue(actor), "nav": nav, **extra}


@never_cache
@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Assessed, collected and outstanding per district for a Jalali year."""
    actor = _actor(request)
    context = _context(actor, "dashboard")
    form = YearForm(request.GET or None)
    year = jalali.jalali_year(jalali.today())
    if form.is_valid() and form.cleaned_data["year"]:
        year = form.cleaned_data["year"]
    totals = selectors.revenue_summary(actor=actor, year=year)
    summary = {
        "assessed": sum(t.assessed for t in totals),
        "collected": sum(t.collected for t in totals),
        "outstanding": sum(t.outstanding for t in totals),
    }
    status = 400 if request.GET and form.errors else 200
    return render(
        request,
        "revenue/dashboard.html",
        {**context, "form": form, "year": year, "totals": totals, "summary": summary},
        status=status,
    )


@never_cache
@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    context = _context(actor, "search")
    form = BillSearchForm(request.GET or None)
    result = None
    if request.GET and form.is_valid():
        result = selectors.bill_search(actor=actor, query=form.cleaned_data["q"])
        if result.kind == "bill_id" and len(result.bills) == 1:
            return redirect("revenue:bill", bill_id=result.bills[0].bill.bill_id)
    return render(request, "revenue/search.html", {**context, "form": form, "result": result})


def _bill_or_404(actor: User, bill_id: str) -> Bill:
    bill = selectors.bill_for_staff(actor=actor, bill_id=bill_id)
    if bill is None:
        raise Http404("no such bill")
    return bill


def _instalment_choices(bill: Bill) -> list[tuple[str, str]]:
    today = jalali.today()
    open_bills = (
        Bill.objects.filter(payer_id=bill.payer_id, district_id=bill.district_id, status=Bill.Status.OPEN)
        .exclude(kind="instalment")
        .filter(purpose=BillPurpose.DUTIES)  # a permit's fees are paid at once
        .order_by("-year", "pk")
    )
    return [(b.bill_id, f"{b.bill_id} · {b.subject_code} · {payable(b, today).amount:,}") for b in open_bills]


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def bill_detail(request: HttpRequest, bill_id: str) -> HttpResponse:
    """The bill: lines, payments, supersessions; adjustment, instalment and cancellation forms."""
    actor = _actor(request)
    bill = _bill_or_404(actor, bill_id)
    if bill.bill_id != bill_id:
        return redirect("revenue:bill", bill_id=bill.bill_id)
    context = _context(actor, "search")
    choices = _instalment_choices(bill)
    action = request.POST.get("action") if request.method == "POST" else None
    adjust_form = AdjustForm(request.POST if action == "adjust" else None)
    instalment_form = InstalmentForm(
        request.POST if action == "instalments" else None,
        choices=choices,
        initial={"bills": [bill.bill_id], "count": 6},
    )
    cancel_form = CancelForm(request.POST if action == "cancel" else None)
    status = 200
    if request.method == "POST":
        status = 400
        try:
            if action == "adjust" and adjust_form.is_valid():
                adjustment = services.bill_adjust(
                    actor=actor,
                    bill=bill,
                    new_gross=adjust_form.cleaned_data["new_gross"],
                    reason=adjust_form.cleaned_data["reason"],
                )
                messages.success(request, _("The bill was adjusted. This is the new bill."))
                return redirect("revenue:bill", bill_id=adjustment.new_bill.bill_id)
            if action == "instalments" and instalment_form.is_valid():
                chosen = list(
                    Bill.objects.filter(bill_id__in=instalment_form.cleaned_data["bills"], payer_id=bill.payer_id)
                )
                plan = services.instalments_create(
                    actor=actor,
                    bills=chosen,
                    count=instalment_form.cleaned_data["count"],
                    first_due=instalment_form.cleaned_data["first_due"],
                    reason=instalment_form.cleaned_data["reason"],
                )
                first = plan.instalments.order_by("instalment_no").first()
                messages.success(request, _("The debt was split into instalments. This is the first instalment."))
                return redirect("revenue:bill", bill_id=first.bill_id if first else bill.bill_id)
            if action == "cancel" and cancel_form.is_valid():
                services.bill_cancel(actor=actor, bill=bill, reason=cancel_form.cleaned_data["reason"])
                messages.success(request, _("The bill was cancelled."))
                return redirect("revenue:bill", bill_id=bill.bill_id)
            if action not in ("adjust", "instalments", "cancel"):
                return HttpResponse(_("Unknown action."), status=400)
        except RevenueError as exc:
            form = {"adjust": adjust_form, "instalments": instalment_form, "cancel": cancel_form}[str(action)]
            form.add_error(None, _message(exc))
    view = selectors.bill_view(bill)
    return render(
        request,
        "revenue/bill.html",
        {
            **context,
            "view": view,
            "bill": bill,
            "lines": list(bill.lines.order_by("position")),
            "chain": selectors.bill_chain(bill),
            "adjustment": getattr(bill, "adjusted_from", None),
            "plan_bills": list(bill.plan.instalments.order_by("instalment_no")) if bill.plan is not None else [],
            "replaced_by": (
                list(bill.replaced_by_plan.instalments.order_by("instalment_no"))
                if bill.replaced_by_plan is not None
                else []
            ),
            "adjust_form": adjust_form,
            "instalment_form": instalment_form,
            "cancel_form": cancel_form,
            "can_split": bill.status == Bill.Status.OPEN and bill.purpose == BillPurpose.DUTIES and bool(choices),
        },
        status=status,
    )


@never_cache
@login_required
@require_GET
def bill_pdf(request: HttpRequest, bill_id: str) -> HttpResponse:
    """The bill's one-page document for today's amount (issued when the amount changed)."""
    actor = _actor(request)
    bill = _bill_or_404(actor, bill_id)
    try:
        document = bill_document(actor=actor, bill=bill)
    except RevenueError as exc:
        messages.error(request, _message(exc))
        return redirect("revenue:bill", bill_id=bill.bill_id)
    response = HttpResponse(bytes(document.pdf or b""), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document.number}.pdf"'
    response["Cache-Control"] = "no-store, private"
    return response


@never_cache
@login_required
@require_GET
def property_debts(request: HttpRequest, district: str, code: str) -> HttpResponse:
    actor = _actor(request)
    place = district_get(slug=district)
    if place is None:
        raise Http404("no such district")
    try:
        parcel, parsed, found = selectors.staff_property_debts(actor=actor, district=place, code=code)
    except (IdentifierError, LookupError):
        raise Http404("no such property") from None
    return render(
        request,
        "revenue/property_debts.html",
        {
            **_context(actor, "search"),
            "district": place,
            "parcel": parcel,
            "code": str(parsed),
            "debts": found,
            "total": sum(d.amount for d in found),
        },
    )


@never_cache
@login_required
@require_GET
def person_debts(request: HttpRequest, national_code: str) -> HttpResponse:
    actor = _actor(request)
    context = _context(actor, "search")
    try:
        person, views = selectors.staff_person_debts(actor=actor, national_code=national_code)
    except (IdentifierError, LookupError):
        raise Http404("no such person") from None
    open_views = [v for v in views if v.is_open]
    return render(
        request,
        "revenue/person_debts.html",
        {
            **context,
            "person": person,
            "views": views,
            "open_views": open_views,
            "total": sum(v.due.amount for v in open_views if v.due is not None),
        },
    )
