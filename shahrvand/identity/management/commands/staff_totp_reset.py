"""``staff_totp_reset USERNAME``: remove a staff member's authenticator app (a lost phone).

The next sign-in with the password asks them to enrol a new app. The reset is audited.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shahrvand.core.models import User
from shahrvand.identity.services import totp_reset


class Command(BaseCommand):
    help = "Remove a staff member's TOTP device so they enrol a new authenticator app at the next sign-in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(**{User.USERNAME_FIELD: options["username"]}).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        removed = totp_reset(actor=None, user=user, actor_label="staff_totp_reset")
        self.stdout.write(
            f"{user.get_username()}: {removed} authenticator device(s) removed; the next sign-in enrols a new one."
        )
