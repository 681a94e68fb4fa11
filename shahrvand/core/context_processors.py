from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language_bidi

from shahrvand.core.access import is_staff_member


def site(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    return {
        "site_name": settings.SHAHRVAND_SITE_NAME,
        "text_direction": "rtl" if get_language_bidi() else "ltr",
        "is_staff_member": is_staff_member(user) if user is not None and user.is_authenticated else False,
    }
