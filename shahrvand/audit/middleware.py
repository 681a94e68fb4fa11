"""Refused access is recorded in the audit trail, after the refused work was rolled back."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from shahrvand.audit.services import audit_record
from shahrvand.core.access import AccessDenied
from shahrvand.core.models import User


class AccessDeniedAuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, AccessDenied):
            actor = exception.actor if isinstance(exception.actor, User) else None
            audit_record(
                actor=actor,
                action="access.denied",
                district=exception.district,
                payload={"action": exception.action, "path": request.path, "method": request.method},
                actor_label="" if actor else "anonymous",
            )
        # Django then renders the 403 page.
