"""``manage.py demo_totp USERNAME``: the current second-factor code of a demo staff account.

Demo only: the demo accounts' TOTP secrets are published in the demo data, so a tester without an
authenticator app can still sign in. Refused in production.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo staff account (demo data only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("demo_totp is for the demo: not in production.")
        device = TOTPDevice.objects.filter(user__username=options["username"], name="demo", confirmed=True).first()
        if device is None:
            raise CommandError(f"{options['username']} has no demo second factor (run seed_demo).")
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        self.stdout.write(f"{code:0{device.digits}d}")
