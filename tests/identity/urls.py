"""The project's addresses with the identity and SMS pages, the sign-in page swapped for the
rate-limited one, and the registry behind the staff second factor (as the lead will wire them)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from shahrvand.identity.decorators import staff_verified
from shahrvand.identity.views import RateLimitedLoginView
from shahrvand.urls import urlpatterns as project_urlpatterns

_MINE = {"shahrvand.identity.urls", "shahrvand.sms.urls"}

urlpatterns: list[URLPattern | URLResolver] = [
    path("login/", RateLimitedLoginView.as_view()),
    path("", include("shahrvand.identity.urls")),
    path("", include("shahrvand.sms.urls")),
    # The registry with the decorator on every view, mounted where the middleware does not look.
    path("decorated/registry/", include(staff_verified("shahrvand.registry.urls"), namespace="decorated_registry")),
]
urlpatterns += [p for p in project_urlpatterns if str(getattr(p, "urlconf_name", "")) not in _MINE]
