"""Backups and their tested restore (called by ``scripts/backup.sh`` and ``scripts/restore.sh``).

``backup DEST_ROOT`` writes ``DEST_ROOT/shahrvand-<UTC time>/``:

* ``database.dump`` — ``pg_dump --format=custom`` of ``DATABASE_URL`` (PostgreSQL), taken in the same
  snapshot as the row counts (``pg_export_snapshot``), or ``database.sqlite3`` — SQLite's online
  backup API (a consistent copy while the site runs);
* ``media.tar.gz`` — ``MEDIA_ROOT`` (case attachments), ``keys.tar.gz`` — ``SHAHRVAND_KEY_DIR`` (the
  documents' private signing keys: store this backup encrypted, and apart from the database copy);
* ``manifest.json`` — when, which database, the applied migrations, row counts of the key tables, the
  audit chain's last entry, the files; ``SHA256SUMS`` — every file's SHA-256 (``sha256sum -c`` reads it).

``restore BACKUP_DIR --var-dir NEW_DIR [--database NEW_DB]`` refuses a backup whose checksums do not
match, restores into a NEW database (PostgreSQL: ``--database``, created here, never an existing one;
SQLite: a file in ``NEW_DIR``) and a NEW folder (media and keys), then runs ``check`` there:
``migrate --check``, ``verify_audit_log``, row counts and the audit chain's last entry against the
manifest, and the stored documents' signatures (and PDFs' digests) with the restored keys; the
active signing keys' private halves must load and match their published public keys.
Exit status 0: the restore is good; 1: refused or a check failed (the reason is printed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The key tables: their row counts go in the manifest and are compared after a restore.
KEY_MODELS = (
    "core.City",
    "core.District",
    "core.User",
    "audit.AuditEntry",
    "registry.Parcel",
    "registry.Unit",
    "registry.Person",
    "registry.Ownership",
    "registry.Delivery",
    "documents.SigningKey",
    "documents.Document",
    "citizens.Citizen",
    "cases.Case",
    "revenue.Bill",
    "revenue.Payment",
    "payments.PaymentAttempt",
    "payments.PaymentEvent",
    "settlement.SettlementFile",
)
DOCUMENTS_CHECKED = 25


class Refused(Exception):
    """The backup or the restored copy fails a check."""


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shahrvand.settings")
    import django

    django.setup()


def pg_tool(name: str) -> str:
    """``pg_dump``/``pg_restore``/``createdb``: from PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    if not candidates:
        raise Refused(f"{name} not found: install the PostgreSQL client tools or put them on PATH")
    return str(candidates[-1])


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pg_args(settings_db: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    args = ["-h", str(settings_db.get("HOST") or "127.0.0.1"), "-p", str(settings_db.get("PORT") or 5432)]
    if settings_db.get("USER"):
        args += ["-U", str(settings_db["USER"])]
    env = {**os.environ}
    if settings_db.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_db["PASSWORD"])
    return args, env


def _models() -> list[Any]:
    from django.apps import apps

    found = []
    for label in KEY_MODELS:
        try:
            found.append(apps.get_model(label))
        except LookupError:
            continue
    return found


def _counts_and_head(cursor: Any) -> tuple[dict[str, int], dict[str, Any]]:
    counts = {}
    for model in _models():
        cursor.execute(f'SELECT COUNT(*) FROM "{model._meta.db_table}"')  # noqa: S608 — table names from the models
        counts[model._meta.label] = int(cursor.fetchone()[0])
    cursor.execute('SELECT seq, hash FROM "audit_auditentry" ORDER BY seq DESC LIMIT 1')
    row = cursor.fetchone()
    return counts, {"seq": row[0], "hash": row[1]} if row else {"seq": 0, "hash": ""}


def _migrations(cursor: Any) -> dict[str, str]:
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    latest: dict[str, str] = {}
    for app, name in cursor.fetchall():
        latest[app] = max(latest.get(app, ""), name)
    return latest


def _tar(source: Path, target: Path) -> None:
    with tarfile.open(target, "w:gz") as archive:
        if source.exists():
            archive.add(source, arcname=".")


def backup(dest_root: Path) -> Path:
    _django()
    from django.conf import settings
    from django.db import connection, transaction

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = dest_root / f"shahrvand-{stamp}"
    folder.mkdir(parents=True, mode=0o700)
    db = settings.DATABASES["default"]
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts, head = _counts_and_head(cursor)
            migrations = _migrations(cursor)
            args, env = _pg_args(dict(db))
            dumped = subprocess.run(  # noqa: S603 — an argument list, no shell
                [pg_tool("pg_dump"), *args, "--format=custom", f"--snapshot={snapshot}", "--no-owner",
                 "-f", str(folder / "database.dump"), str(db["NAME"])],
                env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
            if dumped.returncode != 0:
                raise Refused(f"pg_dump failed: {dumped.stderr.strip()[-2000:]}")
        database = {"vendor": "postgresql", "file": "database.dump", "name": str(db["NAME"])}
    else:
        target = folder / "database.sqlite3"
        source = sqlite3.connect(str(db["NAME"]))
        copy = sqlite3.connect(str(target))
        with copy:
            source.backup(copy)
        source.close()
        lite = copy.cursor()
        counts, head = _counts_and_head(lite)
        migrations = _migrations(lite)
        copy.close()
        database = {"vendor": "sqlite", "file": "database.sqlite3", "name": Path(str(db["NAME"])).name}
    _tar(Path(settings.MEDIA_ROOT), folder / "media.tar.gz")
    _tar(Path(settings.SHAHRVAND_KEY_DIR), folder / "keys.tar.gz")
    (folder / "keys.tar.gz").chmod(0o600)
    files = sorted(p.name for p in folder.iterdir())
    manifest = {
        "format": "shahrvand-backup/1",
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": database,
        "migrations": migrations,
        "row_counts": counts,
        "audit_head": head,
        "files": {name: {"bytes": (folder / name).stat().st_size} for name in files},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    sums = [f"{sha256_file(folder / name)}  {name}" for name in [*files, "manifest.json"]]
    (folder / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")
    return folder


def verify_sums(folder: Path) -> dict[str, Any]:
    """The manifest, once every file's checksum matches (and the files are exactly those listed)."""
    sums_file = folder / "SHA256SUMS"
    if not sums_file.exists():
        raise Refused(f"{folder}: no SHA256SUMS — not a Shahrvand backup")
    listed: dict[str, str] = {}
    for line in sums_file.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        if not name or "/" in name or name.startswith("."):
            raise Refused(f"SHA256SUMS: malformed line {line!r}")
        listed[name] = digest
    present = {p.name for p in folder.iterdir()} - {"SHA256SUMS"}
    if present != set(listed):
        raise Refused(f"files differ from SHA256SUMS: extra {sorted(present - set(listed))}, "
                      f"missing {sorted(set(listed) - present)}")  # fmt: skip
    for name, digest in listed.items():
        if sha256_file(folder / name) != digest:
            raise Refused(f"{name}: checksum mismatch — the backup was altered or damaged")
    manifest: dict[str, Any] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("format") != "shahrvand-backup/1" or set(manifest["files"]) != present - {"manifest.json"}:
        raise Refused("manifest.json does not describe this folder")
    return manifest


def _untar(archive: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    if archive.exists():
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(target, filter="data")


def restore(folder: Path, var_dir: Path, database: str | None) -> dict[str, Any]:
    manifest = verify_sums(folder)
    if var_dir.exists() and any(var_dir.iterdir()):
        raise Refused(f"{var_dir} is not empty: restore into a new folder")
    var_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    env = {**os.environ, "SHAHRVAND_VAR_DIR": str(var_dir), "SHAHRVAND_KEY_DIR": str(var_dir / "keys")}
    vendor = manifest["database"]["vendor"]
    if vendor == "postgresql":
        if not database:
            raise Refused("a PostgreSQL backup needs --database NEW_NAME (a database that does not exist yet)")
        url = os.environ.get("DATABASE_URL", "")
        if not url.startswith(("postgres://", "postgresql://")):
            raise Refused("set DATABASE_URL to the PostgreSQL server to restore to (its database name is replaced)")
        import dj_database_url

        server: dict[str, Any] = dict(dj_database_url.parse(url))
        args, pg_env = _pg_args(server)
        createdb = [pg_tool("createdb"), *args, database]
        made = subprocess.run(createdb, env=pg_env, capture_output=True, text=True, check=False)  # noqa: S603
        if made.returncode != 0:
            raise Refused(f"createdb {database} failed (it must not exist yet): {made.stderr.strip()}")
        restored = subprocess.run(  # noqa: S603 — an argument list, no shell
            [pg_tool("pg_restore"), *args, "--no-owner", "--exit-on-error", "-d", database,
             str(folder / "database.dump")],
            env=pg_env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if restored.returncode != 0:
            raise Refused(f"pg_restore failed: {restored.stderr.strip()[-2000:]}")
        env["DATABASE_URL"] = f"{url.rsplit('/', 1)[0]}/{database}"
    else:
        shutil.copyfile(folder / "database.sqlite3", var_dir / "shahrvand.sqlite3")
        env.pop("DATABASE_URL", None)
    _untar(folder / "media.tar.gz", var_dir / "media")
    _untar(folder / "keys.tar.gz", var_dir / "keys")
    checked = subprocess.run(  # noqa: S603 — an argument list, no shell
        [sys.executable, __file__, "check", str(folder)], env=env, capture_output=True, text=True, check=False, cwd=ROOT
    )
    if checked.returncode != 0:
        raise Refused(f"the restored copy fails its checks:\n{checked.stdout}{checked.stderr}".strip())
    return {**json.loads(checked.stdout.strip().splitlines()[-1]), "database_url_host_db": env.get("DATABASE_URL", "")}


def check(folder: Path) -> dict[str, Any]:
    """Run inside the restored copy's environment: every check, or :class:`Refused` naming the first failure."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    _django()
    from io import StringIO

    from cryptography.hazmat.primitives import serialization
    from django.core.management import call_command
    from django.db import connection

    from shahrvand.documents import keys as document_keys
    from shahrvand.documents.models import Document, SigningKey
    from shahrvand.documents.payload import check as signature_check
    from shahrvand.documents.payload import parse

    try:
        call_command("migrate", check=True, plan=True, stdout=StringIO())
    except SystemExit as exc:
        raise Refused("the restored database lacks migrations this code has (migrate --check)") from exc
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit_log", stdout=out, stderr=err)
    except SystemExit as exc:
        raise Refused(f"verify_audit_log: {err.getvalue().strip()}") from exc
    with connection.cursor() as cursor:
        counts, head = _counts_and_head(cursor)
    wrong = {k: (v, counts.get(k)) for k, v in manifest["row_counts"].items() if counts.get(k) != v}
    if wrong:
        raise Refused(f"row counts differ from the manifest (manifest, restored): {wrong}")
    if head != manifest["audit_head"]:
        raise Refused(f"the audit chain ends at {head}, the manifest says {manifest['audit_head']}")
    published = document_keys.keys_for_check()
    documents = list(Document.objects.order_by("-pk")[:DOCUMENTS_CHECKED])
    for document in documents:
        outcome = signature_check(parse(document.payload), published, document.fields)
        if outcome != "valid":
            raise Refused(f"document {document.number}: {outcome}")
        if document.pdf is not None and hashlib.sha256(bytes(document.pdf)).hexdigest() != document.pdf_sha256:
            raise Refused(f"document {document.number}: the stored PDF does not match its SHA-256")
    active = list(SigningKey.objects.filter(retired_at__isnull=True))
    for key in active:
        try:
            private = document_keys.load_private(key)
        except document_keys.SigningKeyMissing as exc:
            raise Refused(f"signing key {key.key_id}: {exc}") from exc
        raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        if raw != document_keys.public_key_from_b64(key.public_key).public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        ):
            raise Refused(f"signing key {key.key_id}: the private key file does not match the published key")
    return {
        "ok": True,
        "audit": out.getvalue().strip(),
        "row_counts": counts,
        "documents_checked": len(documents),
        "active_keys_checked": len(active),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    made = commands.add_parser("backup", help="write a dated backup folder")
    made.add_argument("dest_root", type=Path)
    back = commands.add_parser("restore", help="verify a backup, restore it into a new database and folder, check")
    back.add_argument("backup", type=Path)
    back.add_argument("--var-dir", type=Path, required=True, help="a new folder for media and keys (and SQLite)")
    back.add_argument("--database", help="PostgreSQL: the name of the new database to create")
    checks = commands.add_parser("check", help=argparse.SUPPRESS)
    checks.add_argument("backup", type=Path)
    args = parser.parse_args()
    try:
        if args.command == "backup":
            print(backup(args.dest_root))
        elif args.command == "restore":
            print(json.dumps(restore(args.backup, args.var_dir, args.database)))
        else:
            print(json.dumps(check(args.backup)))
    except Refused as exc:
        print(f"REFUSED: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
