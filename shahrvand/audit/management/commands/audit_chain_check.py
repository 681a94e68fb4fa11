"""``manage.py audit_chain_check [--full]``: check the chain from the last intact check and record it.

Exit 0 when intact, 1 naming the first bad entry. Run it from cron (e.g. hourly); the auditor's
page shows the last result. ``verify_audit_log`` stays the stateless full check.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from shahrvand.audit.services import chain_check_run


class Command(BaseCommand):
    help = "Check the audit chain incrementally (or --full) and record the result for the auditor's page."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="walk the whole chain from entry 1")

    def handle(self, *args: Any, **options: Any) -> None:
        check = chain_check_run(actor=None, full=options["full"])
        if check.ok:
            self.stdout.write(f"INTACT: {check.checked} entries checked, verified up to #{check.seq or 0}")
            return
        self.stderr.write(f"BROKEN at entry #{check.first_bad_seq}: {check.problem} (intact up to #{check.seq or 0})")
        raise SystemExit(1)
