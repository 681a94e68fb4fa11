"""Jalali (Solar Hijri) dates in Asia/Tehran, through jdatetime (never a home-made converter)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import jdatetime

from shahrvand.core.text import to_latin_digits

TEHRAN = ZoneInfo("Asia/Tehran")
_JALALI_DATE = re.compile(r"^\s*(\d{4})\s*[/-]\s*(\d{1,2})\s*[/-]\s*(\d{1,2})\s*$")


def to_tehran(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime: Shahrvand stores aware datetimes only")
    return value.astimezone(TEHRAN)


def to_jalali(value: dt.date | dt.datetime) -> jdatetime.date | jdatetime.datetime:
    """A Gregorian date, or an aware datetime seen in Tehran, as a jdatetime object."""
    if isinstance(value, dt.datetime):
        return jdatetime.datetime.fromgregorian(datetime=to_tehran(value))
    return jdatetime.date.fromgregorian(date=value)


def format_jalali(value: dt.date | dt.datetime, fmt: str = "%Y/%m/%d", *, locale: str = "fa_IR") -> str:
    """Format with jdatetime's strftime (``%B`` is the month name in the given locale)."""
    j: jdatetime.date
    if isinstance(value, dt.datetime):
        j = jdatetime.datetime.fromgregorian(datetime=to_tehran(value), locale=locale)
    else:
        j = jdatetime.date.fromgregorian(date=value, locale=locale)
    return str(j.strftime(fmt))


def parse_jalali_date(value: str) -> dt.date:
    """``1405/01/15`` or ``1405-01-15`` (any digit set) → the Gregorian ``date``; ValueError if invalid."""
    match = _JALALI_DATE.match(to_latin_digits(value))
    if not match:
        raise ValueError(f"not a Jalali date YYYY/MM/DD: {value!r}")
    year, month, day = (int(part) for part in match.groups())
    try:
        return jdatetime.date(year, month, day).togregorian()
    except ValueError as exc:
        raise ValueError(f"no such Jalali date: {value!r}") from exc


def jalali_year(value: dt.date | dt.datetime) -> int:
    return int(to_jalali(value).year)


def today() -> dt.date:
    """Today's date in Tehran."""
    return dt.datetime.now(TEHRAN).date()


def year_start(year: int) -> dt.date:
    """1 Farvardin of the Jalali ``year``, as a Gregorian date."""
    return jdatetime.date(year, 1, 1).togregorian()


def year_end(year: int) -> dt.date:
    """The last day of Esfand (29th, or 30th in a leap year) of the Jalali ``year``."""
    return jdatetime.date(year + 1, 1, 1).togregorian() - dt.timedelta(days=1)
