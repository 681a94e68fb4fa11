"""``manage.py api_key_issue --kind notary|bank --name NAME --office N --city SLUG``: a key for one office.

Prints the key once (only its SHA-256 is stored): hand it to the office over a safe channel. One
live key per office; revoke the old one first (``api_key_revoke``). Exit status: 0 issued; 2 refused.
"""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from shahrvand.api.models import InstitutionKey
from shahrvand.api.services import ApiError, institution_key_issue
from shahrvand.core.models import City


class Command(BaseCommand):
    help = "Issue an API key for a notary office or a bank of a city; the key is printed once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", required=True, choices=InstitutionKey.Kind.values)
        parser.add_argument("--name", required=True, help="the office's name, e.g. 'دفتر اسناد رسمی ۱۲ بجنورد'")
        parser.add_argument("--office", required=True, help="the office number (a notary's number, a bank's branch)")
        parser.add_argument("--city", required=True, metavar="SLUG", help="the city, e.g. bojnurd")

    def handle(self, *args: Any, **options: Any) -> None:
        city = City.objects.filter(slug=options["city"]).first()
        if city is None:
            self.stderr.write(f"Unknown city {options['city']!r} / شهر ناشناخته")
            sys.exit(2)
        try:
            issued = institution_key_issue(
                kind=options["kind"],
                name=options["name"],
                office_number=options["office"],
                city=city,
                issued_by=f"api_key_issue ({getpass.getuser()})",
            )
        except ApiError as exc:
            self.stderr.write(f"{exc.message_en} / {exc.message_fa}")
            sys.exit(2)
        key = issued.key
        self.stderr.write(
            f"Key {key.pk} for {key.kind} office {key.office_number} ({key.name}) of {city.slug}. "
            "It is shown only now; store it safely."
        )
        self.stdout.write(issued.secret)
