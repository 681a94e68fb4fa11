"""Tests for shahrvand.core.identifiers (pure Python: no database, no Django).

Section numbers ([5.1] …) refer to /work/shared/reference/iran-domain.md, which names the published
source of every vector; "spec" is the Identifiers section of /work/shared/spec/domain.md.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from shahrvand.core.identifiers import (
    IdentifierError,
    RenovationCode,
    amount_from_payment_id,
    bill_check_digit,
    format_mobile_local,
    format_postal_code,
    is_valid_legal_id,
    is_valid_national_code,
    is_valid_sheba,
    legal_id_check_digit,
    make_barcode,
    make_bill_id,
    make_payment_id,
    make_sheba,
    mask_national_code,
    national_code_check_digit,
    parse_barcode,
    parse_legal_id,
    parse_mobile,
    parse_national_code,
    parse_postal_code,
    parse_sheba,
    validate_bill_id,
    validate_payment_id,
)
from shahrvand.core.text import to_persian_digits

# --------------------------------------------------------------------------------------------------
# Independent re-statements of the published rules, used by the property tests to predict exactly
# which changed digits a check digit can and cannot catch.
# --------------------------------------------------------------------------------------------------


def national_remainder(first9: str) -> int:
    """[5.1] r = Σ d[i]·(10 − i) mod 11."""
    return sum(int(d) * (10 - i) for i, d in enumerate(first9)) % 11


def legal_remainder(first10: str) -> int:
    """[5.2] r = Σ (d[i] + d[9] + 2)·(29, 27, 23, 19, 17)[i mod 5] mod 11."""
    k = int(first10[9]) + 2
    return sum((int(d) + k) * (29, 27, 23, 19, 17)[i % 5] for i, d in enumerate(first10)) % 11


def mod11_remainder(digits: str) -> int:
    """[5.3] r = Σ d·w mod 11, weights 2..7 cycling from the rightmost digit."""
    return sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(digits))) % 11


def replace_digit(s: str, index: int, digit: str) -> str:
    return s[:index] + digit + s[index + 1 :]


def raises(func: object, *args: object) -> IdentifierError:
    """Call ``func(*args)``, assert it raises IdentifierError, and return the error."""
    assert callable(func)
    with pytest.raises(IdentifierError) as info:
        func(*args)
    return info.value


digits_st = st.text(alphabet="0123456789", min_size=1, max_size=1)


# --------------------------------------------------------------------------------------------------
# IdentifierError
# --------------------------------------------------------------------------------------------------


def test_identifier_error_is_a_value_error_whose_str_is_the_english_message() -> None:
    # Given a code that fails its checksum, when it is parsed
    error = raises(parse_national_code, "1234567890")
    # then the error carries a field, a stable code and messages in both languages
    assert isinstance(error, ValueError)
    assert error.field == "national_code"
    assert error.code == "national_code.checksum"
    assert str(error) == error.message_en
    assert error.message_en == (
        "National code: the check digit does not match (rule: Σd[i]·(10−i) mod 11 for i = 0..8; r < 2 → r, else 11 − r)"
    )
    assert error.message_fa.startswith("کد ملی: رقم کنترل (رقم آخر) درست نیست (قاعده: ")
    assert "۱۱" in error.message_fa


def test_error_messages_never_contain_the_value() -> None:
    # National codes and account numbers are personal data; messages go to logs.
    assert "1234567890" not in raises(parse_national_code, "1234567890").message_en
    bad_sheba = "IR062960000000100324200002"
    error = raises(parse_sheba, bad_sheba)
    assert bad_sheba[2:] not in error.message_en
    assert bad_sheba[2:] not in error.message_fa


@pytest.mark.parametrize(
    ("func", "value", "code", "label_en", "label_fa"),
    [
        (parse_national_code, "12", "national_code.length", "National code: ", "کد ملی: "),
        (parse_national_code, "00762296x5", "national_code.digits", "National code: ", "کد ملی: "),
        (parse_national_code, "   ", "national_code.required", "National code: ", "کد ملی: "),
        (parse_legal_id, "1038028479", "legal_id.length", "Legal entity national ID: ", "شناسه ملی شخص حقوقی: "),
        (parse_legal_id, "10380284792", "legal_id.checksum", "Legal entity national ID: ", "شناسه ملی شخص حقوقی: "),
        (RenovationCode.parse, "1-25-156", "renovation_code.parts", "Renovation code: ", "کد نوسازی: "),
        (parse_postal_code, "123", "postal_code.length", "Postal code: ", "کد پستی: "),
        (parse_mobile, "0212345678", "mobile.format", "Mobile number: ", "شماره تلفن همراه: "),
        (parse_sheba, "IR06296", "sheba.length", "SHEBA number: ", "شماره شبا: "),
        (validate_bill_id, "7748317800143", "bill_id.checksum", "Bill ID: ", "شناسه قبض: "),
        (parse_barcode, "123", "barcode.length", "Bill barcode: ", "بارکد قبض: "),
    ],
)
def test_every_error_names_its_field_in_both_languages(
    func: object, value: str, code: str, label_en: str, label_fa: str
) -> None:
    error = raises(func, value)
    assert error.code == code
    assert error.field == code.split(".")[0]
    assert error.message_en.startswith(label_en)
    assert error.message_fa.startswith(label_fa)


def test_non_text_input_is_an_identifier_error_not_a_type_error() -> None:
    error = raises(parse_national_code, 76229645)
    assert error.code == "national_code.type"
    assert is_valid_national_code(None) is False  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------
# National code [5.1]
# --------------------------------------------------------------------------------------------------

# spec + [5.1] (py-persian-tools tests/test_national_id.py)
NATIONAL_VALID = ["0076229645", "1583250689", "0499370899"]
# [5.1] and py-persian-tools tests/test_national_id.py
NATIONAL_VALID_MORE = [
    "0790419904",
    "0084575948",
    "0963695398",
    "0684159414",
    "0067749828",
    "0650451252",
    "4032152314",
]
# spec: 1111111111 (repeated digit), 1234567890 (checksum); py-persian-tools: 4271427685, 0684159415
NATIONAL_INVALID = ["1111111111", "1234567890", "4271427685", "0684159415"]


@pytest.mark.parametrize("code", NATIONAL_VALID + NATIONAL_VALID_MORE)
def test_published_national_codes_are_valid(code: str) -> None:
    assert parse_national_code(code) == code
    assert is_valid_national_code(code) is True
    assert national_code_check_digit(code[:9]) == int(code[9])


@pytest.mark.parametrize("code", NATIONAL_INVALID)
def test_published_invalid_national_codes_are_rejected(code: str) -> None:
    assert is_valid_national_code(code) is False


def test_national_code_error_codes() -> None:
    assert raises(parse_national_code, "1111111111").code == "national_code.repeated"
    assert raises(parse_national_code, "1234567890").code == "national_code.checksum"
    assert raises(parse_national_code, "1234567").code == "national_code.length"
    assert raises(parse_national_code, "00762296450").code == "national_code.length"
    assert raises(parse_national_code, "0076-229645").code == "national_code.digits"


def test_short_national_codes_are_padded_with_leading_zeros() -> None:
    # [5.1]: 11537027 → 0011537027; py-persian-tools: 068415941 → 0068415941
    assert parse_national_code("11537027") == "0011537027"
    assert parse_national_code("068415941") == "0068415941"


def test_national_code_accepts_persian_and_arabic_indic_digits_and_whitespace() -> None:
    assert parse_national_code(" ۰۰۷۶۲۲۹۶۴۵\n") == "0076229645"
    assert parse_national_code("\t١٥٨٣٢٥٠٦٨٩ ") == "1583250689"
    assert parse_national_code("۰۴۹۹370899") == "0499370899"  # mixed scripts


@pytest.mark.parametrize("digit", "0123456789")
def test_every_repeated_digit_code_passes_the_raw_checksum_but_is_rejected(digit: str) -> None:
    # s = d·54 ≡ −d (mod 11), so the check digit is always d itself: the checksum cannot catch these.
    code = digit * 10
    assert national_code_check_digit(code[:9]) == int(digit)
    assert raises(parse_national_code, code).code == "national_code.repeated"


def test_national_code_check_digit_rule() -> None:
    # 007622964 → s = 0·10 + 0·9 + 7·8 + 6·7 + 2·6 + 2·5 + 9·4 + 6·3 + 4·2 = 182, r = 6, check = 5
    assert national_code_check_digit("007622964") == 5
    assert raises(national_code_check_digit, "12345678").code == "national_code.length"


def test_mask_national_code() -> None:
    assert mask_national_code("0076229645") == "007***9645"
    assert mask_national_code("۱۵۸۳۲۵۰۶۸۹") == "158***0689"
    assert mask_national_code("11537027") == "001***7027"
    assert raises(mask_national_code, "12345").code == "national_code.length"


def test_a_substitution_the_national_code_cannot_catch() -> None:
    # r = 1 and r = 10 both give check digit 1, so this 0 → 2 change goes unnoticed.
    assert national_remainder("001000002") == 1
    assert national_remainder("201000002") == 10
    assert is_valid_national_code("0010000021")
    assert is_valid_national_code("2010000021")


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_generated_national_codes_validate(first9: str) -> None:
    # Given 9 random digits and their computed check digit
    code = first9 + str(national_code_check_digit(first9))
    assume(len(set(code)) > 1)
    # then the code validates
    assert parse_national_code(code) == code


@given(
    st.text(alphabet="0123456789", min_size=9, max_size=9),
    st.integers(min_value=0, max_value=9),
    digits_st,
)
def test_national_code_catches_exactly_the_substitutions_the_algorithm_promises(
    first9: str, index: int, digit: str
) -> None:
    # Given a valid code and one digit changed
    code = first9 + str(national_code_check_digit(first9))
    assume(len(set(code)) > 1 and code[index] != digit)
    changed = replace_digit(code, index, digit)
    # then the change goes unnoticed only when it is in the first 9 digits and moves the remainder
    # between 1 and 10 (both map to check digit 1); every other substitution is caught, because 11 is
    # prime and no weight 2..10 or digit difference 1..9 is a multiple of it.
    undetectable = index != 9 and {national_remainder(code[:9]), national_remainder(changed[:9])} == {1, 10}
    assert is_valid_national_code(changed) is (undetectable and len(set(changed)) > 1)


# --------------------------------------------------------------------------------------------------
# Legal entity national ID [5.2]
# --------------------------------------------------------------------------------------------------

# [5.2]: 10380284790 (registered), 14007650912.
# py-persian-tools tests/test_legal_id.py: "valid and registered" 10380284790, 10100387143, then "all valid".
LEGAL_VALID = [
    "10380284790",
    "14007650912",
    "10100387143",
    "77111986110",
    "18061055669",
    "15292247120",
    "42118547230",
    "27388385445",
    "55828465992",
    "32882926778",
    "97006806007",
    "21272129339",
    "18706641333",
]
# py-persian-tools tests/test_legal_id.py: "all invalid"
LEGAL_INVALID = [
    "84735069516",
    "65399567978",
    "99969101031",
    "15826563190",
    "11053639140",
    "18090089802",
    "11111111111",
    "10380284792",
    "10380285692",
    "123001000",
    "097482083013",
    "0974820830a",
]


@pytest.mark.parametrize("legal_id", LEGAL_VALID)
def test_published_legal_ids_are_valid(legal_id: str) -> None:
    assert parse_legal_id(legal_id) == legal_id
    assert legal_id_check_digit(legal_id[:10]) == int(legal_id[10])


@pytest.mark.parametrize("legal_id", LEGAL_INVALID)
def test_published_invalid_legal_ids_are_rejected(legal_id: str) -> None:
    assert is_valid_legal_id(legal_id) is False


def test_legal_ids_suggested_in_the_brief_fail_the_published_algorithm() -> None:
    # 10100005406 and 14003906378 were offered as examples; the algorithm gives check digits 0 and 6.
    assert legal_id_check_digit("1010000540") == 0
    assert legal_id_check_digit("1400390637") == 6
    assert raises(parse_legal_id, "10100005406").code == "legal_id.checksum"
    assert raises(parse_legal_id, "14003906378").code == "legal_id.checksum"


def test_legal_id_rules() -> None:
    # 1038028479: k = 9 + 2 = 11; Σ (d + 11)·w = 1012 ≡ 0 (mod 11) → check 0
    assert legal_id_check_digit("1038028479") == 0
    assert raises(parse_legal_id, "10300000001").code == "legal_id.middle_zeros"
    assert raises(parse_legal_id, "1038028479").code == "legal_id.length"
    assert parse_legal_id(" ۱۰۳۸۰۲۸۴۷۹۰ ") == "10380284790"


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_generated_legal_ids_validate(first10: str) -> None:
    assume(first10[3:9] != "000000")
    legal_id = first10 + str(legal_id_check_digit(first10))
    assert parse_legal_id(legal_id) == legal_id


@given(
    st.text(alphabet="0123456789", min_size=10, max_size=10),
    st.integers(min_value=0, max_value=10),
    digits_st,
)
def test_legal_id_catches_exactly_the_substitutions_the_algorithm_promises(
    first10: str, index: int, digit: str
) -> None:
    legal_id = first10 + str(legal_id_check_digit(first10))
    assume(legal_id[index] != digit)
    changed = replace_digit(legal_id, index, digit)
    assume(changed[3:9] != "000000" and legal_id[3:9] != "000000")
    # Weights 29, 27, 23, 19, 17 are 7, 5, 1, 8, 6 mod 11 and changing d[9] shifts the sum by 247·δ ≡ 5δ,
    # so the remainder always changes; only remainders 0 and 10 share a check digit (0).
    undetectable = index != 10 and {legal_remainder(legal_id[:10]), legal_remainder(changed[:10])} == {0, 10}
    assert is_valid_legal_id(changed) is undetectable


# --------------------------------------------------------------------------------------------------
# Renovation code [1.1]
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "level"),
    [
        # spec / [1.1] examples
        ("1-25-156-15-0-0-0", "parcel"),
        ("1-25-156-15-1-0-0", "building"),
        ("1-25-156-15-1-7-0", "apartment"),
        ("1-25-156-15-1-0-3", "shop"),
    ],
)
def test_spec_renovation_codes(text: str, level: str) -> None:
    code = RenovationCode.parse(text)
    assert str(code) == text
    assert code.level == level


def test_renovation_code_parts_and_tree() -> None:
    apartment = RenovationCode.parse("1-25-156-15-1-7-0")
    building = RenovationCode(1, 25, 156, 15, 1)
    parcel = RenovationCode(1, 25, 156, 15)
    assert apartment.parts == (1, 25, 156, 15, 1, 7, 0)
    assert (apartment.district, apartment.zone, apartment.block, apartment.parcel) == (1, 25, 156, 15)
    assert (apartment.building, apartment.apartment, apartment.shop) == (1, 7, 0)
    assert apartment.parent == building
    assert building.parent == parcel
    assert parcel.parent is None
    assert RenovationCode.parse("1-25-156-15-1-0-3").parent == building
    assert apartment.parcel_code == parcel
    assert apartment.building_code == building
    assert building.building_code == building
    assert parcel.building_code is None
    assert parcel.parcel_code == parcel
    assert parcel.is_ancestor_of(apartment)
    assert building.is_ancestor_of(apartment)
    assert not apartment.is_ancestor_of(apartment)
    assert not apartment.is_ancestor_of(building)
    assert not RenovationCode(1, 25, 156, 16).is_ancestor_of(apartment)
    assert not RenovationCode(1, 25, 156, 15, 2).is_ancestor_of(apartment)


def test_renovation_code_parsing_is_lenient_about_separators_and_digits() -> None:
    expected = RenovationCode(1, 25, 156, 15, 1, 7, 0)
    assert RenovationCode.parse("۱-۲۵-۱۵۶-۱۵-۱-۷-۰") == expected
    assert RenovationCode.parse(" 1/25/156/15/1/7/0 ") == expected
    assert RenovationCode.parse("1 - 25 . 156 _ 15 — 1 ، 7 -- 0") == expected
    assert RenovationCode.parse("01-025-0156-15-1-7-0") == expected
    assert RenovationCode.parse("کد: ١-٢٥-١٥٦-١٥-١-٧-٠") == expected


def test_renovation_codes_sort_part_by_part() -> None:
    texts = ["1-25-156-15-1-0-3", "1-3-9-9-0-0-0", "1-25-156-15-0-0-0", "2-1-1-1-0-0-0"]
    codes = [RenovationCode.parse(s) for s in texts]
    assert [str(c) for c in sorted(codes)] == [
        "1-3-9-9-0-0-0",
        "1-25-156-15-0-0-0",
        "1-25-156-15-1-0-3",
        "2-1-1-1-0-0-0",
    ]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("1-25-156-15-0-0", "renovation_code.parts"),
        ("1-25-156-15-0-0-0-0", "renovation_code.parts"),
        ("", "renovation_code.required"),
        ("0-25-156-15-0-0-0", "renovation_code.parcel_part_zero"),
        ("1-0-156-15-0-0-0", "renovation_code.parcel_part_zero"),
        ("1-25-0-15-0-0-0", "renovation_code.parcel_part_zero"),
        ("1-25-156-0-0-0-0", "renovation_code.parcel_part_zero"),
        ("1-25-156-15-0-7-0", "renovation_code.no_building"),
        ("1-25-156-15-0-0-3", "renovation_code.no_building"),
        ("1-25-156-15-1-7-3", "renovation_code.apartment_and_shop"),
        ("1-25-156-1234567890-0-0-0", "renovation_code.too_large"),
    ],
)
def test_renovation_code_rules(text: str, code: str) -> None:
    assert raises(RenovationCode.parse, text).code == code


def test_renovation_code_part_count_message() -> None:
    error = raises(RenovationCode.parse, "1-25-156")
    assert error.code == "renovation_code.parts"
    assert "must have 7 parts" in error.message_en
    assert error.message_en.endswith("got 3")
    assert "باید ۷ بخش داشته باشد" in error.message_fa
    assert "منطقه-حوزه-بلوک-ملک-ساختمان-آپارتمان-صنفی" in error.message_fa


def test_renovation_code_messages_name_the_part() -> None:
    error = raises(RenovationCode.parse, "1-0-156-15-0-0-0")
    assert error.message_en == (
        "Renovation code: the zone part must be at least 1 "
        "(rule: district, zone, block and parcel together name the parcel)"
    )
    assert "«حوزه»" in error.message_fa


def test_renovation_code_constructor_validates_too() -> None:
    assert raises(RenovationCode, 1, 25, 156, 15, -1).code == "renovation_code.negative"
    assert raises(RenovationCode, 1, 25, 156, 15, 0, 7).code == "renovation_code.no_building"
    assert raises(RenovationCode, 1, 25, 156, True).code == "renovation_code.type"


@st.composite
def renovation_codes(draw: st.DrawFn) -> RenovationCode:
    positive = st.integers(min_value=1, max_value=999_999)
    district, zone, block, parcel = draw(positive), draw(positive), draw(positive), draw(positive)
    building = draw(st.integers(min_value=0, max_value=999))
    apartment = shop = 0
    if building:
        unit = draw(st.sampled_from(["none", "apartment", "shop"]))
        if unit == "apartment":
            apartment = draw(st.integers(min_value=1, max_value=999))
        elif unit == "shop":
            shop = draw(st.integers(min_value=1, max_value=999))
    return RenovationCode(district, zone, block, parcel, building, apartment, shop)


@given(renovation_codes(), st.sampled_from(["-", "/", " ", " - ", "_", "،", "."]), st.booleans())
def test_renovation_code_round_trips(code: RenovationCode, separator: str, persian: bool) -> None:
    # Given a valid code written with any separator, in either digit script
    text = separator.join(str(p) for p in code.parts)
    if persian:
        text = to_persian_digits(text)
    # when it is parsed, then it is the same code, and its canonical string parses back to it
    parsed = RenovationCode.parse(text)
    assert parsed == code
    assert RenovationCode.parse(str(parsed)) == code
    assert str(parsed) == "-".join(str(p) for p in code.parts)


@given(renovation_codes(), renovation_codes())
def test_renovation_code_tree_and_order_properties(a: RenovationCode, b: RenovationCode) -> None:
    assert (a < b) is (a.parts < b.parts)
    if a.parent is not None:
        assert a.parent.is_ancestor_of(a)
        assert a.parcel_code.is_ancestor_of(a)
        assert a.parent < a
    assert a.parcel_code.level == "parcel"
    assert not a.is_ancestor_of(a)
    if a.is_ancestor_of(b):
        assert a.parcel_code == b.parcel_code
        assert not b.is_ancestor_of(a)


# --------------------------------------------------------------------------------------------------
# Postal code [1.4]
# --------------------------------------------------------------------------------------------------


def test_postal_code_parse_and_format() -> None:
    assert parse_postal_code("1345674891") == "1345674891"
    assert parse_postal_code(" ۱۳۴۵۶-۷۴۸۹۱ ") == "1345674891"
    assert parse_postal_code("13456 74891") == "1345674891"
    assert format_postal_code("1345674891") == "13456-74891"
    assert format_postal_code("۹۴۱۷۶۱۳۴۵۶") == "94176-13456"
    assert parse_postal_code("1345670000") == "1345670000"  # 0 and 2 are fine in the last five


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("0345674891", "postal_code.prefix"),  # first digit 0
        ("1325674891", "postal_code.prefix"),  # 2 in the first five
        ("1345074891", "postal_code.prefix"),  # 0 as the fifth digit
        ("134567489", "postal_code.length"),
        ("13456748911", "postal_code.length"),
        ("1345a74891", "postal_code.digits"),
    ],
)
def test_postal_code_rules(value: str, code: str) -> None:
    assert raises(parse_postal_code, value).code == code


# --------------------------------------------------------------------------------------------------
# Mobile [5.6]
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        # [5.6] forms; numbers from py-persian-tools tests/test_phone_number.py
        "09022002580",
        "9022002580",
        "989022002580",
        "+989022002580",
        "00989022002580",
        "۰۹۰۲۲۰۰۲۵۸۰",
        "+98 902 200 2580",
        "0902-200-2580",
        "(0902) 200 2580",
        " ٠٩٠٢٢٠٠٢٥٨٠ ",
    ],
)
def test_mobile_forms_normalise_to_e164(value: str) -> None:
    assert parse_mobile(value) == "+989022002580"
    assert format_mobile_local(value) == "09022002580"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("0212345678", "mobile.format"),  # a Tehran landline
        ("0912345678", "mobile.format"),  # one digit short
        ("091212345678", "mobile.format"),  # one digit long
        ("+19121234567", "mobile.format"),
        ("0912abc4567", "mobile.digits"),
        ("", "mobile.required"),
    ],
)
def test_mobile_rules(value: str, code: str) -> None:
    assert raises(parse_mobile, value).code == code


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.sampled_from(["0", "", "98", "+98", "0098"]))
def test_every_mobile_form_gives_the_same_number(rest: str, prefix: str) -> None:
    assert parse_mobile(f"{prefix}9{rest}") == f"+989{rest}"
    assert parse_mobile(to_persian_digits(f"{prefix}9{rest}")) == f"+989{rest}"


# --------------------------------------------------------------------------------------------------
# SHEBA [5.5]
# --------------------------------------------------------------------------------------------------

# [5.5] IR062960000000100324200001 (ISO 13616 registry example for Iran);
# py-persian-tools tests/test_bank_sheba.py: IR820540102680020817909002 (valid)
SHEBA_VALID = ["IR062960000000100324200001", "IR820540102680020817909002"]


@pytest.mark.parametrize("sheba", SHEBA_VALID)
def test_published_shebas_are_valid(sheba: str) -> None:
    assert parse_sheba(sheba) == sheba
    assert is_valid_sheba(sheba)
    assert make_sheba(sheba[4:]) == sheba


def test_sheba_input_forms() -> None:
    assert parse_sheba("ir06 2960 0000 0010 0324 2000 01") == "IR062960000000100324200001"
    assert parse_sheba(" IR۰۶۲۹۶۰۰۰۰۰۰۰۱۰۰۳۲۴۲۰۰۰۰۱ ") == "IR062960000000100324200001"
    assert parse_sheba("062960000000100324200001") == "IR062960000000100324200001"  # IR printed by the form


@pytest.mark.parametrize(
    ("value", "code"),
    [
        # py-persian-tools tests/test_bank_sheba.py invalid examples
        ("IR01234567890123456789", "sheba.length"),
        ("IR012345678901234567890123456789", "sheba.length"),
        ("IR012345678901234567890123", "sheba.checksum"),
        ("01234567890123456789012345", "sheba.country"),
        ("IR012345678A01234567890123", "sheba.digits"),
        ("IR062960000000100324200002", "sheba.checksum"),
        ("DE89370400440532013000", "sheba.country"),
    ],
)
def test_sheba_rules(value: str, code: str) -> None:
    assert raises(parse_sheba, value).code == code


@given(st.text(alphabet="0123456789", min_size=22, max_size=22))
def test_generated_shebas_validate(bban: str) -> None:
    sheba = make_sheba(bban)
    assert len(sheba) == 26
    assert parse_sheba(sheba) == sheba


@given(st.text(alphabet="0123456789", min_size=22, max_size=22), st.integers(min_value=2, max_value=25), digits_st)
def test_sheba_catches_every_single_digit_substitution(bban: str, index: int, digit: str) -> None:
    # A change of δ (1..9) at any place changes the number by δ·10^k; 97 is prime and divides neither.
    sheba = make_sheba(bban)
    assume(sheba[index] != digit)
    assert is_valid_sheba(replace_digit(sheba, index, digit)) is False


# --------------------------------------------------------------------------------------------------
# Bill ID / payment ID / barcode [5.3]
# --------------------------------------------------------------------------------------------------

# [5.3] (persian-tools/py-persian-tools tests/test_bill.py, persian-tools/rust-persian-tools src/bill/mod.rs):
# (bill ID, payment ID, amount in Rials)
BILL_PAIRS_VALID = [
    ("7748317800142", "1770160", 17_000),  # [5.3] fixed phone, service 4
    ("1234567812361", "250040195", 2_500_000),  # [5.3] locally generated municipal example
    ("1117753200140", "12070160", 120_000),  # rust-persian-tools
    ("1177809000142", "570108", 5_000),  # py-/rust-persian-tools
    ("1117753200140", "1770163", 17_000),  # rust-persian-tools (corrected TS vector)
    ("9174639504124", "12908190", 129_000),  # rust-persian-tools (corrected TS vector)
    ("2050327604613", "1070189", 10_000),  # py-/rust-persian-tools
    ("9100074409153", "12908199", 129_000),  # rust-persian-tools (corrected TS vector)
    ("2234322344617", "1070188", 10_000),  # rust-persian-tools (corrected TS vector)
    ("3300959004310", "385620969", 3_856_000),  # rust-persian-tools barcode 33009590043100000385620969
]


@pytest.mark.parametrize(("bill_id", "payment_id", "amount"), BILL_PAIRS_VALID)
def test_published_bill_and_payment_ids_are_valid(bill_id: str, payment_id: str, amount: int) -> None:
    assert validate_bill_id(bill_id) == bill_id
    assert validate_payment_id(payment_id, bill_id) == payment_id
    assert amount_from_payment_id(payment_id) == amount
    barcode = make_barcode(bill_id, payment_id)
    assert barcode == bill_id.zfill(13) + payment_id.zfill(13)
    assert len(barcode) == 26
    assert parse_barcode(barcode) == (bill_id, payment_id)


def test_published_barcodes() -> None:
    # rust-persian-tools src/bill/mod.rs: bill and payment IDs each left-padded with zeros to 13
    assert make_barcode("7748317800142", "1770160") == "77483178001420000001770160"
    assert make_barcode("9174639504124", "12908190") == "91746395041240000012908190"
    assert make_barcode("2050327604613", "1070189") == "20503276046130000001070189"
    assert make_barcode("2234322344617", "1070188") == "22343223446170000001070188"
    assert parse_barcode("11177532001400000012070160") == ("1117753200140", "12070160")
    assert parse_barcode("33009590043100000385620969") == ("3300959004310", "385620969")


def test_published_bill_ids_are_rebuilt() -> None:
    # rust-persian-tools: BillID::new("77483178", "001", Tel) and PaymentID::new(17, 7, 1, …)
    assert make_bill_id(77483178, "001", 4) == "7748317800142"
    assert make_payment_id(17_000, 1397, 1, "7748317800142") == "1770160"
    # rust-persian-tools: BillID::new("11177532", "001", Tel) and PaymentID::new(120, 7, 1, …)
    assert make_bill_id(11177532, "001", 4) == "1117753200140"
    assert make_payment_id(120_000, 1397, 1, "1117753200140") == "12070160"
    # [5.3] municipal example: file 12345678, company 123, type 6; 2,500,000 IRR, year 1404, period 01
    assert make_bill_id(12345678, "123") == "1234567812361"
    assert make_payment_id(2_500_000, 1404, 1, "1234567812361") == "250040195"


def test_published_invalid_bill_and_payment_ids() -> None:
    # py-/rust-persian-tools: bill ID 2234322344613 fails its check digit (should end in 7)
    assert raises(validate_bill_id, "2234322344613").code == "bill_id.checksum"
    assert raises(validate_bill_id, "2234").code == "bill_id.length"
    # py-/rust-persian-tools: payment 12908197 passes check1 but not check2 for bill 9174639504124
    assert raises(validate_payment_id, "12908197", "9174639504124").code == "payment_id.check2"
    assert raises(validate_payment_id, "1070189", "2234322344617").code == "payment_id.check2"
    # rust-persian-tools: these fail check1
    for payment_id in ["1770150", "12908117", "1070179", "1070169"]:
        assert raises(amount_from_payment_id, payment_id).code == "payment_id.check1"


def test_bill_check_digit_rule() -> None:
    # 774831780014 from the right: 4·2 + 1·3 + 0·4 + 0·5 + 8·6 + 7·7 + 1·2 + 3·3 + 8·4 + 4·5 + 7·6 + 7·7 = 262;
    # 262 mod 11 = 9 → 11 − 9 = 2
    assert bill_check_digit("774831780014") == 2
    assert bill_check_digit("0") == 0  # r = 0
    assert bill_check_digit("5") == 1  # 5·2 = 10 → 11 − 10
    assert bill_check_digit("6") == 0  # 6·2 = 12, r = 1 → 0


def test_bill_and_payment_ids_accept_persian_digits_and_leading_zeros() -> None:
    assert validate_bill_id(" ۷۷۴۸۳۱۷۸۰۰۱۴۲ ") == "7748317800142"
    assert validate_bill_id("0007748317800142") == "7748317800142"
    assert validate_payment_id("۰۰۰۰۰۰۱۷۷۰۱۶۰", "٧٧٤٨٣١٧٨٠٠١٤٢") == "1770160"
    assert amount_from_payment_id("0000001770160") == 17_000


def test_make_payment_id_requires_a_whole_number_of_thousands() -> None:
    error = raises(make_payment_id, 2_500_500, 1404, 1, "1234567812361")
    assert error.code == "payment_id.amount"
    assert error.field == "payment_id"
    assert error.message_en.startswith("Payment ID: the amount must be a positive multiple of 1,000 Rials")
    assert "1,000" in error.message_en
    assert error.message_fa.startswith("شناسه پرداخت: مبلغ باید مضرب مثبتی از ۱٬۰۰۰ ریال باشد")
    assert raises(make_payment_id, 0, 1404, 1, "1234567812361").code == "payment_id.amount"
    assert raises(make_payment_id, -1000, 1404, 1, "1234567812361").code == "payment_id.amount"
    assert raises(make_payment_id, 100_000_000_000, 1404, 1, "1234567812361").code == "payment_id.amount_too_large"
    assert make_payment_id(99_999_999_000, 1404, 1, "1234567812361").startswith("99999999401")


def test_make_payment_id_rules() -> None:
    assert raises(make_payment_id, 1000, 1404, 100, "1234567812361").code == "payment_id.period"
    assert raises(make_payment_id, 1000, -1, 1, "1234567812361").code == "payment_id.year"
    assert raises(make_payment_id, 1000, 1404, 1, "1234567812362").code == "bill_id.checksum"
    # year code is the last digit of the Jalali year; the period is written with 2 digits
    payment = make_payment_id(1000, 1403, 7, "1234567812361")
    assert payment[:-2] == "1307"


def test_make_bill_id_rules() -> None:
    assert raises(make_bill_id, 0, "123").code == "bill_id.file_number"
    assert raises(make_bill_id, 100_000_000, "123").code == "bill_id.file_number"
    assert raises(make_bill_id, 1, "12").code == "bill_id.company_code"
    assert raises(make_bill_id, 1, "12a").code == "bill_id.company_code"
    assert raises(make_bill_id, 1, "123", 0).code == "bill_id.service_type"
    assert make_bill_id(1, "۰۰۹") == "100960"  # shortest bill ID: 6 digits
    assert make_bill_id(99_999_999, "999", 6)[:-1] == "999999999996"


def test_barcode_rules() -> None:
    assert raises(parse_barcode, "7748317800142000000177016").code == "barcode.length"
    assert raises(parse_barcode, "77483178001430000001770160").code == "bill_id.checksum"
    assert raises(parse_barcode, "77483178001420000001770161").code == "payment_id.check2"
    assert parse_barcode(" ۷۷۴۸۳۱۷۸۰۰۱۴۲ ۰۰۰۰۰۰۱۷۷۰۱۶۰ ") == ("7748317800142", "1770160")


def test_a_substitution_the_bill_check_digit_cannot_catch() -> None:
    # Remainders 0 and 1 both give check digit 0, so the 1 → 9 change goes unnoticed.
    assert mod11_remainder("123456871236") == 0
    assert mod11_remainder("923456871236") == 1
    assert validate_bill_id("1234568712360") == "1234568712360"
    assert validate_bill_id("9234568712360") == "9234568712360"


bill_ids = st.builds(
    make_bill_id,
    st.integers(min_value=1, max_value=99_999_999),
    st.text(alphabet="0123456789", min_size=3, max_size=3),
    st.integers(min_value=1, max_value=9),
)
amounts = st.integers(min_value=1, max_value=99_999_999).map(lambda thousands: thousands * 1000)


@given(bill_ids, amounts, st.integers(min_value=1300, max_value=1500), st.integers(min_value=0, max_value=99))
def test_generated_bill_and_payment_ids_validate(bill_id: str, amount: int, year: int, period: int) -> None:
    # Given a built bill ID and payment ID
    payment_id = make_payment_id(amount, year, period, bill_id)
    # then both validate, carry their parts, and round-trip through the barcode
    assert 6 <= len(bill_id) <= 13
    assert 6 <= len(payment_id) <= 13
    assert validate_bill_id(bill_id) == bill_id
    assert validate_payment_id(payment_id, bill_id) == payment_id
    assert amount_from_payment_id(payment_id) == amount
    assert payment_id[-5:-2] == f"{year % 10}{period:02d}"
    assert parse_barcode(make_barcode(bill_id, payment_id)) == (bill_id, payment_id)


@given(bill_ids, st.integers(min_value=0, max_value=12), digits_st)
def test_bill_check_digit_catches_exactly_the_substitutions_the_algorithm_promises(
    bill_id: str, index: int, digit: str
) -> None:
    assume(index < len(bill_id) and bill_id[index] != digit and not (index == 0 and digit == "0"))
    changed = replace_digit(bill_id, index, digit)
    # Weights 2..7 and digit differences 1..9 are never multiples of 11, so the remainder always
    # changes; only remainders 0 and 1 share a check digit (0). The check digit itself is determined.
    swaps_remainder = {mod11_remainder(bill_id[:-1]), mod11_remainder(changed[:-1])} == {0, 1}
    undetectable = index != len(bill_id) - 1 and swaps_remainder
    valid = True
    try:
        validate_bill_id(changed)
    except IdentifierError:
        valid = False
    assert valid is undetectable


@given(bill_ids, amounts, st.integers(min_value=0, max_value=99), st.integers(min_value=0, max_value=12), digits_st)
def test_payment_checks_catch_exactly_the_substitutions_the_algorithm_promises(
    bill_id: str, amount: int, period: int, index: int, digit: str
) -> None:
    payment_id = make_payment_id(amount, 1404, period, bill_id)
    assume(index < len(payment_id) and payment_id[index] != digit and not (index == 0 and digit == "0"))
    changed = replace_digit(payment_id, index, digit)
    # A change in the payment digits escapes only if it swaps remainders 0 ↔ 1 for check1 (over the
    # payment digits) and for check2 (over bill ID + payment digits + check1) at the same time.
    # A changed check digit is always caught: each is determined by the digits before it.
    in_payment_digits = index < len(payment_id) - 2
    swaps_check1 = {mod11_remainder(payment_id[:-2]), mod11_remainder(changed[:-2])} == {0, 1}
    swaps_check2 = {mod11_remainder(bill_id + payment_id[:-1]), mod11_remainder(bill_id + changed[:-1])} == {0, 1}
    undetectable = in_payment_digits and swaps_check1 and swaps_check2
    valid = True
    try:
        validate_payment_id(changed, bill_id)
    except IdentifierError:
        valid = False
    assert valid is undetectable
