"""Persian text normalisation: pure functions, no Django.

Rules (reference: iran-domain.md §5.8):

* Arabic ``ي`` (U+064A) and ``ى`` (U+0649) become Persian ``ی`` (U+06CC); Arabic ``ك`` (U+0643) becomes
  Persian ``ک`` (U+06A9). Users type with Arabic keyboard layouts and old systems stored Arabic letters, so
  the same name arrives spelt two ways.
* Persian ``۰–۹`` (U+06F0–U+06F9) and Arabic-Indic ``٠–٩`` (U+0660–U+0669) digits become ASCII ``0–9`` for
  storage and matching; the UI shows Persian digits (:func:`to_persian_digits`).
* The zero-width non-joiner (ZWNJ, U+200C, «نیم‌فاصله») is part of Persian spelling and is kept.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "ARABIC_INDIC_DIGITS",
    "PERSIAN_DIGITS",
    "ZWNJ",
    "normalize_letters",
    "normalize_search",
    "spreadsheet_safe",
    "to_latin_digits",
    "to_persian_digits",
]

PERSIAN_DIGITS: Final = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_INDIC_DIGITS: Final = "٠١٢٣٤٥٦٧٨٩"
LATIN_DIGITS: Final = "0123456789"

ZWNJ: Final = "\u200c"
TATWEEL: Final = "\u0640"

_TO_LATIN: Final = str.maketrans(PERSIAN_DIGITS + ARABIC_INDIC_DIGITS, LATIN_DIGITS * 2)
_TO_PERSIAN: Final = str.maketrans(LATIN_DIGITS + ARABIC_INDIC_DIGITS, PERSIAN_DIGITS * 2)

_LETTERS: Final = str.maketrans(
    {
        "\u064a": "\u06cc",  # ي Arabic yeh → ی Persian yeh
        "\u0649": "\u06cc",  # ى Arabic alef maksura → ی
        "\u0643": "\u06a9",  # ك Arabic kaf → ک Persian keheh
        TATWEEL: None,  # ـ kashida is decoration only
        **dict(zip(ARABIC_INDIC_DIGITS, PERSIAN_DIGITS, strict=True)),
    }
)

# Characters that change nothing a reader sees but break equality of search keys: Arabic diacritics
# (harakat U+064B–U+065F, superscript alef U+0670), bidi marks and embeddings, and the BOM.
_SEARCH_DROP: Final = re.compile("[\u064b-\u065f\u0670\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")

_WHITESPACE: Final = re.compile(r"\s+")


def to_latin_digits(s: str) -> str:
    """Return ``s`` with Persian (۰–۹) and Arabic-Indic (٠–٩) digits replaced by ASCII 0–9.

    Every other character is left as it is.
    """
    return s.translate(_TO_LATIN)


def to_persian_digits(s: str) -> str:
    """Return ``s`` with ASCII 0–9 and Arabic-Indic (٠–٩) digits replaced by Persian ۰–۹ (for display)."""
    return s.translate(_TO_PERSIAN)


def normalize_letters(s: str) -> str:
    """Normalise Persian text for storage and display.

    * Arabic ``ي``/``ى`` → ``ی`` and ``ك`` → ``ک``;
    * Arabic-Indic digits → Persian digits (ASCII digits are left alone);
    * tatweel ``ـ`` removed;
    * every run of whitespace becomes one space, and leading/trailing whitespace is removed;
    * ZWNJ (U+200C) is kept: it is not whitespace.
    """
    return _WHITESPACE.sub(" ", s.translate(_LETTERS)).strip()


def normalize_search(s: str) -> str:
    """Return a key for search and matching.

    :func:`normalize_letters`, then ASCII digits, then ``str.casefold`` (for Latin text), after dropping
    characters that are invisible or decorative (Arabic diacritics, bidi marks, BOM). ZWNJ is kept, so
    «می‌روم» and «می روم» remain different keys.
    """
    return to_latin_digits(normalize_letters(_SEARCH_DROP.sub("", s))).casefold()


_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """A CSV cell that spreadsheet programs will not run as a formula (a leading ``'`` when it could)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
