"""One error shape for the whole API: problem details (RFC 9457), ``application/problem+json``.

``{"type", "title", "status", "detail", "instance"}`` and, for invalid input, ``errors`` (one entry
per field: where, which field, a stable code and the message). Titles and details are Persian, or
English when the client sends ``Accept-Language: en``. ``type`` is ``urn:shahrvand:problem:<slug>``
(the slugs are listed in ``docs/api.md``); clients branch on ``type`` and ``status``, never on text.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Final

from django.http import HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)

MEDIA_TYPE: Final = "application/problem+json"
TYPE_PREFIX: Final = "urn:shahrvand:problem:"

#: slug → (status, title)
PROBLEMS: Final[dict[str, tuple[int, Promise]]] = {
    "bad-request": (400, _("The request is malformed")),
    "unauthorized": (401, _("Authentication is required")),
    "bad-credentials": (401, _("The code or the password is not right")),
    "account-not-active": (401, _("The account is not active")),
    "otp-required": (401, _("A one-time code is required")),
    "otp-invalid": (401, _("The one-time code was not accepted")),
    "forbidden": (403, _("Not allowed")),
    "not-found": (404, _("Not found")),
    "method-not-allowed": (405, _("Method not allowed")),
    "conflict": (409, _("The request conflicts with the record's state")),
    "validation": (422, _("The request is not valid")),
    "rate-limited": (429, _("Too many requests")),
    "server-error": (500, _("Something went wrong on our side")),
}
STATUS_SLUGS: Final = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
                       405: "method-not-allowed", 409: "conflict", 422: "validation", 429: "rate-limited",
                       500: "server-error"}  # fmt: skip


def english() -> bool:
    return (get_language() or "fa").startswith("en")


def pick(message_en: str, message_fa: str) -> str:
    return message_en if english() else message_fa


class Problem(Exception):
    """Raise to answer with a problem document; ``errors`` for invalid fields, ``headers`` extra."""

    def __init__(
        self,
        slug: str,
        detail: str = "",
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if slug not in PROBLEMS:
            raise ValueError(f"unknown problem {slug!r}")
        super().__init__(detail or slug)
        self.slug = slug
        self.status = PROBLEMS[slug][0]
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


def problem_body(request: HttpRequest, problem: Problem) -> dict[str, Any]:
    status, title = PROBLEMS[problem.slug]
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + problem.slug,
        "title": str(title),
        "status": status,
        "detail": problem.detail or str(title),
        "instance": request.path,
    }
    if problem.errors is not None:
        body["errors"] = problem.errors
    return body


def problem_response(request: HttpRequest, problem: Problem) -> HttpResponse:
    response = HttpResponse(
        json.dumps(problem_body(request, problem), ensure_ascii=False),
        status=problem.status,
        content_type=f"{MEDIA_TYPE}; charset=utf-8",
    )
    response["Content-Language"] = "en" if english() else "fa"
    response["Cache-Control"] = "no-store"
    for name, value in problem.headers.items():
        response[name] = value
    if problem.status == 401 and "WWW-Authenticate" not in problem.headers:
        response["WWW-Authenticate"] = 'Bearer realm="shahrvand"'
    return response
