"""``manage.py payments_reconcile`` — resolve payment attempts stuck with the bank (run every minute)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from shahrvand.payments.services import payments_reconcile


class Command(BaseCommand):
    help = "Resolve online payments stuck after the callback or in verification, by asking the bank."

    def handle(self, *args: Any, **options: Any) -> None:
        report = payments_reconcile()
        self.stdout.write(
            json.dumps({"looked_at": report.looked_at, "outcomes": dict(report.outcomes), "errors": report.errors})
        )
