"""Citizen codes and activation codes: made at random, checked by a Damm digit, typed back in any digits."""

from __future__ import annotations

import pytest
from stdnum import damm

from shahrvand.citizens.codes import (
    CodeError,
    format_activation_code,
    format_citizen_code,
    new_activation_code,
    new_citizen_code,
    parse_activation_code,
    parse_citizen_code,
)
from shahrvand.core.text import to_persian_digits


def test_new_citizen_codes_are_nine_digits_with_a_valid_check_digit():
    codes = {new_citizen_code() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert len(code) == 9 and code.isdigit() and code[0] != "0"
        assert damm.is_valid(code)
        assert parse_citizen_code(code) == code


def test_citizen_code_is_accepted_in_persian_digits_and_with_separators():
    code = new_citizen_code()
    shown = format_citizen_code(code)
    assert shown == f"{code[:4]}-{code[4:8]}-{code[8]}"
    assert parse_citizen_code(to_persian_digits(shown)) == code
    assert parse_citizen_code(f" {code[:4]} {code[4:]} ") == code


@pytest.mark.parametrize(
    "typed,error",
    [("", "citizen_code.required"), ("12345678", "citizen_code.length"), ("12a456789", "citizen_code.digits")],
)
def test_malformed_citizen_codes_say_what_is_wrong(typed, error):
    with pytest.raises(CodeError) as caught:
        parse_citizen_code(typed)
    assert caught.value.code == error
    assert caught.value.message_fa


def test_every_single_digit_typo_and_neighbour_swap_is_caught():
    code = new_citizen_code()
    for position in range(9):
        for digit in "0123456789":
            if digit != code[position]:
                typo = code[:position] + digit + code[position + 1 :]
                with pytest.raises(CodeError):
                    parse_citizen_code(typo)
    for position in range(8):
        if code[position] != code[position + 1]:
            swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
            with pytest.raises(CodeError) as caught:
                parse_citizen_code(swapped)
            assert caught.value.code == "citizen_code.checksum"


def test_activation_codes_are_twelve_random_digits_in_groups_of_four():
    codes = {new_activation_code() for _ in range(200)}
    assert len(codes) == 200
    code = codes.pop()
    assert len(code) == 12 and code.isdigit()
    shown = format_activation_code(code)
    assert shown.count("-") == 2
    assert parse_activation_code(to_persian_digits(shown)) == code
    with pytest.raises(CodeError):
        parse_activation_code(code[:-1])
