"""The citizen's payment pages: go to the bank (``POST /pay/<bill_id>/``), the bank's callback, the result.

Thin: each view parses the request, calls one service or selector, renders. The callback always
answers a page (a redirect to the result, or a refusal) — never a 500 — because a payer whose money
was taken must not see an error page; reconciliation finishes whatever the callback could not.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shahrvand.citizens.models import Citizen
from shahrvand.citizens.views import citizen_required
from shahrvand.core.models import User
from shahrvand.payments import selectors
from shahrvand.payments.gateways import gateway_for
from shahrvand.payments.models import AttemptStatus, PaymentAttempt
from shahrvand.payments.services import PaymentError, payment_callback, payment_start

log = logging.getLogger(__name__)

_PLACEHOLDER = "0000000000000000"


def bill_page_url(bill_id: str) -> str:
    """The citizen's page of a bill (where the receipt is), built by the portal."""
    try:
        return reverse("citizens:bill", args=[bill_id])
    except NoReverseMatch:
        return f"/portal/bills/{bill_id}/"


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store, private"
    return response


@never_cache
@require_POST
@citizen_required
def pay(request: HttpRequest, citizen: Citizen, bill_id: str) -> HttpResponseBase:
    bill = selectors.bill_for_citizen(citizen, bill_id)
    if bill is None:
        raise Http404("no such bill")
    user = request.user
    assert isinstance(user, User)
    callback = request.build_absolute_uri(reverse("payments:callback", args=[_PLACEHOLDER]))
    try:
        started = payment_start(
            actor=user, citizen=citizen, bill=bill, callback_url=callback.replace(_PLACEHOLDER, "{order_id}")
        )
    except PaymentError as exc:
        messages.error(request, exc.message_en if (get_language() or "fa").startswith("en") else exc.message_fa)
        return redirect(bill_page_url(bill.bill_id))
    if started.redirect is None:
        return redirect("payments:result", order_id=started.attempt.order_id)
    if started.redirect.method == "GET":
        return redirect(started.redirect.url)
    response = render(
        request,
        "payments/to_bank.html",
        {"citizen": citizen, "districts": [citizen.district], "portal_nav": "bills", "bank": started.redirect},
    )
    origin = gateway_for(started.attempt.gateway).form_action_origin()
    if origin:
        response["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY.replace(
            "form-action 'self'", f"form-action 'self' {origin}"
        )
    return _no_store(response)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def callback(request: HttpRequest, order_id: str) -> HttpResponse:
    """The bank posts the payer back here (cross-site: no session cookie, no CSRF token)."""
    if request.method == "GET":
        return redirect("payments:result", order_id=order_id[:64])
    try:
        outcome = payment_callback(order_id=order_id, data=request.POST.dict())
    except Exception:  # the payer must get a page; reconciliation will finish the attempt
        log.exception("payment callback for %s failed", order_id[:64])
        outcome = None
    if outcome is None:
        response = redirect("payments:result", order_id=order_id[:64])
        response.status_code = 303
        return response
    if outcome.attempt is None:
        return _no_store(render(request, "payments/callback_refused.html", {}, status=400))
    response = redirect("payments:result", order_id=outcome.attempt.order_id)
    response.status_code = 303
    return response


_WAITING = {
    AttemptStatus.CREATED,
    AttemptStatus.TOKEN_ISSUED,
    AttemptStatus.CALLBACK_RECEIVED,
    AttemptStatus.VERIFYING,
    AttemptStatus.REVERSING,
}


def _outcome(attempt: PaymentAttempt) -> str:
    if attempt.status == AttemptStatus.SETTLED:
        return "paid"
    if attempt.status in _WAITING:
        return "checking"
    if attempt.status == AttemptStatus.REFUND_DUE:
        return "refund"
    if attempt.status == AttemptStatus.REVERSED or (
        attempt.status == AttemptStatus.EXPIRED and attempt.charged_amount is not None
    ):
        return "returned"
    return "failed"


@never_cache
@require_GET
@citizen_required
def result(request: HttpRequest, citizen: Citizen, order_id: str) -> HttpResponse:
    attempt = selectors.attempt_for_user(request.user, order_id)
    if attempt is None:
        raise Http404("no such payment")
    context: dict[str, Any] = {
        "citizen": citizen,
        "districts": [citizen.district],
        "portal_nav": "bills",
        "attempt": attempt,
        "outcome": _outcome(attempt),
        "bill_url": bill_page_url(attempt.bill.bill_id),
    }
    return _no_store(render(request, "payments/result.html", context))
