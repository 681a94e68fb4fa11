"""``manage.py holidays_solar --city bojnurd --year 1405``: the year's holidays fixed in the solar calendar.

Nowruz, 12 and 13 Farvardin, 14 and 15 Khordad, 22 Bahman and 29 Esfand; days already entered are
left as they are. The religious holidays (lunar calendar) are entered by staff on the holidays page.
Exit status: 0 done; 2 usage (unknown city, impossible year).
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from shahrvand.cases.services import holidays_add_solar
from shahrvand.core.jalali import format_jalali
from shahrvand.core.models import City


class Command(BaseCommand):
    help = "Add the official holidays fixed in the solar calendar for a Jalali year."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--city", required=True, help="city slug, e.g. bojnurd")
        parser.add_argument("--year", required=True, type=int, help="Jalali year, e.g. 1405")

    def handle(self, *args: Any, **options: Any) -> None:
        city = City.objects.filter(slug=options["city"]).first()
        if city is None:
            self.stderr.write(f"Unknown city {options['city']!r} / شهر ناشناخته")
            sys.exit(2)
        if not 1300 <= options["year"] <= 1600:
            self.stderr.write("The year must be a Jalali year such as 1405 / سال باید سال شمسی باشد")
            sys.exit(2)
        added = holidays_add_solar(city=city, year=options["year"])
        for holiday in added:
            self.stdout.write(f"{format_jalali(holiday.date)} {holiday.name}")
        self.stdout.write(f"ADDED: {len(added)} holidays.")
