"""Iranian identifiers: parse, validate, build and format. Pure Python, no Django.

Section numbers ([5.1] …) refer to ``/work/shared/reference/iran-domain.md`` and to the "Identifiers"
section of ``spec/domain.md``.

Every parser:

* accepts Persian (۰–۹) and Arabic-Indic (٠–٩) digits and surrounding whitespace;
* returns the canonical ASCII form, or raises :class:`IdentifierError` whose ``code`` is stable
  (``"<field>.<rule>"``) and whose English and Persian messages name the field and the rule broken.

Messages never repeat the value itself: national codes and account numbers are personal data and
error messages end up in logs.
"""

from __future__ import annotations

import dataclasses
import itertools
import operator
import re
from dataclasses import dataclass
from typing import Final, Literal

from shahrvand.core.text import to_latin_digits, to_persian_digits

__all__ = [
    "BILL_ID_MAX_LENGTH",
    "BILL_ID_MIN_LENGTH",
    "LEGAL_ID_WEIGHTS",
    "PAYMENT_ID_MAX_LENGTH",
    "PAYMENT_ID_MIN_LENGTH",
    "SERVICE_TYPE_MUNICIPALITY",
    "IdentifierError",
    "RenovationCode",
    "RenovationLevel",
    "amount_from_payment_id",
    "bill_check_digit",
    "format_mobile_local",
    "format_postal_code",
    "is_valid_legal_id",
    "is_valid_national_code",
    "is_valid_sheba",
    "legal_id_check_digit",
    "make_barcode",
    "make_bill_id",
    "make_payment_id",
    "make_sheba",
    "mask_national_code",
    "national_code_check_digit",
    "parse_barcode",
    "parse_legal_id",
    "parse_mobile",
    "parse_national_code",
    "parse_postal_code",
    "parse_sheba",
    "validate_bill_id",
    "validate_payment_id",
]


class IdentifierError(ValueError):
    """An identifier failed a rule.

    ``field`` names the identifier (``"national_code"``, ``"bill_id"`` …), ``code`` is a stable machine code
    ``"<field>.<rule>"`` (``"national_code.checksum"``), ``message_en`` / ``message_fa`` are for people.
    ``str(error)`` is the English message.
    """

    field: str
    code: str
    message_en: str
    message_fa: str

    def __init__(self, field: str, code: str, message_en: str, message_fa: str) -> None:
        super().__init__(message_en)
        self.field = field
        self.code = code
        self.message_en = message_en
        self.message_fa = message_fa

    def __str__(self) -> str:
        return self.message_en

    def __repr__(self) -> str:
        return f"IdentifierError(code={self.code!r}, message_en={self.message_en!r})"


# English and Persian names of each field, used as the first words of every message.
_LABELS: Final[dict[str, tuple[str, str]]] = {
    "national_code": ("National code", "کد ملی"),
    "legal_id": ("Legal entity national ID", "شناسه ملی شخص حقوقی"),
    "renovation_code": ("Renovation code", "کد نوسازی"),
    "postal_code": ("Postal code", "کد پستی"),
    "mobile": ("Mobile number", "شماره تلفن همراه"),
    "sheba": ("SHEBA number", "شماره شبا"),
    "bill_id": ("Bill ID", "شناسه قبض"),
    "payment_id": ("Payment ID", "شناسه پرداخت"),
    "barcode": ("Bill barcode", "بارکد قبض"),
}


def _error(field: str, rule: str, message_en: str, message_fa: str) -> IdentifierError:
    label_en, label_fa = _LABELS[field]
    return IdentifierError(field, f"{field}.{rule}", f"{label_en}: {message_en}", f"{label_fa}: {message_fa}")


def _fa(n: int | str) -> str:
    """A number written with Persian digits, for Persian messages."""
    return to_persian_digits(str(n))


_ASCII_DIGITS: Final = re.compile(r"[0-9]+")  # not \d: that also matches other scripts' digits


def _clean(value: object, field: str, drop: re.Pattern[str] | None = None) -> str:
    """Common first step: must be text; Persian/Arabic-Indic digits → ASCII; trim; drop allowed separators."""
    if not isinstance(value, str):
        raise _error(field, "type", "must be given as text", "باید به صورت متن داده شود")
    s = to_latin_digits(value).strip()
    if drop is not None:
        s = drop.sub("", s)
    if not s:
        raise _error(field, "required", "is empty", "خالی است")
    return s


def _digits(value: object, field: str, drop: re.Pattern[str] | None = None) -> str:
    """:func:`_clean`, then require ASCII digits only."""
    s = _clean(value, field, drop)
    if not _ASCII_DIGITS.fullmatch(s):
        raise _error(field, "digits", "must contain digits only", "فقط باید شامل رقم باشد")
    return s


# Whitespace and the dashes people type or paste (hyphen-minus, hyphen, non-breaking hyphen, en and em dash).
_SPACES_DASHES: Final = re.compile("[\\s\\-\u2010\u2011\u2013\u2014]+")


# --------------------------------------------------------------------------------------------------
# National code (کد ملی) [5.1]
# --------------------------------------------------------------------------------------------------

_NATIONAL_CODE_RULE_EN: Final = "rule: Σd[i]·(10−i) mod 11 for i = 0..8; r < 2 → r, else 11 − r"
_NATIONAL_CODE_RULE_FA: Final = (
    "قاعده: باقی‌ماندهٔ مجموع ۹ رقم اول ضرب در وزن‌های ۱۰ تا ۲ بر ۱۱؛ اگر کمتر از ۲ بود خودش، وگرنه ۱۱ منهای آن"
)


def national_code_check_digit(first9: str) -> int:
    """Check digit of a national code from its first 9 digits [5.1].

    ``s = Σ d[i]·(10 − i) for i in 0..8; r = s mod 11; check = r if r < 2 else 11 − r``.
    """
    s = _digits(first9, "national_code")
    if len(s) != 9:
        raise _error(
            "national_code",
            "length",
            f"the check digit is computed from exactly 9 digits; got {len(s)}",
            f"رقم کنترل از دقیقاً ۹ رقم محاسبه می‌شود؛ {_fa(len(s))} رقم داده شده است",
        )
    r = sum(int(d) * (10 - i) for i, d in enumerate(s)) % 11
    return r if r < 2 else 11 - r


def parse_national_code(value: str) -> str:
    """Return the 10-digit national code, or raise :class:`IdentifierError` [5.1].

    8- and 9-digit inputs are legal (leading zeros dropped) and are padded with zeros; other lengths,
    non-digits, one digit repeated ten times (``1111111111`` passes the raw checksum) and a wrong check
    digit are rejected.
    """
    s = _digits(value, "national_code")
    if len(s) in (8, 9):
        s = s.zfill(10)
    if len(s) != 10:
        raise _error(
            "national_code",
            "length",
            f"must have 10 digits (8 or 9 digits are padded with leading zeros); got {len(s)}",
            f"باید ۱۰ رقم باشد (۸ یا ۹ رقم با صفر در ابتدا کامل می‌شود)؛ {_fa(len(s))} رقم وارد شده است",
        )
    if len(set(s)) == 1:
        raise _error(
            "national_code",
            "repeated",
            "cannot be a single digit repeated (rule: such codes pass the checksum but are never issued)",
            "نمی‌تواند تکرار یک رقم باشد (قاعده: چنین کدی با وجود درست بودن رقم کنترل صادر نمی‌شود)",
        )
    if national_code_check_digit(s[:9]) != int(s[9]):
        raise _error(
            "national_code",
            "checksum",
            f"the check digit does not match ({_NATIONAL_CODE_RULE_EN})",
            f"رقم کنترل (رقم آخر) درست نیست ({_NATIONAL_CODE_RULE_FA})",
        )
    return s


def is_valid_national_code(value: str) -> bool:
    """``True`` when :func:`parse_national_code` accepts ``value``."""
    try:
        parse_national_code(value)
    except IdentifierError:
        return False
    return True


def mask_national_code(code: str) -> str:
    """Mask a national code for display: first 3 and last 4 digits kept, e.g. ``007***9645``.

    The input must have the shape of a national code (8–10 digits, padded to 10); the check digit is not
    verified, so codes imported from old records can still be shown masked.
    """
    s = _digits(code, "national_code")
    if len(s) in (8, 9):
        s = s.zfill(10)
    if len(s) != 10:
        raise _error(
            "national_code",
            "length",
            f"must have 10 digits (8 or 9 digits are padded with leading zeros); got {len(s)}",
            f"باید ۱۰ رقم باشد (۸ یا ۹ رقم با صفر در ابتدا کامل می‌شود)؛ {_fa(len(s))} رقم وارد شده است",
        )
    return f"{s[:3]}***{s[-4:]}"


# --------------------------------------------------------------------------------------------------
# Legal entity national ID (شناسه ملی اشخاص حقوقی) [5.2]
# --------------------------------------------------------------------------------------------------

LEGAL_ID_WEIGHTS: Final = (29, 27, 23, 19, 17)


def legal_id_check_digit(first10: str) -> int:
    """Check digit of a legal entity national ID from its first 10 digits [5.2].

    ``k = d[9] + 2; s = Σ (d[i] + k)·w[i mod 5] for i in 0..9`` with ``w = 29, 27, 23, 19, 17``;
    ``check = (s mod 11) mod 10`` (a remainder of 10 gives 0).
    """
    s = _digits(first10, "legal_id")
    if len(s) != 10:
        raise _error(
            "legal_id",
            "length",
            f"the check digit is computed from exactly 10 digits; got {len(s)}",
            f"رقم کنترل از دقیقاً ۱۰ رقم محاسبه می‌شود؛ {_fa(len(s))} رقم داده شده است",
        )
    k = int(s[9]) + 2
    total = sum((int(d) + k) * LEGAL_ID_WEIGHTS[i % 5] for i, d in enumerate(s))
    return (total % 11) % 10


def parse_legal_id(value: str) -> str:
    """Return the 11-digit legal entity national ID, or raise :class:`IdentifierError` [5.2].

    Rejects other lengths, non-digits, digits 4–9 all zero (rejected by the published validators, e.g.
    persian-tools ``verifyIranianLegalId``) and a wrong check digit.
    """
    s = _digits(value, "legal_id")
    if len(s) != 11:
        raise _error(
            "legal_id",
            "length",
            f"must have 11 digits; got {len(s)}",
            f"باید ۱۱ رقم باشد؛ {_fa(len(s))} رقم وارد شده است",
        )
    if s[3:9] == "000000":
        raise _error(
            "legal_id",
            "middle_zeros",
            "digits 4 to 9 cannot all be zero (rule: such IDs are never issued)",
            "رقم‌های چهارم تا نهم نمی‌توانند همه صفر باشند (قاعده: چنین شناسه‌ای صادر نمی‌شود)",
        )
    if legal_id_check_digit(s[:10]) != int(s[10]):
        raise _error(
            "legal_id",
            "checksum",
            "the check digit does not match "
            "(rule: k = d[9] + 2; Σ(d[i] + k)·(29, 27, 23, 19, 17 cycling) mod 11, then mod 10)",
            "رقم کنترل (رقم آخر) درست نیست (قاعده: رقم دهم به‌علاوهٔ ۲ به هر رقم افزوده و در وزن‌های "
            "۲۹، ۲۷، ۲۳، ۱۹، ۱۷ ضرب می‌شود؛ باقی‌ماندهٔ مجموع بر ۱۱، و ۱۰ به جای خود صفر)",
        )
    return s


def is_valid_legal_id(value: str) -> bool:
    """``True`` when :func:`parse_legal_id` accepts ``value``."""
    try:
        parse_legal_id(value)
    except IdentifierError:
        return False
    return True


# --------------------------------------------------------------------------------------------------
# Renovation code (کد نوسازی) [1.1]
# --------------------------------------------------------------------------------------------------

RenovationLevel = Literal["parcel", "building", "apartment", "shop"]

# (attribute, English name, Persian name), big to small.
_RENOVATION_PARTS: Final = (
    ("district", "district", "منطقه"),
    ("zone", "zone", "حوزه"),
    ("block", "block", "بلوک"),
    ("parcel", "parcel", "ملک"),
    ("building", "building", "ساختمان"),
    ("apartment", "apartment", "آپارتمان"),
    ("shop", "shop", "صنفی"),
)
_RENOVATION_FORM_EN: Final = "district-zone-block-parcel-building-apartment-shop"
_RENOVATION_FORM_FA: Final = "منطقه-حوزه-بلوک-ملک-ساختمان-آپارتمان-صنفی"
# A storage limit, not a municipal rule: every part fits a 32-bit integer column.
_RENOVATION_PART_MAX_DIGITS: Final = 9


@dataclass(frozen=True, order=True, slots=True)
class RenovationCode:
    """A renovation code: seven integer parts, big to small [1.1], e.g. ``1-25-156-15-0-0-0``.

    A 0 in a lower part means "this level itself", so codes form a tree::

        1-25-156-15-0-0-0   parcel (ملک)
        1-25-156-15-1-0-0   building 1 on it
        1-25-156-15-1-7-0   apartment 7 in building 1
        1-25-156-15-1-0-3   shop 3 in building 1

    Rules: every part ≥ 0; district, zone, block and parcel ≥ 1; building 0 ⇒ apartment and shop 0;
    apartment and shop are not both non-zero. Codes sort part by part (``order=True``).
    """

    district: int
    zone: int
    block: int
    parcel: int
    building: int = 0
    apartment: int = 0
    shop: int = 0

    def __post_init__(self) -> None:
        for attr, name_en, name_fa in _RENOVATION_PARTS:
            part = getattr(self, attr)
            if not isinstance(part, int) or isinstance(part, bool):
                raise _error(
                    "renovation_code",
                    "type",
                    f"the {name_en} part must be a whole number",
                    f"بخش «{name_fa}» باید عدد صحیح باشد",
                )
            if part < 0:
                raise _error(
                    "renovation_code",
                    "negative",
                    f"the {name_en} part cannot be negative",
                    f"بخش «{name_fa}» نمی‌تواند منفی باشد",
                )
            if part >= 10**_RENOVATION_PART_MAX_DIGITS:
                raise _error(
                    "renovation_code",
                    "too_large",
                    f"the {name_en} part has more than {_RENOVATION_PART_MAX_DIGITS} digits",
                    f"بخش «{name_fa}» بیش از {_fa(_RENOVATION_PART_MAX_DIGITS)} رقم دارد",
                )
        for attr, name_en, name_fa in _RENOVATION_PARTS[:4]:
            if getattr(self, attr) == 0:
                raise _error(
                    "renovation_code",
                    "parcel_part_zero",
                    f"the {name_en} part must be at least 1 "
                    "(rule: district, zone, block and parcel together name the parcel)",
                    f"بخش «{name_fa}» باید دست‌کم ۱ باشد (قاعده: منطقه، حوزه، بلوک و ملک با هم ملک را مشخص می‌کنند)",
                )
        if self.building == 0 and (self.apartment or self.shop):
            raise _error(
                "renovation_code",
                "no_building",
                "an apartment or shop part needs a building part (rule: building 0 means the parcel itself)",
                "بخش «آپارتمان» یا «صنفی» بدون بخش «ساختمان» معنا ندارد (قاعده: ساختمان ۰ یعنی خود ملک)",
            )
        if self.apartment and self.shop:
            raise _error(
                "renovation_code",
                "apartment_and_shop",
                "the apartment and shop parts cannot both be non-zero (rule: a unit is an apartment or a shop)",
                "بخش‌های «آپارتمان» و «صنفی» نمی‌توانند هر دو غیرصفر باشند (قاعده: هر واحد یا آپارتمان است یا صنفی)",
            )

    @classmethod
    def parse(cls, value: str) -> RenovationCode:
        """Parse a code typed by a person: 7 integer parts separated by any run of non-digits.

        Persian/Arabic-Indic digits are accepted; leading zeros in a part are dropped
        (``01-025-…`` is ``1-25-…``). Text before the first or after the last part is ignored.
        """
        s = _clean(value, "renovation_code")
        parts = _ASCII_DIGITS.findall(s)
        if len(parts) != 7:
            raise _error(
                "renovation_code",
                "parts",
                f"must have 7 parts ({_RENOVATION_FORM_EN}), e.g. 1-25-156-15-0-0-0; got {len(parts)}",
                f"باید ۷ بخش داشته باشد ({_RENOVATION_FORM_FA})، مانند ۱-۲۵-۱۵۶-۱۵-۰-۰-۰؛ "
                f"{_fa(len(parts))} بخش وارد شده است",
            )
        for text, (_, name_en, name_fa) in zip(parts, _RENOVATION_PARTS, strict=True):
            if len(text.lstrip("0")) > _RENOVATION_PART_MAX_DIGITS:  # before int(): no giant numbers
                raise _error(
                    "renovation_code",
                    "too_large",
                    f"the {name_en} part has more than {_RENOVATION_PART_MAX_DIGITS} digits",
                    f"بخش «{name_fa}» بیش از {_fa(_RENOVATION_PART_MAX_DIGITS)} رقم دارد",
                )
        return cls(*(int(p) for p in parts))

    def __str__(self) -> str:
        """Canonical form: the 7 parts joined by ``-``, e.g. ``1-25-156-15-1-7-0``."""
        return "-".join(str(p) for p in self.parts)

    @property
    def parts(self) -> tuple[int, int, int, int, int, int, int]:
        """The 7 parts, big to small."""
        return (self.district, self.zone, self.block, self.parcel, self.building, self.apartment, self.shop)

    @property
    def level(self) -> RenovationLevel:
        """``"parcel"``, ``"building"``, ``"apartment"`` or ``"shop"``: the lowest non-zero part."""
        if self.apartment:
            return "apartment"
        if self.shop:
            return "shop"
        if self.building:
            return "building"
        return "parcel"

    @property
    def parent(self) -> RenovationCode | None:
        """Apartment or shop → its building; building → its parcel; parcel → ``None``."""
        if self.apartment or self.shop:
            return dataclasses.replace(self, apartment=0, shop=0)
        if self.building:
            return dataclasses.replace(self, building=0)
        return None

    @property
    def parcel_code(self) -> RenovationCode:
        """The parcel this code is on (itself for a parcel)."""
        return dataclasses.replace(self, building=0, apartment=0, shop=0)

    @property
    def building_code(self) -> RenovationCode | None:
        """The building this code is in (itself for a building); ``None`` for a parcel."""
        if not self.building:
            return None
        return dataclasses.replace(self, apartment=0, shop=0)

    def is_ancestor_of(self, other: RenovationCode) -> bool:
        """``True`` when ``self`` is a strict ancestor of ``other`` (a code is not its own ancestor)."""
        node = other.parent
        while node is not None:
            if node == self:
                return True
            node = node.parent
        return False


# --------------------------------------------------------------------------------------------------
# Postal code (کد پستی) [1.4]
# --------------------------------------------------------------------------------------------------


def parse_postal_code(value: str) -> str:
    """Return the 10-digit postal code, or raise :class:`IdentifierError` [1.4].

    Spaces and dashes are tolerated (``12345-67891``). Enforced: 10 digits, and no 0 or 2 among the
    first five digits (Iran Post does not use them there, to avoid confusion with 5 and 3 — [1.4], [S]).
    Stricter regexes seen in code (e.g. no 5 as the fifth digit) are not enforced: no published source.
    """
    s = _digits(value, "postal_code", drop=_SPACES_DASHES)
    if len(s) != 10:
        raise _error(
            "postal_code",
            "length",
            f"must have 10 digits; got {len(s)}",
            f"باید ۱۰ رقم باشد؛ {_fa(len(s))} رقم وارد شده است",
        )
    if "0" in s[:5] or "2" in s[:5]:
        raise _error(
            "postal_code",
            "prefix",
            "the first five digits cannot contain 0 or 2 (rule: Iran Post does not use them there)",
            "پنج رقم اول نمی‌تواند ۰ یا ۲ داشته باشد (قاعده: شرکت ملی پست این رقم‌ها را آنجا به کار نمی‌برد)",
        )
    return s


def format_postal_code(code: str) -> str:
    """Display form ``XXXXX-XXXXX`` of a postal code (validated by :func:`parse_postal_code`)."""
    s = parse_postal_code(code)
    return f"{s[:5]}-{s[5:]}"


# --------------------------------------------------------------------------------------------------
# Mobile number [5.6]
# --------------------------------------------------------------------------------------------------

_MOBILE_SEPARATORS: Final = re.compile("[\\s\\-\u2010\u2011\u2013\u2014()]+")
_MOBILE: Final = re.compile(r"(?:\+98|0098|98|0)?(9[0-9]{9})")


def parse_mobile(value: str) -> str:
    """Return an Iranian mobile number in E.164 form ``+989XXXXXXXXX``, or raise [5.6].

    Accepts ``09XXXXXXXXX``, ``9XXXXXXXXX``, ``989XXXXXXXXX``, ``+989XXXXXXXXX`` and ``00989XXXXXXXXX``,
    with spaces, dashes or brackets anywhere. The operator prefix is not checked (operators change).
    """
    s = _clean(value, "mobile", drop=_MOBILE_SEPARATORS)
    if not re.fullmatch(r"\+?[0-9]+", s):
        raise _error("mobile", "digits", "must contain digits only", "فقط باید شامل رقم باشد")
    m = _MOBILE.fullmatch(s)
    if m is None:
        raise _error(
            "mobile",
            "format",
            "must be an Iranian mobile number such as 09121234567 or +989121234567 "
            "(rule: 9 and nine more digits, after 0, 98, +98 or 0098)",
            "باید شمارهٔ همراه ایرانی باشد، مانند ۰۹۱۲۱۲۳۴۵۶۷ یا +989121234567 "
            "(قاعده: ۹ و نُه رقم دیگر، پس از ۰ یا ۹۸ یا +98 یا ۰۰۹۸)",
        )
    return f"+98{m.group(1)}"


def format_mobile_local(m: str) -> str:
    """Local form ``09XXXXXXXXX`` of a mobile number (validated by :func:`parse_mobile`)."""
    return f"0{parse_mobile(m)[3:]}"


# --------------------------------------------------------------------------------------------------
# SHEBA (Iranian IBAN) [5.5]
# --------------------------------------------------------------------------------------------------

_IR_AS_DIGITS: Final = "1827"  # ISO 13616: I = 18, R = 27


def _sheba_remainder(sheba: str) -> int:
    """``IR`` + check + BBAN moved to the end, letters as numbers, mod 97 (ISO 7064 MOD 97-10)."""
    return int(sheba[4:] + _IR_AS_DIGITS + sheba[2:4]) % 97


def parse_sheba(value: str) -> str:
    """Return a SHEBA number as ``IR`` + 24 digits, or raise :class:`IdentifierError` [5.5].

    Spaces and dashes are tolerated, ``ir`` may be lower case, and 24 bare digits (forms that print the
    ``IR`` themselves) get the prefix. Valid ⇔ ISO 7064 MOD 97-10 remainder is 1.
    """
    s = _clean(value, "sheba", drop=_SPACES_DASHES).upper()
    if _ASCII_DIGITS.fullmatch(s) and len(s) == 24:
        s = f"IR{s}"
    if not s.startswith("IR"):
        raise _error(
            "sheba",
            "country",
            "must start with IR (rule: Iranian IBAN)",
            "باید با IR شروع شود (قاعده: شبا همان IBAN ایرانی است)",
        )
    digits = s[2:]
    if not _ASCII_DIGITS.fullmatch(digits):
        raise _error("sheba", "digits", "must be IR followed by digits only", "پس از IR فقط باید رقم بیاید")
    if len(digits) != 24:
        raise _error(
            "sheba",
            "length",
            f"must be IR followed by 24 digits; got {len(digits)}",
            f"پس از IR باید ۲۴ رقم بیاید؛ {_fa(len(digits))} رقم وارد شده است",
        )
    if _sheba_remainder(s) != 1:
        raise _error(
            "sheba",
            "checksum",
            "the check digits do not match (rule: ISO 7064 mod 97 of the rearranged number must be 1)",
            "رقم‌های کنترل درست نیست (قاعده: باقی‌ماندهٔ عدد بازچیده بر ۹۷ باید ۱ باشد، استاندارد ISO 7064)",
        )
    return s


def is_valid_sheba(value: str) -> bool:
    """``True`` when :func:`parse_sheba` accepts ``value``."""
    try:
        parse_sheba(value)
    except IdentifierError:
        return False
    return True


def make_sheba(bban: str) -> str:
    """Build a SHEBA number from its 22-digit BBAN (3-digit bank code + 19-digit account) [5.5].

    Check digits = ``98 − (BBAN + "1827" + "00") mod 97``, written with 2 digits (ISO 13616).
    """
    s = _digits(bban, "sheba")
    if len(s) != 22:
        raise _error(
            "sheba",
            "length",
            f"the account part (BBAN) must have 22 digits; got {len(s)}",
            f"بخش حساب (BBAN) باید ۲۲ رقم باشد؛ {_fa(len(s))} رقم داده شده است",
        )
    check = 98 - int(s + _IR_AS_DIGITS + "00") % 97
    return f"IR{check:02d}{s}"


# --------------------------------------------------------------------------------------------------
# Bill ID and payment ID (شناسه قبض و شناسه پرداخت) [5.3]
# --------------------------------------------------------------------------------------------------

SERVICE_TYPE_MUNICIPALITY: Final = 6
BILL_ID_MIN_LENGTH: Final = 6
BILL_ID_MAX_LENGTH: Final = 13
PAYMENT_ID_MIN_LENGTH: Final = 6
PAYMENT_ID_MAX_LENGTH: Final = 13
_FILE_NUMBER_MAX: Final = 99_999_999  # 8 digits
_AMOUNT_THOUSANDS_MAX: Final = 99_999_999  # 8 digits: 13 − year 1 − period 2 − checks 2

_MOD11_RULE_EN: Final = "rule: weights 2 to 7 cycling from the rightmost digit, r = Σ mod 11, 0 if r < 2 else 11 − r"
_MOD11_RULE_FA: Final = (
    "قاعده: وزن‌های ۲ تا ۷ به‌تناوب از راست، باقی‌ماندهٔ مجموع بر ۱۱؛ اگر کمتر از ۲ بود صفر، وگرنه ۱۱ منهای آن"
)


_MOD11_WEIGHTS: Final = (2, 3, 4, 5, 6, 7)


def bill_check_digit(digits: str) -> int:
    """Check digit of the bill/payment standard over ``digits`` (without the check digit) [5.3].

    Weights 2, 3, 4, 5, 6, 7 cycling from the rightmost digit; ``r = Σ d·w mod 11``;
    ``check = 0 if r < 2 else 11 − r``.
    """
    s = _digits(digits, "bill_id")
    r = sum(map(operator.mul, map(int, reversed(s)), itertools.cycle(_MOD11_WEIGHTS))) % 11
    return 0 if r < 2 else 11 - r


def make_bill_id(file_number: int, company_code: str, service_type: int = SERVICE_TYPE_MUNICIPALITY) -> str:
    """Build a bill ID: file number (1–8 digits) + company code (3) + service type (1) + check digit [5.3].

    Service type 6 is the municipality. The company code is assigned to the issuer by the banks'
    informatics council.
    """
    if isinstance(file_number, bool) or not isinstance(file_number, int) or not 1 <= file_number <= _FILE_NUMBER_MAX:
        raise _error(
            "bill_id",
            "file_number",
            "the file number must be a whole number from 1 to 99,999,999 (rule: at most 8 digits)",
            "شمارهٔ پرونده باید عدد صحیحی از ۱ تا ۹۹٬۹۹۹٬۹۹۹ باشد (قاعده: حداکثر ۸ رقم)",
        )
    company = to_latin_digits(company_code).strip() if isinstance(company_code, str) else ""
    if not (len(company) == 3 and _ASCII_DIGITS.fullmatch(company)):
        raise _error(
            "bill_id",
            "company_code",
            "the company code must be exactly 3 digits",
            "کد شرکت باید دقیقاً ۳ رقم باشد",
        )
    if isinstance(service_type, bool) or not isinstance(service_type, int) or not 1 <= service_type <= 9:
        raise _error(
            "bill_id",
            "service_type",
            "the service type must be one digit from 1 to 9 (6 = municipality)",
            "نوع خدمت باید یک رقم از ۱ تا ۹ باشد (۶ = شهرداری)",
        )
    body = f"{file_number}{company}{service_type}"
    return f"{body}{bill_check_digit(body)}"


def validate_bill_id(bill_id: str) -> str:
    """Return the bill ID without leading zeros, or raise :class:`IdentifierError` [5.3].

    6–13 digits; the last digit is :func:`bill_check_digit` of the others.
    """
    s = _digits(bill_id, "bill_id").lstrip("0")
    if not BILL_ID_MIN_LENGTH <= len(s) <= BILL_ID_MAX_LENGTH:
        raise _error(
            "bill_id",
            "length",
            f"must have 6 to 13 digits (leading zeros not counted); got {len(s)}",
            f"باید ۶ تا ۱۳ رقم باشد (بدون صفرهای ابتدا)؛ {_fa(len(s))} رقم وارد شده است",
        )
    if bill_check_digit(s[:-1]) != int(s[-1]):
        raise _error(
            "bill_id",
            "checksum",
            f"the check digit does not match ({_MOD11_RULE_EN})",
            f"رقم کنترل (رقم آخر) درست نیست ({_MOD11_RULE_FA})",
        )
    return s


def _payment_digits(payment_id: str) -> str:
    """Payment ID without leading zeros, checked for length and check1 (which covers it alone)."""
    s = _digits(payment_id, "payment_id").lstrip("0")
    if not PAYMENT_ID_MIN_LENGTH <= len(s) <= PAYMENT_ID_MAX_LENGTH:
        raise _error(
            "payment_id",
            "length",
            f"must have 6 to 13 digits (leading zeros not counted); got {len(s)}",
            f"باید ۶ تا ۱۳ رقم باشد (بدون صفرهای ابتدا)؛ {_fa(len(s))} رقم وارد شده است",
        )
    if bill_check_digit(s[:-2]) != int(s[-2]):
        raise _error(
            "payment_id",
            "check1",
            f"the first check digit (second to last) does not match the payment digits ({_MOD11_RULE_EN})",
            f"رقم کنترل اول (رقم یکی مانده به آخر) با رقم‌های شناسهٔ پرداخت جور نیست ({_MOD11_RULE_FA})",
        )
    return s


def make_payment_id(amount_rials: int, year: int, period: int, bill_id: str) -> str:
    """Build a payment ID for ``bill_id`` [5.3].

    Layout: amount in thousands of Rials + year code (last digit of the Jalali ``year``) + period (2 digits)
    + check1 (over the digits before it) + check2 (over bill ID + payment ID up to and including check1),
    both with :func:`bill_check_digit`.

    ``amount_rials`` must be a positive multiple of 1,000 Rials: rounding a bill to that is the billing
    rule's job, not this function's, so any other amount raises :class:`IdentifierError`.
    """
    bill = validate_bill_id(bill_id)
    if isinstance(amount_rials, bool) or not isinstance(amount_rials, int) or amount_rials <= 0 or amount_rials % 1000:
        raise _error(
            "payment_id",
            "amount",
            f"the amount must be a positive multiple of 1,000 Rials; got {amount_rials!r} "
            "(rule: the payment ID carries the amount in thousands of Rials)",
            f"مبلغ باید مضرب مثبتی از ۱٬۰۰۰ ریال باشد؛ {_fa(repr(amount_rials))} داده شده است "
            "(قاعده: شناسهٔ پرداخت مبلغ را به هزار ریال نشان می‌دهد)",
        )
    thousands = amount_rials // 1000
    if thousands > _AMOUNT_THOUSANDS_MAX:
        raise _error(
            "payment_id",
            "amount_too_large",
            "the amount must be at most 99,999,999,000 Rials (rule: at most 8 digits of thousands of Rials)",
            "مبلغ حداکثر ۹۹٬۹۹۹٬۹۹۹٬۰۰۰ ریال است (قاعده: حداکثر ۸ رقم برای هزار ریال)",
        )
    if isinstance(year, bool) or not isinstance(year, int) or year < 0:
        raise _error(
            "payment_id",
            "year",
            "the year must be a non-negative whole number (rule: its last digit is the year code)",
            "سال باید عدد صحیح نامنفی باشد (قاعده: رقم آخر سال کد سال است)",
        )
    if isinstance(period, bool) or not isinstance(period, int) or not 0 <= period <= 99:
        raise _error(
            "payment_id",
            "period",
            "the period must be a whole number from 0 to 99 (rule: 2 digits)",
            "دوره باید عدد صحیحی از ۰ تا ۹۹ باشد (قاعده: ۲ رقم)",
        )
    body = f"{thousands}{year % 10}{period:02d}"
    check1 = bill_check_digit(body)
    check2 = bill_check_digit(f"{bill}{body}{check1}")
    return f"{body}{check1}{check2}"


def validate_payment_id(payment_id: str, bill_id: str) -> str:
    """Return the payment ID without leading zeros, or raise :class:`IdentifierError` [5.3].

    Checks the bill ID, the payment ID's length (6–13 digits), check1 over the payment digits and check2
    over bill ID + payment ID without its last digit (check2 ties the payment to this bill).
    """
    bill = validate_bill_id(bill_id)
    s = _payment_digits(payment_id)
    if bill_check_digit(bill + s[:-1]) != int(s[-1]):
        raise _error(
            "payment_id",
            "check2",
            "the second check digit (last) does not match this bill ID "
            f"(rule: computed over bill ID + payment ID; {_MOD11_RULE_EN.removeprefix('rule: ')})",
            "رقم کنترل دوم (رقم آخر) با این شناسهٔ قبض جور نیست "
            f"(قاعده: روی شناسهٔ قبض و شناسهٔ پرداخت با هم؛ {_MOD11_RULE_FA.removeprefix('قاعده: ')})",
        )
    return s


def amount_from_payment_id(payment_id: str) -> int:
    """The amount in Rials carried by a payment ID (its leading digits are thousands of Rials) [5.3].

    Checks length and check1; check2 needs the bill ID (:func:`validate_payment_id`).
    """
    s = _payment_digits(payment_id)
    return int(s[:-5]) * 1000


def make_barcode(bill_id: str, payment_id: str) -> str:
    """The 26-digit barcode: bill ID zero-padded to 13 + payment ID zero-padded to 13 [5.3]."""
    bill = validate_bill_id(bill_id)
    payment = validate_payment_id(payment_id, bill)
    return bill.zfill(13) + payment.zfill(13)


def parse_barcode(barcode: str) -> tuple[str, str]:
    """Split and validate a 26-digit bill barcode; return ``(bill_id, payment_id)`` without leading zeros.

    Errors in either half are raised with that half's field (``bill_id`` / ``payment_id``).
    """
    s = _digits(barcode, "barcode", drop=_SPACES_DASHES)
    if len(s) != 26:
        raise _error(
            "barcode",
            "length",
            f"must have 26 digits (bill ID 13 + payment ID 13); got {len(s)}",
            f"باید ۲۶ رقم باشد (۱۳ رقم شناسهٔ قبض و ۱۳ رقم شناسهٔ پرداخت)؛ {_fa(len(s))} رقم وارد شده است",
        )
    bill = validate_bill_id(s[:13])
    return bill, validate_payment_id(s[13:], bill)
