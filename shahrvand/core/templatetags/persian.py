"""Template filters for Persian-first pages: digits, numbers, money, Jalali dates, LTR isolates.

Loaded as a builtin (settings.TEMPLATES), so templates use them without ``{% load %}``.
Digits become Persian when the active language is Persian and stay Latin in English.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from shahrvand.core.jalali import format_jalali
from shahrvand.core.text import to_persian_digits

register = template.Library()


def _persian_active() -> bool:
    return (get_language() or "fa").startswith("fa")


def localize_digits(value: object) -> str:
    text = "" if value is None else str(value)
    return to_persian_digits(text) if _persian_active() else text


@register.filter
def digits(value: object) -> str:
    """Digits in the reader's script: ``1405`` → ``۱۴۰۵`` on Persian pages."""
    return localize_digits(value)


@register.filter
def num(value: Any) -> str:
    """A whole number grouped by thousands: ``۱۲٬۳۴۵٬۶۷۸`` (fa) or ``12,345,678`` (en)."""
    if value is None or value == "":
        return ""
    try:
        grouped = f"{int(value):,}"
    except (TypeError, ValueError):
        return localize_digits(value)
    if _persian_active():
        return to_persian_digits(grouped.replace(",", "٬"))
    return grouped


@register.filter
def rials(value: Any) -> str:
    """Money in Rials with its unit."""
    unit = "ریال" if _persian_active() else "Rials"
    return f"{num(value)} {unit}"


@register.filter
def jdate(value: dt.date | dt.datetime | None, fmt: str = "%Y/%m/%d") -> str:
    """A Jalali date (Asia/Tehran for datetimes): ``{{ when|jdate:"%d %B %Y" }}``."""
    if value is None or value == "":
        return ""
    locale = "fa_IR" if _persian_active() else "en_US"
    return localize_digits(format_jalali(value, fmt, locale=locale))


@register.filter
def jdatetime(value: dt.datetime | None, fmt: str = "%Y/%m/%d %H:%M") -> str:
    return jdate(value, fmt)


@register.filter
def ltr(value: object) -> SafeString:
    """Wrap an identifier in an LTR isolate so its parts keep their order inside RTL text.

    Digits follow the language, except in identifiers that contain Latin letters (a bank's reference
    ``SBX1ACE…``, a licence ``L-36898``): those are copied as printed, so they keep Latin digits."""
    text = str(value)
    shown = text if _LATIN_LETTER.search(text) else localize_digits(value)
    return format_html('<bdi dir="ltr" class="ltr">{}</bdi>', shown)


_LATIN_LETTER = re.compile("[A-Za-z]")
_ISOLATE = re.compile("\u2066([^\u2066\u2069]*)\u2069")


@register.filter
def isolated(value: object) -> SafeString:
    """Text whose identifiers were marked with Unicode isolates (U+2066 … U+2069, see
    ``documents.types.ltr_isolate``): each becomes an LTR ``<bdi>``, which browsers *and* WeasyPrint
    honour (WeasyPrint ignores the isolate characters themselves). Escaped; digits localised."""
    text = "" if value is None else str(value)
    parts = _ISOLATE.split(text)
    out = []
    for index, part in enumerate(parts):
        if index % 2:
            out.append(format_html('<bdi dir="ltr" class="ltr">{}</bdi>', localize_digits(part)))
        else:
            out.append(escape(localize_digits(part)))
    return mark_safe("".join(out))  # noqa: S308 - every part was escaped or built by format_html
