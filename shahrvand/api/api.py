"""The API object: routers, the problem-details handlers, and the OpenAPI document's finishing touches.

Mounted at ``/api/v1/`` (``shahrvand/urls.py``); the document is ``/api/v1/openapi.json``. There are
no interactive docs pages (their scripts would need exceptions to the site's CSP): load the document
into any OpenAPI tool instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.urls import URLPattern, URLResolver, re_path
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from shahrvand.api.endpoints_auth import router as auth_router
from shahrvand.api.endpoints_citizen import router as citizen_router
from shahrvand.api.endpoints_institutions import bank, notary, public
from shahrvand.api.problems import MEDIA_TYPE, STATUS_SLUGS, Problem, pick, problem_response
from shahrvand.api.services import ApiError
from shahrvand.core.identifiers import IdentifierError
from shahrvand.identity.ratelimit import RateLimited
from shahrvand.identity.services import OtpError

log = logging.getLogger(__name__)

VERSION = "1.0.0"
DESCRIPTION = """The municipality's JSON API, version 1. Citizens use a bearer token from `POST /auth/tokens`;
notary offices and banks use an API key (`Authorization: Bearer shvk_…` or `X-Api-Key`). Every error is
a problem document (RFC 9457, `application/problem+json`). See docs/api.md for the versioning policy."""


class ShahrvandAPI(NinjaAPI):
    """NinjaAPI whose every answer outside the operations is a problem too (405, unknown paths), and
    whose OpenAPI document says ``application/problem+json`` for the problem responses."""

    @property
    def urls(self) -> tuple[list[URLResolver | URLPattern], str, str]:
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = _problem_405(pattern.callback)
        patterns.append(re_path(r"^.*$", _unknown_path, name="unknown"))
        return patterns, app_name, namespace

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if str(status)[0] in "45" and "application/json" in content:
                        response["content"] = {MEDIA_TYPE: content["application/json"]}
        return schema


def _problem_405(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            response = view(request, *args, **kwargs)
        except Http404:  # ninja's root address (/api/v1/) has no page
            return _unknown_path(request)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(MEDIA_TYPE):
            problem = problem_response(
                request, Problem("method-not-allowed", _("This address does not accept this method."))
            )
            problem["Allow"] = response.get("Allow", "")
            return problem
        return response

    wrapped.csrf_exempt = True  # type: ignore[attr-defined]  # as ninja's own views
    return wrapped


def _unknown_path(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return problem_response(request, Problem("not-found", _("There is no such address in the API.")))


_unknown_path.csrf_exempt = True  # type: ignore[attr-defined]

api = ShahrvandAPI(
    title="Shahrvand API",
    version=VERSION,
    description=DESCRIPTION,
    urls_namespace="api-v1",
    docs_url=None,
)
api.add_router("/auth", auth_router)
api.add_router("", citizen_router)
api.add_router("/notary", notary)
api.add_router("/bank", bank)
api.add_router("", public)


# --------------------------------------------------------------------------------------------------
# Exceptions → problems
# --------------------------------------------------------------------------------------------------


@api.exception_handler(Problem)
def _problem(request: HttpRequest, exc: Problem) -> HttpResponse:
    return problem_response(request, exc)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem_response(
        request, Problem("unauthorized", _("Send a valid token or key: it is missing, expired or revoked."))
    )


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ())]
        errors.append(
            {
                "location": loc[0] if loc else "",
                # body: ("body", "<parameter>", field…) — the parameter's name is ours, not the client's
                "field": ".".join(loc[2:] if loc[:1] == ["body"] else loc[1:]),
                "code": str(error.get("type", "invalid")),
                "message": str(error.get("msg", "")),
            }
        )
    return problem_response(request, Problem("validation", _("Some fields are not valid."), errors=errors))


@api.exception_handler(IdentifierError)
def _identifier(request: HttpRequest, exc: IdentifierError) -> HttpResponse:
    message = pick(exc.message_en, exc.message_fa)
    errors = [{"location": "", "field": exc.field, "code": exc.code, "message": message}]
    return problem_response(request, Problem("validation", message, errors=errors))


@api.exception_handler(RateLimited)
def _rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    problem = Problem(
        "rate-limited", pick(exc.message_en, exc.message_fa), headers={"Retry-After": str(exc.retry_after)}
    )
    return problem_response(request, problem)


@api.exception_handler(OtpError)
def _otp(request: HttpRequest, exc: OtpError) -> HttpResponse:
    return problem_response(request, Problem("otp-invalid", pick(exc.message_en, exc.message_fa)))


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    slug = STATUS_SLUGS.get(exc.status, "bad-request")
    return problem_response(request, Problem(slug, pick(exc.message_en, exc.message_fa)))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(request, Problem("not-found"))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    slug = STATUS_SLUGS.get(exc.status_code, "bad-request")
    detail = _("The request body cannot be read as JSON.") if exc.status_code == 400 else ""
    return problem_response(request, Problem(slug, detail))


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("API error on %s %s", request.method, request.path)
    return problem_response(request, Problem("server-error", _("The error was recorded; please try again later.")))
