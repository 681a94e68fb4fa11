"""``manage.py import_audit PATH --district CODE [--dry-run] [--report FILE]``.

Exit status: 0 imported (or, with --dry-run, valid); 1 rejected (nothing written, report
written); 2 usage (unknown district, bad arguments).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from shahrvand.core.selectors import district_get
from shahrvand.registry.importing.apply import ENTITIES
from shahrvand.registry.importing.problems import report_csv
from shahrvand.registry.services import audit_import


class Command(BaseCommand):
    help = "Import a property-audit delivery (folder of CSV files, .zip or .xlsx) into a district."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="folder, .zip or .xlsx in the audit format")
        parser.add_argument("--district", required=True, help="district code, e.g. bojnurd-1")
        parser.add_argument("--dry-run", action="store_true", help="validate and show what would change")
        parser.add_argument("--report", type=Path, help="write the problem report (CSV) here")

    def handle(self, *args: Any, **options: Any) -> None:
        district = district_get(slug=options["district"])
        if district is None:
            self.stderr.write(f"Unknown district {options['district']!r} / منطقه ناشناخته")
            sys.exit(2)
        path: Path = options["path"]
        if not path.exists():
            self.stderr.write(f"No such file or folder: {path} / چنین فایل یا پوشه‌ای نیست")
            sys.exit(2)
        result = audit_import(actor=None, district=district, path=path, dry_run=options["dry_run"])
        if options["report"]:
            options["report"].write_text(report_csv(result.problems), encoding="utf-8")
        for problem in result.problems:
            stream = self.stderr if problem.severity == "error" else self.stdout
            stream.write(
                f"{problem.severity.upper()} {problem.file}:{problem.row}:{problem.column} "
                f"[{problem.code}] {problem.message_en} / {problem.message_fa}"
            )
        if result.status == "rejected":
            self.stderr.write(f"REJECTED: {len(result.errors)} errors; nothing was written.")
            sys.exit(1)
        self._counts(result.counts)
        messages = {
            "dry_run": "DRY RUN: valid; nothing was written.",
            "unchanged": "UNCHANGED: the registry already matches this delivery; nothing was written.",
            "applied": "IMPORTED.",
        }
        self.stdout.write(messages[result.status])

    def _counts(self, counts: dict[str, dict[str, int]]) -> None:
        self.stdout.write(f"{'entity':<12} {'new':>8} {'changed':>8} {'unchanged':>10} {'missing':>8}")
        for name in ENTITIES:
            if name in counts:
                c = counts[name]
                self.stdout.write(f"{name:<12} {c['new']:>8} {c['changed']:>8} {c['unchanged']:>10} {c['missing']:>8}")
