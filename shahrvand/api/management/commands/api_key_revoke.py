"""``manage.py api_key_revoke (--id N | --prefix shvk_XXXX) --reason TEXT``: stop a key at once.

``--list`` shows the keys (id, kind, office, city, prefix, state). Exit status: 0 done; 2 refused.
"""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from shahrvand.api.models import InstitutionKey
from shahrvand.api.services import ApiError, institution_key_revoke


class Command(BaseCommand):
    help = "Revoke an institution's API key (by id or by its printed prefix), or --list the keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--id", type=int)
        parser.add_argument("--prefix", help="the first characters of the key, e.g. shvk_AbCd")
        parser.add_argument("--reason", default="")
        parser.add_argument("--list", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for key in InstitutionKey.objects.select_related("city"):
                state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "live"
                self.stdout.write(
                    f"{key.pk}\t{key.kind}\t{key.office_number}\t{key.city.slug}\t{key.prefix}\t{state}\t{key.name}"
                )
            return
        keys = InstitutionKey.objects.all()
        if options["id"] is not None:
            keys = keys.filter(pk=options["id"])
        elif options["prefix"]:
            keys = keys.filter(prefix=options["prefix"][:9], revoked_at__isnull=True)
        else:
            self.stderr.write("Give --id or --prefix (or --list).")
            sys.exit(2)
        found = list(keys[:2])
        if len(found) != 1:
            self.stderr.write("No such key, or the prefix names more than one: use --id. / کلید پیدا نشد")
            sys.exit(2)
        try:
            key = institution_key_revoke(
                key=found[0], reason=options["reason"], revoked_by=f"api_key_revoke ({getpass.getuser()})"
            )
        except ApiError as exc:
            self.stderr.write(f"{exc.message_en} / {exc.message_fa}")
            sys.exit(2)
        self.stdout.write(f"Key {key.pk} ({key.prefix}…, {key.kind} office {key.office_number}) revoked.")
