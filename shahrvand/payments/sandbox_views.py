"""The sandbox bank's card page, ``/sandbox-bank/pay/<token>/`` — only when the sandbox is the gateway.

After the payer pays (or cancels) it shows the page a Shaparak gateway shows: a form that posts the
result back to the merchant's callback, submitted by ``static/js/autosubmit.js`` (CSP allows no
inline script). Faults: a delayed post-back, duplicate posts, or no post-back at all (lost callback).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from shahrvand.payments import clock, conf, sandbox
from shahrvand.payments.forms import SandboxCardForm
from shahrvand.payments.models import SandboxTransaction


def _page(request: HttpRequest, template: str, context: dict[str, object], status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _post_back(request: HttpRequest, txn: SandboxTransaction) -> HttpResponse:
    faults = sandbox.faults()
    return _page(
        request,
        "payments/sandbox/post_back.html",
        {
            "txn": txn,
            "fields": sandbox.callback_fields(txn),
            "faults": faults,
            "paid": txn.state == "charged",
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, token: str) -> HttpResponse:
    if conf.payment_settings().gateway != conf.SANDBOX:
        raise Http404("the sandbox bank is not in use")
    now = clock.now()
    txn = sandbox.pending(token[:64], now)
    if txn is None:
        return _page(request, "payments/sandbox/ended.html", {}, status=404)
    if request.method == "POST" and "cancel" in request.POST:
        try:
            txn = sandbox.bank_cancel(token=txn.token, now=now)
        except sandbox.SandboxRefused:
            return _page(request, "payments/sandbox/ended.html", {}, status=404)
        return _post_back(request, txn)
    form = SandboxCardForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            txn = sandbox.bank_pay(token=txn.token, pan=form.cleaned_data["pan"], now=now)
        except sandbox.SandboxRefused:
            return _page(request, "payments/sandbox/ended.html", {}, status=404)
        return _post_back(request, txn)
    return _page(
        request,
        "payments/sandbox/card.html",
        {"txn": txn, "form": form, "test_cards": sandbox.TEST_CARDS, "code": sandbox.TEST_DYNAMIC_PASSWORD},
        status=400 if request.method == "POST" else 200,
    )
