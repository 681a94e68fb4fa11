"""``manage.py reconcile --city SLUG --date YYYY/MM/DD [--bank NAME] [--csv FILE]``.

Prints the reconciliation of a settlement date (Jalali): per section its count and Rials, and
every line or payment to follow up; ``--csv`` writes every row of every section.

Exit status: 0 (the report was made, whatever it says); 2 usage (unknown city, bad date).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from shahrvand.core import jalali
from shahrvand.core.models import City
from shahrvand.settlement.parsing import normalize_bank
from shahrvand.settlement.reconcile import FOLLOW_UP_SECTIONS, SECTIONS, reconcile


class Command(BaseCommand):
    help = "Reconcile a settlement date: matched, paid but unknown, amount mismatch, known but missing, paid twice."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--city", required=True, help="city slug, e.g. bojnurd")
        parser.add_argument("--date", required=True, help="Jalali settlement date YYYY/MM/DD")
        parser.add_argument("--bank", default="", help="only this bank's files, e.g. mellat")
        parser.add_argument("--csv", type=Path, help="write every row of the report here (CSV UTF-8)")

    def handle(self, *args: Any, **options: Any) -> None:
        city = City.objects.filter(slug=options["city"]).first()
        if city is None:
            self.stderr.write(f"Unknown city {options['city']!r} / شهر ناشناخته")
            sys.exit(2)
        try:
            date = jalali.parse_jalali_date(options["date"])
        except ValueError:
            self.stderr.write(f"Not a Jalali date YYYY/MM/DD: {options['date']!r} / تاریخ شمسی نادرست")
            sys.exit(2)
        bank = normalize_bank(options["bank"]) if options["bank"] else ""
        if options["bank"] and not bank:
            self.stderr.write(f"Not a bank code: {options['bank']!r} / کد بانک نادرست")
            sys.exit(2)
        report = reconcile(actor=None, city=city, date=date, bank=bank)
        self.stdout.write(
            f"Reconciliation / مغایرت‌گیری — {city.slug} {jalali.format_jalali(date)}" + (f" {bank}" if bank else "")
        )
        if report.files:
            for f in report.files:
                self.stdout.write(f"file / فایل: {f.original_name} ({f.bank}, {f.line_count} lines)")
        else:
            self.stdout.write("No settlement file for this date / فایل تسویه‌ای برای این تاریخ وارد نشده است")
        self.stdout.write(f"{'section':<20} {'count':>8} {'Rials':>18}  label / عنوان")
        for t in report.totals:
            self.stdout.write(f"{t.key:<20} {t.count:>8} {t.amount:>18,}  {t.label_en} / {t.label_fa}")
        for key in FOLLOW_UP_SECTIONS:
            rows = report.rows(key)
            if not rows:
                continue
            _, label_en, label_fa = SECTIONS[key]
            self.stdout.write(f"\n{label_en} / {label_fa}:")
            for row in rows:
                where = f"{row.file_name}:{row.line_number}" if row.line_number else row.reference
                expected = f" expected {row.expected_amount:,}" if row.expected_amount is not None else ""
                self.stdout.write(
                    f"  {row.bill_id} {row.amount:,}{expected} trace {row.trace_number or '-'} {row.channel or '-'} "
                    f"{jalali.format_jalali(row.paid_at, '%Y/%m/%d %H:%M:%S')} {where} {row.note_en}".rstrip()
                )
        if options["csv"]:
            options["csv"].write_text(report.csv(), encoding="utf-8")
            self.stdout.write(f"\nCSV: {options['csv']}")
        self.stdout.write(f"\nTo follow up / نیازمند پیگیری: {report.follow_up}")
