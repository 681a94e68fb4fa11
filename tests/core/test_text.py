"""Tests for shahrvand.core.text (pure Python: no database, no Django). Rules: iran-domain.md §5.8."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shahrvand.core.text import (
    ZWNJ,
    normalize_letters,
    normalize_search,
    to_latin_digits,
    to_persian_digits,
)

PERSIAN = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"


def test_to_latin_digits() -> None:
    assert to_latin_digits(PERSIAN) == "0123456789"
    assert to_latin_digits(ARABIC_INDIC) == "0123456789"
    assert to_latin_digits("کد ۱-۲۵-١٥٦ abc 7") == "کد 1-25-156 abc 7"
    assert to_latin_digits("") == ""


def test_to_persian_digits() -> None:
    assert to_persian_digits("0123456789") == PERSIAN
    assert to_persian_digits(ARABIC_INDIC) == PERSIAN
    assert to_persian_digits("مبلغ 2,500,000 ریال") == "مبلغ ۲,۵۰۰,۰۰۰ ریال"
    assert to_persian_digits("") == ""


def test_normalize_letters_maps_arabic_letters_to_persian() -> None:
    assert normalize_letters("علي") == "علی"  # ي Arabic yeh
    assert normalize_letters("مصطفى") == "مصطفی"  # ى alef maksura
    assert normalize_letters("كرمان") == "کرمان"  # ك Arabic kaf
    assert normalize_letters("يك كتاب") == "یک کتاب"


def test_normalize_letters_digits_tatweel_whitespace_and_zwnj() -> None:
    # Arabic-Indic digits become Persian; ASCII digits are left alone
    assert normalize_letters("پلاک ١٢ و 12") == "پلاک ۱۲ و 12"
    # tatweel removed
    assert normalize_letters("بجنـــورد") == "بجنورد"
    # whitespace runs collapsed and trimmed (tab, newline, no-break space)
    assert normalize_letters("  خیابان \t\n امام\u00a0 رضا  ") == "خیابان امام رضا"
    # ZWNJ kept
    assert normalize_letters(f"کتاب{ZWNJ}ها") == f"کتاب{ZWNJ}ها"
    assert normalize_letters(f"مي{ZWNJ}روم") == f"می{ZWNJ}روم"


def test_normalize_search() -> None:
    assert normalize_search("  علي  رضا ") == "علی رضا"
    assert normalize_search("كد ۱۲٣ ABC") == "کد 123 abc"
    assert normalize_search("STRASSE Straße") == "strasse strasse"
    # diacritics, tatweel and bidi marks do not change the key
    assert normalize_search("مُحَمَّد") == "محمد"
    assert normalize_search("\u200fبجنـورد\u200e") == "بجنورد"
    # ZWNJ is kept: half-space and space spell different keys
    assert normalize_search(f"می{ZWNJ}روم") == f"می{ZWNJ}روم"
    assert normalize_search(f"می{ZWNJ}روم") != normalize_search("می روم")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("علي كريمي", "علی کریمی"),
        ("  بجنورد ", "بجنـورد"),
        ("پلاک ١٥", "پلاک 15"),
        ("پلاک ۱۵", "پلاک 15"),
        ("Bojnurd", "BOJNURD"),
    ],
)
def test_spellings_of_the_same_text_share_a_search_key(a: str, b: str) -> None:
    assert normalize_search(a) == normalize_search(b)


@given(st.text())
def test_digit_conversions_round_trip(s: str) -> None:
    latin = to_latin_digits(s)
    assert not any(c in latin for c in PERSIAN + ARABIC_INDIC)
    assert to_latin_digits(to_persian_digits(s)) == latin
    assert to_persian_digits(to_latin_digits(s)) == to_persian_digits(s)


@given(st.text())
def test_normalisation_is_idempotent(s: str) -> None:
    once = normalize_letters(s)
    assert normalize_letters(once) == once
    key = normalize_search(s)
    assert normalize_search(key) == key
    assert not any(c in key for c in "يىكـ" + PERSIAN + ARABIC_INDIC)
    assert key == key.strip()
    assert "  " not in key
