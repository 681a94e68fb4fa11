"""``manage.py verify_document (FILE.pdf | --qr TEXT) [--keys FILE]``: offline check of a document.

Exit status: 0 valid; 1 invalid; 2 usage (no such file, unreadable keys, FILE and --qr together).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError

from shahrvand.documents.payload import PublicKey, keys_from_json
from shahrvand.documents.verify import Report, verify_pdf, verify_qr

HELP = """Check a Shahrvand document offline: its PDF file, or the text of its QR code.

For a PDF, the QR code is read from the rendered page, its Ed25519 signature is checked with the
published keys (and the key's validity at the issue time), the certified fields the PDF carries
are compared with the signed digest, and the certified values must be printed on the page.
With --qr, only the signature over the QR's fields is checked.

Prints VALID or "INVALID: <reason>" (bad_signature, unknown_key, key_not_valid_then,
digest_mismatch, no_fields, text_mismatch, no_qr, malformed, not_pdf), then the signed fields.
Exit status: 0 valid, 1 invalid, 2 usage error.

The keys: --keys FILE reads a saved copy of /verify/keys.json, so the check needs no network and no
database; without it, the keys published by this installation's database are used.

Revocation and reissue cannot be checked offline: a VALID signature says the municipality issued
the document, not that it still stands. The current status is only on /verify/<number> online.
"""


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", type=Path, help="the document's PDF file")
        parser.add_argument("--qr", metavar="TEXT", help="the text of the QR code instead of a PDF")
        parser.add_argument("--keys", metavar="FILE", type=Path, help="a saved /verify/keys.json (offline)")

    def _usage(self, message: str) -> None:
        self.stderr.write(message)
        sys.exit(2)

    def _keys(self, path: Path | None) -> dict[str, PublicKey]:
        if path is not None:
            try:
                return keys_from_json(json.loads(path.read_text(encoding="utf-8")))
            except OSError as exc:
                self._usage(f"Cannot read the keys file {path}: {exc.strerror or exc}")
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                self._usage(f"{path} is not a keys.json file ({exc.__class__.__name__}: {exc})")
        from shahrvand.documents.keys import keys_for_check

        try:
            return keys_for_check()
        except DatabaseError as exc:
            self._usage(f"No keys: the database cannot be read ({exc}). Pass --keys FILE (a saved keys.json).")
        raise AssertionError("unreachable")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path | None = options["file"]
        qr: str | None = options["qr"]
        if (path is None) == (qr is None):
            self._usage("Give either a PDF file or --qr TEXT (not both).")
        keys = self._keys(options["keys"])
        if qr is not None:
            report = verify_qr(qr, keys)
        else:
            assert path is not None
            if not path.is_file():
                self._usage(f"No such file: {path}")
            try:
                data = path.read_bytes()
            except OSError as exc:
                self._usage(f"Cannot read {path}: {exc.strerror or exc}")
            report = verify_pdf(data, keys)
        self._print(report)
        if not report.valid:
            sys.exit(1)

    def _print(self, report: Report) -> None:
        if report.valid:
            self.stdout.write("VALID")
        else:
            self.stdout.write(f"INVALID: {report.outcome}")
        self.stdout.write(f"  {report.message}")
        items = report.signed_items()
        if items:
            self.stdout.write("Signed fields (QR):")
            for name, value in items:
                self.stdout.write(f"  {name}: {value}")
        if report.fields is not None:
            self.stdout.write("Certified fields (PDF):")
            for name, value in report.fields.items():
                shown = "; ".join(str(v) for v in value) if isinstance(value, list) else value
                self.stdout.write(f"  {name}: {shown}")
        if report.valid and report.payload is not None:
            base = (report.payload.base_url or settings.SHAHRVAND_PUBLIC_URL).lower().rstrip("/")
            self.stdout.write(
                "Note: revocation and reissue cannot be checked offline. "
                f"The current status is at {base}/verify/{report.payload.number}"
            )
