"""Tracking codes: format, check digit, Persian digits, uniqueness in the city."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shahrvand.cases import tracking
from shahrvand.cases.models import Case
from shahrvand.cases.selectors import case_for_requester
from shahrvand.cases.tracking import make_tracking_code, normalize_tracking_code, tracking_code_fa
from shahrvand.cases.workflows import DATA_CORRECTION
from shahrvand.core.text import to_persian_digits
from tests.cases.conftest import file_case

bodies = st.integers(0, 10**8 - 1)
companies = st.integers(0, 999).map(lambda n: f"{n:03d}")


def test_format():
    code = make_tracking_code("217", 40318265)
    assert re.fullmatch(r"217-40318265-\d", code)
    assert normalize_tracking_code(code) == code
    assert tracking_code_fa(code) == to_persian_digits(code)
    assert make_tracking_code("217", 7).startswith("217-00000007-")
    with pytest.raises(ValueError):
        make_tracking_code("21", 1)
    with pytest.raises(ValueError):
        make_tracking_code("217", 10**8)


@given(companies, bodies)
def test_accepted_back_with_any_digits_and_separators(company, body):
    code = make_tracking_code(company, body)
    assert normalize_tracking_code(to_persian_digits(code)) == code
    arabic = code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert normalize_tracking_code(arabic) == code
    digits = code.replace("-", "")
    assert normalize_tracking_code(digits) == code
    assert normalize_tracking_code(f" {digits[:3]} {digits[3:7]} {digits[7:11]} {digits[11:]} ") == code


@given(companies, bodies, st.data())
def test_any_single_digit_error_is_caught(company, body, data):
    code = make_tracking_code(company, body)
    digits = [c for c in code if c.isdigit()]
    i = data.draw(st.integers(0, len(digits) - 1))
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != digits[i]]))
    typo = "".join([*digits[:i], wrong, *digits[i + 1 :]])
    assert normalize_tracking_code(typo) is None


@given(companies, bodies, st.data())
def test_any_swap_of_adjacent_different_digits_is_caught(company, body, data):
    digits = [c for c in make_tracking_code(company, body) if c.isdigit()]
    i = data.draw(st.integers(0, len(digits) - 2))
    if digits[i] == digits[i + 1]:
        return
    swapped = [*digits]
    swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
    assert normalize_tracking_code("".join(swapped)) is None


@pytest.mark.parametrize("text", ["", "abc", "217-123", "217-12345678", "2171234567890", "217-12345678-9-1"])
def test_not_a_code(text):
    assert normalize_tracking_code(text) is None


@pytest.mark.django_db
def test_codes_are_unique_in_the_city_and_a_taken_one_is_drawn_again(registry, district1, citizen_user, monkeypatch):
    first = file_case(DATA_CORRECTION, registry, district1, citizen_user)
    assert first.tracking_code.startswith(f"{district1.city.company_code}-")
    taken = int(first.tracking_code.split("-")[1])
    draws = iter([taken, taken, 12345678])
    monkeypatch.setattr(tracking.secrets, "randbelow", lambda _: next(draws))
    second = file_case(DATA_CORRECTION, registry, district1, citizen_user)
    assert second.tracking_code == make_tracking_code("217", 12345678)
    assert Case.objects.count() == 2


@pytest.mark.django_db
def test_many_filings_get_distinct_valid_codes(registry, district1, citizen_user):
    codes = {file_case(DATA_CORRECTION, registry, district1, citizen_user).tracking_code for _ in range(25)}
    assert len(codes) == 25
    assert all(normalize_tracking_code(c) == c for c in codes)


@pytest.mark.django_db
def test_a_requester_finds_their_case_with_persian_digits_and_no_one_else_does(registry, district1, citizen_user):
    case = file_case(DATA_CORRECTION, registry, district1, citizen_user)
    assert case_for_requester(registry.owner, to_persian_digits(case.tracking_code)) == case
    assert case_for_requester(registry.owner, case.tracking_code.replace("-", " ")) == case
    assert case_for_requester(registry.heir, case.tracking_code) is None
    assert case_for_requester(registry.owner, "not a code") is None
