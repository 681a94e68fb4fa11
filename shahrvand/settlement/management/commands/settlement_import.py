"""``manage.py settlement_import PATH --city SLUG [--bank NAME] [--date YYYY/MM/DD] [--dry-run]``.

Imports a bank settlement file (``docs/settlement-format.md``) as the system. The bank and the
settlement date come from the file name (``mellat_14050912.csv``) or from the options.

Exit status: 0 imported (also: already imported, or with --dry-run valid); 1 rejected (the report
is printed, nothing was written); 2 usage (unknown city, no such file, bad date).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from shahrvand.core.jalali import parse_jalali_date
from shahrvand.core.models import City
from shahrvand.settlement.models import Outcome
from shahrvand.settlement.services import ACTOR_LABEL, settlement_import


class Command(BaseCommand):
    help = "Import a bank settlement file (CSV) into a city: settle the bills it paid, record the rest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the settlement file (CSV UTF-8)")
        parser.add_argument("--city", required=True, help="city slug, e.g. bojnurd")
        parser.add_argument("--bank", default="", help="bank code, e.g. mellat (default: from the file name)")
        parser.add_argument(
            "--date", default="", help="Jalali settlement date YYYY/MM/DD (default: from the file name)"
        )
        parser.add_argument("--dry-run", action="store_true", help="check and show the outcomes; write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        city = City.objects.filter(slug=options["city"]).first()
        if city is None:
            self.stderr.write(f"Unknown city {options['city']!r} / شهر ناشناخته")
            sys.exit(2)
        path: Path = options["path"]
        if not path.is_file():
            self.stderr.write(f"No such file: {path} / چنین فایلی نیست")
            sys.exit(2)
        date = None
        if options["date"]:
            try:
                date = parse_jalali_date(options["date"])
            except ValueError:
                self.stderr.write(f"Not a Jalali date YYYY/MM/DD: {options['date']!r} / تاریخ شمسی نادرست")
                sys.exit(2)
        result = settlement_import(
            actor=None,
            city=city,
            path_or_bytes=path,
            name=path.name,
            bank=options["bank"],
            settlement_date=date,
            dry_run=options["dry_run"],
            actor_label=ACTOR_LABEL,
        )
        if result.status == "rejected":
            for p in result.problems:
                where = f"line {p.line}" if p.line else "file"
                column = f" {p.column}" if p.column else ""
                self.stderr.write(f"ERROR {where}{column} [{p.code}] {p.message_en} / {p.message_fa}")
            more = " (stopped reading after too many problems)" if result.truncated else ""
            self.stderr.write(f"REJECTED: {len(result.problems)} problems{more}; nothing was written.")
            sys.exit(1)
        self.stdout.write(f"bank {result.bank}, settlement date {result.settlement_date}, sha256 {result.sha256}")
        if result.counts:
            self.stdout.write(f"{'outcome':<20} {'lines':>8} {'Rials':>18}")
            for outcome in Outcome.values:
                self.stdout.write(
                    f"{outcome:<20} {result.counts.get(outcome, 0):>8} {result.amounts.get(outcome, 0):>18,}"
                )
        messages = {
            "dry_run": "DRY RUN: valid; nothing was written.",
            "already_imported": "ALREADY IMPORTED: this very file was imported before; nothing changed.",
            "imported": f"IMPORTED: {result.line_count} lines.",
        }
        self.stdout.write(messages[result.status])
