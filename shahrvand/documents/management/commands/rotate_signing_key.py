"""``manage.py rotate_signing_key --city SLUG``: a new signing key for a city; the old one is retired.

The new key signs every document from now on. Retired keys stay published in /verify/keys.json,
so papers signed with them still verify. Exit status: 0 done; 2 unknown city.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from shahrvand.core.models import City
from shahrvand.documents.keys import key_dir, signing_key_rotate


class Command(BaseCommand):
    help = (
        "Create a new Ed25519 signing key for a city and retire its current one (it stays published). "
        "The private key is written to SHAHRVAND_KEY_DIR with mode 0600."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--city", required=True, metavar="SLUG", help="the city, e.g. bojnurd")

    def handle(self, *args: Any, **options: Any) -> None:
        city = City.objects.filter(slug=options["city"]).first()
        if city is None:
            known = ", ".join(City.objects.order_by("slug").values_list("slug", flat=True)) or "none"
            self.stderr.write(f"Unknown city {options['city']!r} (known: {known}) / شهر ناشناخته")
            sys.exit(2)
        key = signing_key_rotate(actor=None, city=city)
        self.stdout.write(
            f"New signing key {key.key_id} for {city.slug}, valid until {key.valid_until.isoformat()}; "
            f"private key in {key_dir() / (key.key_id + '.pem')}. Earlier keys are retired and stay published."
        )
