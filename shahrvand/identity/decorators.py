"""Staff pass a second factor (TOTP) after their password before any staff page.

Who counts as staff: anyone with an active role grant (:func:`shahrvand.core.access.is_staff_member`)
and Django's own ``is_staff``/``is_superuser`` accounts (the admin site). A staff member signed in
with a password only is sent to enrol an authenticator app (first time) or to enter its code, and
comes back to the page they asked for. Citizens and anonymous visitors are not affected here.

Four ways to apply it, all with the same check:

- ``@staff_verified_required`` on a view function (after ``@login_required``, or alone: it sends
  anonymous visitors to the sign-in page itself);
- :class:`StaffVerifiedRequiredMixin` on a class-based view;
- ``include(staff_verified("shahrvand.registry.urls"))`` wraps every view of a URL module;
- :class:`StaffSecondFactorMiddleware` guards whole path prefixes (``SHAHRVAND_STAFF_2FA_PREFIXES``,
  default ``/staff/`` and ``/django-admin/``) as a safety net for pages that forget the decorator.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from importlib import import_module
from typing import Any, Final

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import URLPattern, URLResolver, reverse
from django.utils.http import urlencode
from django.views import View as DjangoView
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

from shahrvand.core.access import is_staff_member
from shahrvand.core.models import User
from shahrvand.identity.services import totp_has_device

View = Callable[..., HttpResponseBase]
DEFAULT_PREFIXES: Final = ("/staff/", "/django-admin/")


def needs_second_factor(user: object) -> bool:
    """True for signed-in staff: role grants, or Django's staff and superuser flags."""
    if not isinstance(user, User) or not user.is_authenticated or not user.is_active:
        return False
    return bool(user.is_staff or user.is_superuser or is_staff_member(user))


def is_verified(request: HttpRequest) -> bool:
    """Whether this session passed a second factor (with or without django-otp's middleware)."""
    user = request.user
    check = getattr(user, "is_verified", None)
    if callable(check):
        return bool(check())
    device_id = request.session.get(DEVICE_ID_SESSION_KEY)
    if not device_id:
        return False
    device = Device.from_persistent_id(device_id)
    return device is not None and device.user_id == user.pk and bool(device.confirmed)


def second_factor_redirect(request: HttpRequest) -> HttpResponseRedirect | None:
    """Where an unverified staff member must go first (enrol or verify), or ``None``."""
    user = request.user
    if not needs_second_factor(user) or is_verified(request):
        return None
    assert isinstance(user, User)
    target = "identity:totp_verify" if totp_has_device(user) else "identity:totp_setup"
    return HttpResponseRedirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")


def _gate(request: HttpRequest) -> HttpResponseBase | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return second_factor_redirect(request)


def staff_verified_required(view: View) -> View:
    """Anonymous → sign in; unverified staff → TOTP; everyone else → the view (which checks access)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        refused = _gate(request)
        return refused if refused is not None else view(request, *args, **kwargs)

    return wrapped


class StaffVerifiedRequiredMixin(DjangoView):
    """The decorator for class-based views: ``class MyView(StaffVerifiedRequiredMixin, TemplateView)``."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        refused = _gate(request)
        return refused if refused is not None else super().dispatch(request, *args, **kwargs)


def _wrap(patterns: Sequence[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    wrapped: list[URLPattern | URLResolver] = []
    for entry in patterns:
        if isinstance(entry, URLPattern):
            wrapped.append(
                URLPattern(entry.pattern, staff_verified_required(entry.callback), entry.default_args, entry.name)
            )
        else:
            wrapped.append(
                URLResolver(
                    entry.pattern,
                    _wrap(entry.url_patterns),
                    entry.default_kwargs,
                    entry.app_name,
                    entry.namespace,
                )
            )
    return wrapped


def staff_verified(urlconf: str) -> tuple[list[URLPattern | URLResolver], str]:
    """A URL module (with an ``app_name``) with every view behind :func:`staff_verified_required`.

    ``path("staff/registry/", include(staff_verified("shahrvand.registry.urls")))``.
    """
    module = import_module(urlconf)
    app_name = getattr(module, "app_name", None)
    if not app_name:
        raise ValueError(f"{urlconf} has no app_name")
    return _wrap(module.urlpatterns), str(app_name)


class StaffSecondFactorMiddleware:
    """Sends unverified staff to the second factor on every path under the guarded prefixes.

    Install after ``AuthenticationMiddleware`` (and django-otp's ``OTPMiddleware``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.prefixes = tuple(getattr(settings, "SHAHRVAND_STAFF_2FA_PREFIXES", DEFAULT_PREFIXES))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(self.prefixes) and request.user.is_authenticated:
            redirect = second_factor_redirect(request)
            if redirect is not None:
                return redirect
        return self.get_response(request)
