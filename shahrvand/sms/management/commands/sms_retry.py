"""``sms_retry``: deliver again the text messages still queued or failed (run it from a timer)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from shahrvand.sms.services import sms_retry_pending


class Command(BaseCommand):
    help = "Resend queued or failed text messages (younger than --max-age-hours, not expired, not exhausted)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=100, help="at most this many messages (default 100)")
        parser.add_argument("--max-age-hours", type=int, default=24, help="skip older messages (default 24)")

    def handle(self, *args: Any, **options: Any) -> None:
        report = sms_retry_pending(limit=options["limit"], max_age=timedelta(hours=options["max_age_hours"]))
        self.stdout.write(f"sms_retry: {report.tried} tried, {report.sent} sent, {report.failed} failed")
