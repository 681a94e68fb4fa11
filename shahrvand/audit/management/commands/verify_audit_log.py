"""``manage.py verify_audit_log``: exit 0 when the chain is intact, 1 naming the first bad entry."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from shahrvand.audit.selectors import audit_chain_verify


class Command(BaseCommand):
    help = "Check the audit trail's hash chain end to end."

    def handle(self, *args: Any, **options: Any) -> None:
        status = audit_chain_verify()
        if status.intact:
            self.stdout.write(f"INTACT: {status.checked} entries, last #{status.last_good_seq or 0}")
            return
        self.stderr.write(
            f"BROKEN at entry #{status.first_bad_seq}: {status.problem} "
            f"(verified {status.checked} entries up to #{status.last_good_seq or 0})"
        )
        raise SystemExit(1)
