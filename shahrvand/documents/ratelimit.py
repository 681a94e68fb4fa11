"""A small fixed-window rate limiter for the public endpoints, on Django's cache.

``@rate_limited("verify")`` allows each client ``SHAHRVAND_VERIFY_RATE`` requests per window to the
endpoints of that scope, then answers 429 with ``Retry-After`` until the window ends. The rate is
``"60/m"`` by default; ``"10/s"``, ``"600/h"`` or a plain number (per minute) work too, and ``0``
turns the limiter off.

The client is ``REMOTE_ADDR``. Behind a reverse proxy every request comes from the proxy, so set
``SHAHRVAND_TRUSTED_PROXY_COUNT`` to the number of proxies in front of the application: the client
is then the address that many places from the right of ``X-Forwarded-For`` (the one the outermost
trusted proxy saw). Without that setting the header is ignored: anyone can send it. IPv6 clients
are counted by their /64 network, which one subscriber usually holds whole.

The counter lives in the default cache. The embedded default (local memory) counts per process;
with several worker processes use a shared cache (Redis) so the limit holds across them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse

from shahrvand.core.http import client_ip

DEFAULT_RATE = "60/m"
_PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600}

View = Callable[..., HttpResponseBase]
TooMany = Callable[[HttpRequest, int], HttpResponse]


def parse_rate(rate: object) -> tuple[int, int]:
    """``"60/m"`` → (60, 60): requests allowed and window in seconds. ``0`` or ``None``: off."""
    if rate is None or rate == "" or rate == 0:
        return 0, 60
    if isinstance(rate, int):
        return max(rate, 0), 60
    count, _, period = str(rate).strip().partition("/")
    period = period.strip().lower() or "m"
    if not count.strip().isdigit() or period not in _PERIODS:
        raise ValueError(f"SHAHRVAND_VERIFY_RATE must look like '60/m', not {rate!r}")
    return int(count), _PERIODS[period]


def hit(scope: str, request: HttpRequest) -> int:
    """Count one request; 0 when allowed, else the seconds until the window ends."""
    limit, window = parse_rate(getattr(settings, "SHAHRVAND_VERIFY_RATE", DEFAULT_RATE))
    if limit <= 0:
        return 0
    now = time.time()
    slot = int(now // window)
    key = f"ratelimit:{scope}:{client_ip(request)}:{slot}"
    if cache.add(key, 1, timeout=window + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window + 1)
            count = 1
    if count <= limit:
        return 0
    return max(1, int((slot + 1) * window - now + 0.999))


def json_too_many(request: HttpRequest, retry_after: int) -> HttpResponse:
    return JsonResponse(
        {
            "error": "rate_limited",
            "message": f"Too many requests. Try again in {retry_after} seconds.",
            "message_fa": f"تعداد درخواست‌ها بیش از حد مجاز است. {retry_after} ثانیه دیگر دوباره تلاش کنید.",
            "retry_after": retry_after,
        },
        status=429,
        json_dumps_params={"ensure_ascii": False},
    )


def rate_limited(scope: str, *, too_many: TooMany = json_too_many) -> Callable[[View], View]:
    """Limit a view per client and ``scope``; ``too_many(request, retry_after)`` builds the 429."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            retry_after = hit(scope, request)
            if retry_after:
                response = too_many(request, retry_after)
                response.status_code = 429
                response["Retry-After"] = str(retry_after)
                response["Cache-Control"] = "no-store"
                return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
