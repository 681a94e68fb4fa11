"""``manage.py assess --year 1405 --district bojnurd-1 [--dry-run]``: the annual assessment of a district.

Exit 0 when the run is done; 2 on a usage error (unknown district, no tariff in force, guild codes
the tariff does not class), with the message in Persian and English; 1 when the run failed (nothing
was written). Progress goes to stderr: a bar on a terminal, otherwise a line every few seconds.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shahrvand.core.selectors import district_get
from shahrvand.revenue.assessment import AssessmentError, assessment_execute, assessment_prepare

PROGRESS_EVERY_SECONDS = 5.0


class Command(BaseCommand):
    help = "Compute the year's bills (property duty and waste, business duty and waste) for one district."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True, help="Jalali year, e.g. 1405")
        parser.add_argument("--district", required=True, help="district slug, e.g. bojnurd-1")
        parser.add_argument("--dry-run", action="store_true", help="compute and report, write no bill")

    def handle(self, *args: Any, **options: Any) -> None:
        district = district_get(slug=options["district"])
        if district is None:
            raise CommandError(
                f"منطقه «{options['district']}» وجود ندارد / no such district: {options['district']}", returncode=2
            )
        try:
            run = assessment_prepare(actor=None, district=district, year=options["year"], dry_run=options["dry_run"])
        except AssessmentError as exc:
            raise CommandError(f"{exc.message_fa}\n{exc.message_en}", returncode=2) from exc
        err = self.stderr
        tty = err.isatty()
        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            if tty:
                width = 40
                filled = width * done // total if total else width
                err.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending="")
                if done >= total:
                    err.write("")
                err.flush()
            elif now - last[0] >= PROGRESS_EVERY_SECONDS or done >= total:
                last[0] = now
                err.write(f"assess {district.slug}: {done}/{total}")

        try:
            run = assessment_execute(run=run, progress=progress)
        except AssessmentError as exc:
            raise CommandError(f"{exc.message_fa}\n{exc.message_en}", returncode=1) from exc
        except Exception as exc:
            raise CommandError(
                f"اجرای ممیزی ناموفق بود؛ قبضی ثبت نشد / the run failed, no bill written: {exc}"
            ) from exc
        counts = run.counts
        mode = " (dry run: nothing written)" if run.dry_run else ""
        self.stdout.write(
            f"{district.slug} {run.year}, tariff v{run.tariff.version}{mode}: "
            + ", ".join(f"{key} {value}" for key, value in counts.items())
        )
        for problem in run.problems[:20]:
            self.stdout.write(f"  {problem['message_en']}")
        if len(run.problems) > 20:
            self.stdout.write(f"  … {len(run.problems) - 20} more (see the run page)")
