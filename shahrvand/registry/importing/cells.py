"""Cell parsers for the audit format: each turns text into a typed value or raises FieldProblem."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from shahrvand.core.identifiers import (
    IdentifierError,
    RenovationCode,
    parse_mobile,
    parse_national_code,
    parse_postal_code,
)
from shahrvand.core.jalali import parse_jalali_date
from shahrvand.core.text import normalize_letters, to_latin_digits
from shahrvand.registry.importing.problems import FieldProblem
from shahrvand.registry.models import DeedType, LandUse, Occupancy, Structure, UnitUse

Parser = Callable[[str], Any]


def _from_identifier(exc: IdentifierError) -> FieldProblem:
    return FieldProblem(exc.code, exc.message_en, exc.message_fa)


def text(max_length: int) -> Parser:
    def parse(value: str) -> str:
        cleaned = normalize_letters(value)
        if len(cleaned) > max_length:
            raise FieldProblem(
                "text.too_long", f"longer than {max_length} characters", f"بیش از {max_length} نویسه است"
            )
        return cleaned

    return parse


def code_text(value: str) -> str:
    """Short codes (plates, permit and licence numbers): letters normalised, Latin digits."""
    return to_latin_digits(normalize_letters(value))[:40]


def decimal(places: int, *, positive: bool = True, max_value: Decimal = Decimal("1e9")) -> Parser:
    def parse(value: str) -> Decimal:
        raw = to_latin_digits(value).replace("٫", ".").replace(",", "")
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise FieldProblem("number.invalid", "not a number", "عدد نیست") from None
        if not number.is_finite():
            raise FieldProblem("number.invalid", "not a number", "عدد نیست")
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            raise FieldProblem("number.places", f"more than {places} decimal places", f"بیش از {places} رقم اعشار دارد")
        if positive and number <= 0:
            raise FieldProblem("area.not_positive", "area must be greater than zero", "مساحت باید بزرگ‌تر از صفر باشد")
        if number < 0:
            raise FieldProblem("number.negative", "must not be negative", "نباید منفی باشد")
        if number >= max_value:
            raise FieldProblem("number.too_large", "the number is too large", "عدد بیش از حد بزرگ است")
        return number

    return parse


def integer(minimum: int, maximum: int) -> Parser:
    def parse(value: str) -> int:
        raw = to_latin_digits(value)
        if not re.fullmatch(r"[+-]?\d+", raw):
            raise FieldProblem("integer.invalid", "not a whole number", "عدد صحیح نیست")
        number = int(raw)
        if not minimum <= number <= maximum:
            raise FieldProblem(
                "integer.range",
                f"must be between {minimum} and {maximum}",
                f"باید بین {minimum} و {maximum} باشد",
            )
        return number

    return parse


def rials(value: str) -> int:
    raw = to_latin_digits(value).replace(",", "").replace("٬", "")
    if not raw.isdigit():
        raise FieldProblem("money.invalid", "money must be whole Rials", "مبلغ باید ریال و عدد صحیح باشد")
    return int(raw)


def choice(options: type[Any], what_en: str, what_fa: str) -> Parser:
    allowed = {str(v) for v in options.values}

    def parse(value: str) -> str:
        cleaned = value.strip().lower()
        if cleaned not in allowed:
            raise FieldProblem(
                f"{what_en.replace(' ', '_')}.unknown",
                f"unknown {what_en}; one of {', '.join(sorted(allowed))}",
                f"{what_fa} ناشناخته است؛ یکی از {', '.join(sorted(allowed))}",
            )
        return cleaned

    return parse


land_use = choice(LandUse, "land use", "کاربری")
structure = choice(Structure, "structure", "نوع سازه")
unit_use = choice(UnitUse, "use", "کاربری واحد")
occupancy = choice(Occupancy, "occupancy", "وضعیت سکونت")
deed_type = choice(DeedType, "deed type", "نوع سند")


def land_uses(value: str) -> list[str]:
    parts = [p.strip().lower() for p in re.split(r"[;؛]", value) if p.strip()]
    if not parts:
        raise FieldProblem("uses.empty", "no permitted use listed", "هیچ کاربری مجازی ذکر نشده است")
    for part in parts:
        land_use(part)
    return sorted(set(parts), key=parts.index)


def jalali_date(value: str) -> date:
    try:
        return parse_jalali_date(value)
    except ValueError:
        raise FieldProblem(
            "date.invalid", "not a Jalali date YYYY/MM/DD", "تاریخ شمسی معتبر به شکل YYYY/MM/DD نیست"
        ) from None


def renovation_code(value: str) -> RenovationCode:
    try:
        return RenovationCode.parse(value)
    except IdentifierError as exc:
        raise _from_identifier(exc) from None


def national_code(value: str) -> str:
    try:
        return parse_national_code(value)
    except IdentifierError as exc:
        if exc.code == "national_code.checksum":
            raise FieldProblem(exc.code, "checksum of the national code fails", "رقم کنترل کد ملی درست نیست") from None
        raise _from_identifier(exc) from None


def mobile(value: str) -> str:
    try:
        return parse_mobile(value)
    except IdentifierError:
        raise FieldProblem(
            "mobile.invalid", "not an Iranian mobile number", "شماره تلفن همراه ایرانی معتبر نیست"
        ) from None


def postal_code(value: str) -> str:
    try:
        return parse_postal_code(value)
    except IdentifierError as exc:
        raise _from_identifier(exc) from None


def share_dang(value: str) -> Decimal:
    raw = to_latin_digits(value).replace("٫", ".")
    try:
        share = Decimal(raw)
    except InvalidOperation:
        raise FieldProblem("share.invalid", "the share is not a number", "سهم عدد نیست") from None
    exponent = share.as_tuple().exponent
    if not share.is_finite() or (isinstance(exponent, int) and exponent < -3):
        raise FieldProblem("share.places", "the share has more than 3 decimals", "سهم بیش از ۳ رقم اعشار دارد")
    if not Decimal(0) < share <= Decimal(6):
        raise FieldProblem(
            "share.range",
            "the share must be more than 0 and at most 6 dang",
            "سهم باید بیشتر از صفر و حداکثر ۶ دانگ باشد",
        )
    return share.quantize(Decimal("0.001"))


_WKT = re.compile(r"^\s*POLYGON\s*\(\(\s*[-\d.\s,]+\)\)\s*$", re.IGNORECASE)


def polygon_wkt(value: str) -> str:
    if not _WKT.match(value):
        raise FieldProblem("wkt.invalid", "not a WKT POLYGON", "چندضلعی WKT معتبر نیست")
    try:
        points = [
            tuple(float(n) for n in pair.split())
            for pair in value[value.index("((") + 2 : value.rindex("))")].split(",")
        ]
    except ValueError:
        raise FieldProblem("wkt.invalid", "not a WKT POLYGON", "چندضلعی WKT معتبر نیست") from None
    if len(points) < 4 or points[0] != points[-1] or any(len(p) != 2 for p in points):
        raise FieldProblem(
            "wkt.not_closed",
            "the polygon needs at least 4 points and must end where it starts",
            "چندضلعی باید دست‌کم ۴ نقطه داشته باشد و به نقطه آغاز برگردد",
        )
    if any(not (-180 <= lon <= 180 and -90 <= lat <= 90) for lon, lat in points):
        raise FieldProblem(
            "wkt.range", "coordinates are not WGS84 longitude/latitude", "مختصات طول و عرض جغرافیایی نیست"
        )
    return value.strip()
