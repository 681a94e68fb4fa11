"""Template filters of the counter and the portal: codes in their display form, areas, shares.

Load with ``{% load portal %}``. Digits follow the page's language (core's ``digits`` rules).
"""

from __future__ import annotations

import contextlib
import re
from decimal import Decimal, InvalidOperation

from django import template
from django.utils.safestring import SafeString

from shahrvand.citizens.codes import format_activation_code, format_citizen_code
from shahrvand.citizens.selectors import level_label
from shahrvand.citizens.selectors import masked as mask
from shahrvand.core.identifiers import IdentifierError, format_postal_code
from shahrvand.core.templatetags.persian import localize_digits, ltr

register = template.Library()


@register.filter
def citizen_code(value: object) -> SafeString:
    """``123456789`` → ``1234-5678-9`` in an LTR isolate."""
    return ltr(format_citizen_code(str(value or "")))


@register.filter
def activation_code(value: object) -> SafeString:
    return ltr(format_activation_code(str(value or "")))


@register.filter
def level(code: object) -> str:
    """What a renovation code names: land, building, apartment or shop."""
    return level_label(str(code or ""))


_PLAIN_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and not _PLAIN_DECIMAL.fullmatch(value):
        return None  # codes, dates, numbers with leading zeros: shown as they are
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@register.filter
def plain_number(value: object) -> str:
    """A decimal without trailing zeros, in the page's digits: ``150.870`` → ``۱۵۰٫۸۷``; other text as it is."""
    number = _decimal(value)
    if number is None or not number.is_finite():
        return localize_digits(value)
    text = format(number.normalize(), "f") if number != number.to_integral() else str(int(number))
    text = localize_digits(text)
    return text.replace(".", "٫") if text and text[0] in "۰۱۲۳۴۵۶۷۸۹-" else text


@register.filter
def tail(value: object, count: int = 4) -> str:
    """The last ``count`` characters (a mobile number's end), in the page's digits."""
    return localize_digits(str(value or "")[-int(count) :])


@register.filter
def masked(value: object) -> SafeString:
    """A national code partly hidden (``482***3511``), in an LTR isolate."""
    return ltr(mask(str(value or "")))


@register.filter
def postal(value: object) -> SafeString:
    """A postal code as ``XXXXX-XXXXX`` in an LTR isolate (as recorded when it does not parse)."""
    text = str(value or "")
    with contextlib.suppress(IdentifierError):
        text = format_postal_code(text)
    return ltr(text)
