"""The staff outbox page: what the platform sent, or would have sent, by text message."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from shahrvand.audit.services import audit_record
from shahrvand.core.models import User
from shahrvand.identity.decorators import staff_verified_required
from shahrvand.sms import selectors
from shahrvand.sms.backends import backend_name


@never_cache
@require_GET
@login_required
@staff_verified_required
def outbox(request: HttpRequest) -> HttpResponse:
    actor = request.user
    assert isinstance(actor, User)  # login_required ran first
    messages = list(selectors.outbox_for(actor=actor))
    audit_record(actor=actor, action="sms.outbox_read", payload={"shown": len(messages)})
    rows = [{"message": m, "text": selectors.shown_text(m), "to": selectors.masked_mobile(m.to)} for m in messages]
    return render(
        request,
        "sms/outbox.html",
        {"rows": rows, "backend": backend_name(), "demo": backend_name() == "outbox"},
    )
