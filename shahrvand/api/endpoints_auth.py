"""``/auth/tokens``: a citizen's password for a bearer token; ``DELETE /auth/tokens/current`` signs out."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from shahrvand.api import schemas, services
from shahrvand.api.models import CitizenToken
from shahrvand.api.problems import Problem, pick
from shahrvand.api.responses import problems
from shahrvand.api.security import CitizenTokenAuth
from shahrvand.core.http import client_ip

router = Router(tags=["auth"])

_SLUGS = {"bad_credentials": "bad-credentials", "not_active": "account-not-active", "otp_required": "otp-required"}


@router.post("/tokens", response={201: schemas.TokenOut, **problems(400, 401, 422, 429)}, auth=None)
def token_create(request: HttpRequest, payload: schemas.TokenIn) -> Status[schemas.TokenOut]:
    """Sign in with a national code or citizen code and the portal password; get a bearer token (30 days).

    Five wrong passwords lock the account for 15 minutes (429), the same lock as the portal's page.
    A citizen who turned on the SMS step gets `otp-required` (401) and a code by SMS: send it again
    with `otp_code`.
    """
    try:
        issued = services.citizen_token_sign_in(
            identifier=payload.identifier, password=payload.password, otp_code=payload.otp_code, ip=client_ip(request)
        )
    except services.ApiError as exc:
        raise Problem(_SLUGS.get(exc.code, "unauthorized"), pick(exc.message_en, exc.message_fa)) from None
    return Status(201, schemas.TokenOut(token=issued.secret, expires_at=issued.token.expires_at))


@router.delete("/tokens/current", response={204: None, **problems(401, 429)}, auth=CitizenTokenAuth())
def token_delete(request: HttpRequest) -> HttpResponse:
    """Revoke the token this request carries."""
    token = request.auth  # type: ignore[attr-defined]  # set by CitizenTokenAuth
    assert isinstance(token, CitizenToken)
    services.citizen_token_revoke(token=token)
    return HttpResponse(status=204)
