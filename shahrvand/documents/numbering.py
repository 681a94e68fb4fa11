"""Document numbers: ``<company code>-<Jalali year>-<serial>-<check>``, e.g. ``217-1405-000123-4``.

Unique per city (the company code names the city), readable aloud, and protected by a Damm check
digit (python-stdnum), which catches every single-digit error and every swap of adjacent digits.
Accepted back with Persian or Latin digits and any separators.
"""

from __future__ import annotations

import re

from stdnum import damm

from shahrvand.core.text import to_latin_digits

_NUMBER = re.compile(r"^(\d{3})\D*(\d{4})\D*(\d{6,})\D*(\d)$")


def format_number(company_code: str, year: int, serial: int) -> str:
    body = f"{company_code}{year:04d}{serial:06d}"
    return f"{company_code}-{year:04d}-{serial:06d}-{damm.calc_check_digit(body)}"


def normalize_number(text: str) -> str | None:
    """The canonical number, or None when the text is not a well-formed number with a valid check digit."""
    match = _NUMBER.match(to_latin_digits(text or "").strip())
    if not match:
        return None
    company, year, serial, check = match.groups()
    if not damm.is_valid(f"{company}{year}{serial}{check}"):
        return None
    return f"{company}-{year}-{serial}-{check}"
