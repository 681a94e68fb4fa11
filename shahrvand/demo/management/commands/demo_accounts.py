"""``manage.py demo_accounts``: print the demo accounts and their passwords (``make run`` does)."""

from __future__ import annotations

import base64
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from shahrvand.citizens.demo import DEMO_CITIZEN_PASSWORD
from shahrvand.citizens.models import Citizen
from shahrvand.core.models import Role, User
from shahrvand.demo.accounts import DEMO_STAFF, demo_totp_key


class Command(BaseCommand):
    help = "Print the demo accounts that exist in this database, with their demo passwords."

    def handle(self, *args: Any, **options: Any) -> None:
        existing = set(
            User.objects.filter(username__in=[a.username for a in DEMO_STAFF]).values_list("username", flat=True)
        )
        url = settings.SHAHRVAND_PUBLIC_URL
        self.stdout.write(f"\nShahrvand demo — {url}/   (staff log in at {url}/login/)\n")
        self.stdout.write(f"{'role':<22} {'username':<12} {'password':<22} districts")
        for account in DEMO_STAFF:
            if account.username not in existing:
                continue
            scope = ", ".join(f"bojnurd-{n}" for n in account.district_numbers) or "all of Bojnurd"
            role = str(Role(account.role).label)
            self.stdout.write(f"{role:<22} {account.username:<12} {account.password:<22} {scope}")
        self.stdout.write(
            "Staff sign in with a second factor (TOTP): `.venv/bin/python manage.py demo_totp USERNAME` prints the\n"
            "current code of a demo account, or add its secret (base32 below) to an authenticator app."
        )
        for account in DEMO_STAFF:
            if account.username in existing:
                secret = base64.b32encode(bytes.fromhex(demo_totp_key(account.username))).decode()
                self.stdout.write(f"  {account.username:<12} {secret}")
        citizen = Citizen.objects.select_related("person").filter(activated_at__isnull=False).order_by("pk").first()
        if citizen is not None:
            self.stdout.write(
                f"Citizen (portal {url}/portal/login/): national code {citizen.person.national_code} "
                f"or citizen code {citizen.citizen_code}, password {DEMO_CITIZEN_PASSWORD}"
            )
        self.stdout.write("Other citizens are enrolled at the counter (/staff/enroll/), then activate online.\n")
