"""The citizen code and the activation code: made here, parsed back here. Pure Python, no Django.

**Citizen code** (کد شهروندی) — 8 random digits (the first not 0) and a Damm check digit
(python-stdnum, as in document numbers), 9 digits in all: short enough to read out at a counter, random so that codes
are not enumerable, and the check digit catches every single-digit typo and every swap of two
neighbouring digits before the database is asked. It never changes once issued.

**Activation code** (کد فعال‌سازی) — 12 digits from :mod:`secrets`, shown in groups of four
(``4821-0937-5510``): printed once on the enrollment slip, stored only as a password hash, valid
for seven days, single use. Digits only, because a citizen types it on a phone with a Persian
keyboard.

Both parsers accept Persian and Arabic-Indic digits and any spaces or dashes between the digits.
"""

from __future__ import annotations

import re
import secrets
from typing import Final

from stdnum import damm

from shahrvand.core.text import to_latin_digits, to_persian_digits

CITIZEN_CODE_LENGTH: Final = 9
ACTIVATION_CODE_LENGTH: Final = 12
_SEPARATORS: Final = re.compile("[\\s\\-\u2010\u2011\u2013\u2014_.]+")
_ASCII_DIGITS: Final = re.compile(r"[0-9]+")


class CodeError(ValueError):
    """A code typed by a person is malformed. ``code`` is stable; messages never repeat the value."""

    def __init__(self, code: str, message_en: str, message_fa: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_en = message_en
        self.message_fa = message_fa


def _digits(value: object) -> str:
    if not isinstance(value, str):
        return ""
    return _SEPARATORS.sub("", to_latin_digits(value).strip())


# -- citizen code -----------------------------------------------------------------------------------


def new_citizen_code() -> str:
    """A fresh random citizen code: 8 digits (no leading zero) + the Damm check digit."""
    body = str(10_000_000 + secrets.randbelow(90_000_000))
    return body + damm.calc_check_digit(body)


def is_citizen_code(value: str) -> bool:
    """``True`` when ``value`` (any digit set, with separators) is a well-formed citizen code."""
    try:
        parse_citizen_code(value)
    except CodeError:
        return False
    return True


def parse_citizen_code(value: object) -> str:
    """The canonical 9 ASCII digits of a citizen code, or :class:`CodeError`."""
    s = _digits(value)
    if not s:
        raise CodeError("citizen_code.required", "Citizen code: enter the code.", "کد شهروندی را وارد کنید.")
    if not _ASCII_DIGITS.fullmatch(s):
        raise CodeError(
            "citizen_code.digits",
            "Citizen code: digits only.",
            "کد شهروندی فقط از رقم تشکیل شده است.",
        )
    if len(s) != CITIZEN_CODE_LENGTH:
        raise CodeError(
            "citizen_code.length",
            f"Citizen code: it has {CITIZEN_CODE_LENGTH} digits; you entered {len(s)}.",
            f"کد شهروندی {to_persian_digits(str(CITIZEN_CODE_LENGTH))} رقم دارد؛ "
            f"{to_persian_digits(str(len(s)))} رقم وارد شد.",
        )
    if not damm.is_valid(s):
        raise CodeError(
            "citizen_code.checksum",
            "Citizen code: a digit is wrong or two digits are swapped. Check it against your slip.",
            "کد شهروندی درست نیست: رقمی اشتباه یا جابه‌جا وارد شده است. آن را با برگه ثبت‌نام مقایسه کنید.",
        )
    return s


def format_citizen_code(code: str) -> str:
    """Display form: ``1234-5678-9`` (groups make it easy to read out and to compare)."""
    return f"{code[:4]}-{code[4:8]}-{code[8:]}" if len(code) == CITIZEN_CODE_LENGTH else code


# -- activation code --------------------------------------------------------------------------------


def new_activation_code() -> str:
    """12 random digits from :mod:`secrets` (about 40 bits; attempts are rate limited)."""
    return "".join(secrets.choice("0123456789") for _ in range(ACTIVATION_CODE_LENGTH))


def parse_activation_code(value: object) -> str:
    """The 12 ASCII digits of an activation code, or :class:`CodeError`."""
    s = _digits(value)
    if not s:
        raise CodeError(
            "activation_code.required",
            "Activation code: enter the code printed on your enrollment slip.",
            "کد فعال‌سازی چاپ‌شده روی برگه ثبت‌نام را وارد کنید.",
        )
    if not _ASCII_DIGITS.fullmatch(s) or len(s) != ACTIVATION_CODE_LENGTH:
        raise CodeError(
            "activation_code.format",
            f"Activation code: it has {ACTIVATION_CODE_LENGTH} digits, printed in groups of four on your slip.",
            f"کد فعال‌سازی {to_persian_digits(str(ACTIVATION_CODE_LENGTH))} رقم دارد که روی برگه ثبت‌نام "
            "در دسته‌های چهاررقمی چاپ شده است.",
        )
    return s


def format_activation_code(code: str) -> str:
    """Display form: ``4821-0937-5510``."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
