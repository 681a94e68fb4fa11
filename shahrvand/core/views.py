from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from shahrvand.core.health import database_ok
from shahrvand.core.selectors import district_list


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"districts": district_list()})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    db = "ok" if database_ok() else "unavailable"
    healthy = db == "ok"
    return JsonResponse({"status": "ok" if healthy else "unavailable", "database": db}, status=200 if healthy else 503)
