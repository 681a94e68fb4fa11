"""A staff member holding a temporary password replaces it before any staff page opens.

Installed after :class:`shahrvand.identity.decorators.StaffSecondFactorMiddleware`, so the order at
a first sign-in is: password → enrol the authenticator app (identity's pages) → choose a password
(``staff_accounts:password_change``) → the page asked for. It guards the same path prefixes as the
second factor (``SHAHRVAND_STAFF_2FA_PREFIXES``) and costs one indexed query on those paths only.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from shahrvand.identity.decorators import DEFAULT_PREFIXES
from shahrvand.staffaccounts.models import StaffProfile


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.prefixes = tuple(getattr(settings, "SHAHRVAND_STAFF_2FA_PREFIXES", DEFAULT_PREFIXES))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and request.path.startswith(self.prefixes)
            and StaffProfile.objects.filter(user_id=user.pk, must_change_password=True).exists()
        ):
            target = reverse("staff_accounts:password_change")
            if request.path != target:
                return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
