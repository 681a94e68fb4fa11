"""Working days for SLAs: the week with its weekend, and the city's holidays (Jalali calendar).

The weekend is ``settings.SHAHRVAND_WEEKEND`` — Python weekday numbers, Friday (``4``) by default;
a city whose offices also close on Thursdays sets ``[3, 4]``. Holidays are the city's
:class:`~shahrvand.cases.models.Holiday` rows, edited by staff because the religious holidays move
every year. Days are Tehran days. A deadline is the end (23:59:59, Tehran) of the last working day
it allows.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from django.conf import settings

from shahrvand.cases.models import Holiday
from shahrvand.core.jalali import TEHRAN, to_tehran
from shahrvand.core.models import City

DEFAULT_WEEKEND: Final = (4,)  # Friday
END_OF_DAY: Final = dt.time(23, 59, 59)
ONE_DAY: Final = dt.timedelta(days=1)
_CHUNK: Final = 120  # holidays are read this many days at a time
_LIMIT: Final = 3660  # no deadline is ten years away: a calendar with no working day is an error

# The official holidays fixed in the solar calendar (Jalali month, day, name). The religious ones
# follow the lunar calendar and move every year: staff enter them on the holidays page.
SOLAR_HOLIDAYS: Final = (
    (1, 1, "عید نوروز"),
    (1, 2, "عید نوروز"),
    (1, 3, "عید نوروز"),
    (1, 4, "عید نوروز"),
    (1, 12, "روز جمهوری اسلامی"),
    (1, 13, "روز طبیعت"),
    (3, 14, "رحلت امام خمینی"),
    (3, 15, "قیام ۱۵ خرداد"),
    (11, 22, "پیروزی انقلاب اسلامی"),
    (12, 29, "روز ملی شدن صنعت نفت"),
)


def weekend_days() -> frozenset[int]:
    days = getattr(settings, "SHAHRVAND_WEEKEND", DEFAULT_WEEKEND)
    weekend = frozenset(int(d) for d in days)
    if not weekend <= set(range(7)) or len(weekend) == 7:
        raise ValueError("SHAHRVAND_WEEKEND lists Python weekday numbers (0 = Monday … 6 = Sunday), not all seven")
    return weekend


class WorkingCalendar:
    """Which days are working days for one city, reading its holidays as the walk needs them."""

    def __init__(self, city: City) -> None:
        self.city = city
        self.weekend = weekend_days()
        self.holidays: set[dt.date] = set()
        self.read_from: dt.date | None = None
        self.read_until: dt.date | None = None

    def _read(self, first: dt.date, last: dt.date) -> None:
        self.holidays |= set(
            Holiday.objects.filter(city=self.city, date__gte=first, date__lte=last).values_list("date", flat=True)
        )

    def is_working(self, day: dt.date) -> bool:
        if self.read_from is None or self.read_until is None:
            self.read_from, self.read_until = day, day + dt.timedelta(days=_CHUNK)
            self._read(self.read_from, self.read_until)
        elif day > self.read_until:
            first, self.read_until = self.read_until + ONE_DAY, day + dt.timedelta(days=_CHUNK)
            self._read(first, self.read_until)
        elif day < self.read_from:
            last, self.read_from = self.read_from - ONE_DAY, day - dt.timedelta(days=_CHUNK)
            self._read(self.read_from, last)
        return day.weekday() not in self.weekend and day not in self.holidays


def end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=TEHRAN)


def add_working_days(start: dt.datetime, days: int, city: City) -> dt.datetime:
    """The end of the ``days``-th working day after the day of ``start``.

    Filed on a Wednesday with 1 day: the end of Thursday — or of Saturday when Thursday is a
    holiday, Friday being the weekend. ``days == 0``: the end of the day of ``start`` if it is a
    working day, else of the next working day.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    calendar = WorkingCalendar(city)
    day = to_tehran(start).date()
    limit = day + dt.timedelta(days=_LIMIT)
    counted = 0
    if days == 0:
        while not calendar.is_working(day):
            day += ONE_DAY
            if day > limit:
                raise ValueError("no working day in ten years: check the weekend setting and the holidays")
        return end_of_day(day)
    while counted < days:
        day += ONE_DAY
        if day > limit:
            raise ValueError("no working day in ten years: check the weekend setting and the holidays")
        if calendar.is_working(day):
            counted += 1
    return end_of_day(day)


def working_days_between(a: dt.datetime, b: dt.datetime, city: City, *, calendar: WorkingCalendar | None = None) -> int:
    """Working days after the day of ``a`` up to and including the day of ``b``; negative when ``b`` is earlier.

    ``working_days_between(now, case.due_at, city)`` is what is left of an SLA: 0 on its last day,
    below 0 when it is overdue by that many working days.
    """
    first, last = to_tehran(a).date(), to_tehran(b).date()
    sign = 1
    if last < first:
        first, last, sign = last, first, -1
    calendar = calendar if calendar is not None and calendar.city.pk == city.pk else WorkingCalendar(city)
    count = 0
    day = first
    while day < last:
        day += ONE_DAY
        if calendar.is_working(day):
            count += 1
    return sign * count


def is_working_day(day: dt.date, city: City) -> bool:
    return WorkingCalendar(city).is_working(day)
