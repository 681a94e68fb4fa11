"""Who is calling: a citizen's bearer token, or an institution's key (bearer or ``X-Api-Key``).

Each check also counts the call against the caller's rate (``SHAHRVAND_API_CITIZEN_RATE``,
``SHAHRVAND_API_KEY_RATE``; ``"300/m"`` and ``"120/m"`` by default) and answers 429 with
``Retry-After`` past it. A key of the wrong kind (a bank's key on a notary's endpoint) is 403.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import APIKeyHeader, HttpBearer

from shahrvand.api import selectors, services
from shahrvand.api.models import CitizenToken, InstitutionKey
from shahrvand.api.problems import Problem
from shahrvand.citizens.models import Citizen
from shahrvand.documents.ratelimit import parse_rate
from shahrvand.identity.ratelimit import check_rate

CITIZEN_RATE = "300/m"
KEY_RATE = "120/m"


def _limit(name: str, setting: str, default: str) -> None:
    limit, window = parse_rate(getattr(settings, setting, default))
    if limit > 0:
        check_rate(name, limit, window)  # raises RateLimited → 429


class CitizenTokenAuth(HttpBearer):
    """``Authorization: Bearer shvc_…``: a token from ``POST /api/v1/auth/tokens``."""

    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> CitizenToken | None:
        found = selectors.token_for(token)
        if found is None:
            return None
        _limit(f"api-citizen:{found.citizen_id}", "SHAHRVAND_API_CITIZEN_RATE", CITIZEN_RATE)
        services.token_touch(found)
        return found


def _institution(request: HttpRequest, secret: str, kind: str) -> InstitutionKey | None:
    key = selectors.key_for(secret)
    if key is None:
        return None
    _limit(f"api-key:{key.pk}", "SHAHRVAND_API_KEY_RATE", KEY_RATE)
    if key.kind != kind:
        services.key_call_audit(key=key, action="api.key_refused", payload={"path": request.path[:200], "needs": kind})
        raise Problem("forbidden", _("This key is not for this service."))
    services.key_touch(key)
    return key


class InstitutionBearer(HttpBearer):
    """``Authorization: Bearer shvk_…``: an institution's key."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def authenticate(self, request: HttpRequest, token: str) -> InstitutionKey | None:
        return _institution(request, token, self.kind)


class InstitutionHeader(APIKeyHeader):
    """``X-Api-Key: shvk_…``: the same key in its own header."""

    param_name = "X-Api-Key"

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def authenticate(self, request: HttpRequest, key: str | None) -> InstitutionKey | None:
        return _institution(request, key, self.kind) if key else None


def institution_auth(kind: str) -> list[Any]:
    return [InstitutionBearer(kind), InstitutionHeader(kind)]


def citizen_of(request: HttpRequest, *, live: bool = True) -> Citizen:
    """The signed-in citizen; with ``live``, 403 while their district's e-services are not live."""
    token = request.auth  # type: ignore[attr-defined]  # set by ninja from CitizenTokenAuth
    assert isinstance(token, CitizenToken)
    citizen = token.citizen
    if live and not citizen.district.eservices_enabled:
        raise Problem("forbidden", _("The e-services of your district are not live yet."))
    return citizen


def key_of(request: HttpRequest) -> InstitutionKey:
    key = request.auth  # type: ignore[attr-defined]  # set by ninja from institution_auth
    assert isinstance(key, InstitutionKey)
    return key
