"""Tracking codes (کد رهگیری): ``<company code>-<8 digits>-<check>``, e.g. ``217-40318265-7``.

Unique in the city (the company code names the city; the database keeps every code unique), short
enough to read over the phone, random so that codes say nothing about how many requests there are,
and protected by a Damm check digit (python-stdnum) that catches every single-digit error and every
swap of adjacent digits. Shown with Persian digits, accepted back with Persian, Arabic-Indic or
Latin digits and any separators.
"""

from __future__ import annotations

import re
import secrets
from typing import Final

from stdnum import damm

from shahrvand.core.text import to_latin_digits, to_persian_digits

BODY_DIGITS: Final = 8
_NOT_DIGITS: Final = re.compile(r"[^0-9]+")  # not \D: \d also matches other scripts' digits
_COMPANY: Final = re.compile(r"^\d{3}$")


def make_tracking_code(company_code: str, body: int) -> str:
    if not _COMPANY.match(company_code) or not 0 <= body < 10**BODY_DIGITS:
        raise ValueError("a tracking code needs a 3-digit company code and an 8-digit body")
    digits = f"{company_code}{body:08d}"
    return f"{company_code}-{body:08d}-{damm.calc_check_digit(digits)}"


def new_tracking_code(company_code: str) -> str:
    """A random code for the city; the caller retries when the database says it is taken."""
    return make_tracking_code(company_code, secrets.randbelow(10**BODY_DIGITS))


def normalize_tracking_code(text: str) -> str | None:
    """The canonical code, or None when ``text`` is not a code with a valid check digit."""
    digits = _NOT_DIGITS.sub("", to_latin_digits(text or "")[:60])
    if len(digits) != 3 + BODY_DIGITS + 1 or not damm.is_valid(digits):
        return None
    return f"{digits[:3]}-{digits[3:-1]}-{digits[-1]}"


def tracking_code_fa(code: str) -> str:
    """The code as printed on Persian pages and in SMS."""
    return to_persian_digits(code)
