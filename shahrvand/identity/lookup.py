"""Which account does a national code or a citizen code name? (For password reset by SMS.)

The citizens package is imported lazily: without it (or without a citizen for the identifier, an
activated account, or a usable registered mobile) the answer is ``None``, and the pages that ask
never say which of these it was. An account not yet activated is not reset: it is activated with the
codes of its enrollment slip.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps

from shahrvand.core.identifiers import IdentifierError, parse_mobile, parse_national_code
from shahrvand.core.models import District, User
from shahrvand.core.text import to_latin_digits


@dataclass(frozen=True)
class Account:
    user: User
    mobile: str  # +989…
    district: District | None


def user_for_identifier(text: str) -> Account | None:
    """The account with this national code or citizen code and a registered mobile, else ``None``."""
    value = to_latin_digits(text or "").strip().replace(" ", "").replace("-", "")
    if not value or len(value) > 32 or not apps.is_installed("shahrvand.citizens"):
        return None
    app_label = "citizens"  # not a literal: the app may be absent, and the type checker must not insist
    citizen_model: Any = apps.get_model(app_label, "Citizen")
    citizens = citizen_model.objects.select_related("user", "person", "district")
    # A citizen code first (nine digits), then a national code (ten; shorter ones are zero-padded).
    citizen = citizens.filter(citizen_code__iexact=value).first()
    if citizen is None:
        try:
            citizen = citizens.filter(person__national_code=parse_national_code(value)).first()
        except IdentifierError:
            return None
    if citizen is None:
        return None
    user = citizen.user
    if not isinstance(user, User) or not user.is_active or not user.has_usable_password():
        return None  # an account not yet activated is activated with its slip, not reset
    if hasattr(citizen, "activated_at") and citizen.activated_at is None:
        return None
    try:
        mobile = parse_mobile(getattr(citizen, "mobile", "") or citizen.person.mobile or "")
    except IdentifierError:
        return None
    return Account(user=user, mobile=mobile, district=getattr(citizen, "district", None))
