"""``scripts/backup.sh`` and ``scripts/restore.sh`` against a seeded database, end to end.

The database is the one the suite runs on: PostgreSQL when ``DATABASE_URL`` names one (a throwaway
database is made and dropped on that server, and the restore goes to another new one), SQLite
otherwise. The source is seeded by ``seed_demo`` in a child process (the scripts run as processes
and must see committed data, which the test database of pytest-django is not).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BACKUP = ROOT / "scripts" / "backup.sh"
RESTORE = ROOT / "scripts" / "restore.sh"
URL = os.environ.get("DATABASE_URL", "")
POSTGRES = URL.startswith(("postgres://", "postgresql://"))

pytestmark = pytest.mark.slow


def _pg_bin() -> str | None:
    if shutil.which("pg_dump"):
        return str(Path(shutil.which("pg_dump") or "").parent)
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"), key=lambda p: int(p.parts[-3]))
    return str(found[-1].parent) if found else None


@dataclass
class Source:
    env: dict[str, str]
    backup: Path
    restores: Path
    server: str  # the PostgreSQL server URL without a database name ("" for SQLite)


def _run(cmd: list[str], env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, cmd))} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        )
    return done


def _dropdb(server: str, name: str, env: dict[str, str]) -> None:
    host = server.split("@")[-1].split(":")[0] or "127.0.0.1"
    subprocess.run(["dropdb", "-h", host, "-U", "postgres", "--if-exists", name], env=env, check=False)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    """A seeded installation (database, media, keys), backed up once."""
    base = tmp_path_factory.mktemp("ops")
    var = base / "var"
    var.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update({"DJANGO_ENV": "development", "DEBUG": "0", "LOG_LEVEL": "WARNING", "SHAHRVAND_VAR_DIR": str(var)})
    env.pop("SHAHRVAND_KEY_DIR", None)
    server, created = "", ""
    if POSTGRES:
        pg_bin = _pg_bin()
        if pg_bin is None:
            pytest.skip("DATABASE_URL is PostgreSQL but pg_dump/pg_restore are not installed")
        env["PATH"] = f"{pg_bin}:{env.get('PATH', '')}"
        server = URL.rsplit("/", 1)[0]
        created = f"sv_ops_src_{uuid.uuid4().hex[:8]}"
        _run(["createdb", "-h", server.split("@")[-1].split(":")[0], "-U", "postgres", created], env)
        env["DATABASE_URL"] = f"{server}/{created}"
    try:
        _run([sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"], env)
        _run([sys.executable, "manage.py", "seed_demo", "--households", "20"], env)
        # An attachment in the media folder, so the file store is part of what is proved.
        (var / "media" / "attachments" / "ab").mkdir(parents=True)
        (var / "media" / "attachments" / "ab" / "abcdef").write_bytes(b"%PDF-1.4 test attachment")
        made = _run([str(BACKUP), str(base / "backups")], env)
        folder = Path(made.stdout.strip().splitlines()[-1])
        yield Source(env=env, backup=folder, restores=base / "restores", server=server)
    finally:
        if created:
            _dropdb(server, created, env)


def _restore(source: Source, backup: Path) -> tuple[subprocess.CompletedProcess[str], str]:
    target = source.restores / uuid.uuid4().hex[:8]
    cmd = [str(RESTORE), str(backup), str(target)]
    database = ""
    if source.server:
        database = f"sv_ops_restore_{uuid.uuid4().hex[:8]}"
        cmd.append(database)
    return _run(cmd, source.env, check=False), database


@pytest.fixture
def restore(source: Source) -> Iterator:
    made: list[str] = []

    def run(backup: Path) -> subprocess.CompletedProcess[str]:
        done, database = _restore(source, backup)
        if database:
            made.append(database)
        return done

    yield run
    for database in made:
        _dropdb(source.server, database, source.env)


def test_the_backup_holds_the_database_files_and_a_manifest(source: Source) -> None:
    names = sorted(p.name for p in source.backup.iterdir())
    database = "database.dump" if POSTGRES else "database.sqlite3"
    assert names == sorted(["SHA256SUMS", "manifest.json", database, "media.tar.gz", "keys.tar.gz"])
    manifest = json.loads((source.backup / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["database"]["vendor"] == ("postgresql" if POSTGRES else "sqlite")
    assert manifest["row_counts"]["revenue.Bill"] > 0
    assert manifest["row_counts"]["documents.Document"] >= 1  # the demo citizen's enrollment slip
    assert manifest["audit_head"]["seq"] == manifest["row_counts"]["audit.AuditEntry"]
    assert (source.backup / "keys.tar.gz").stat().st_mode & 0o077 == 0  # private keys: owner only
    checked = subprocess.run(
        ["sha256sum", "--check", "--strict", "SHA256SUMS"],
        cwd=source.backup,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout  # the standard tool reads the checksums too


def test_the_restore_passes_every_check(source: Source, restore) -> None:
    done = restore(source.backup)

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    manifest = json.loads((source.backup / "manifest.json").read_text(encoding="utf-8"))
    assert report["ok"] is True
    assert report["row_counts"] == manifest["row_counts"]
    assert report["documents_checked"] >= 1
    assert report["active_keys_checked"] >= 1
    assert report["audit"].startswith("INTACT")


def _copy(source: Source, name: str) -> Path:
    target = source.backup.parent / f"{name}-{uuid.uuid4().hex[:6]}"
    shutil.copytree(source.backup, target)
    return target


def test_an_altered_file_is_refused(source: Source, restore) -> None:
    altered = _copy(source, "altered")
    with (altered / "media.tar.gz").open("ab") as handle:
        handle.write(b"x")

    done = restore(altered)

    assert done.returncode == 1
    assert "media.tar.gz: checksum mismatch" in done.stderr


def test_a_manifest_rewritten_with_matching_checksums_is_still_refused(source: Source, restore) -> None:
    """Someone edits the manifest and recomputes SHA256SUMS: the restored rows do not match it."""
    altered = _copy(source, "rewritten")
    manifest = json.loads((altered / "manifest.json").read_text(encoding="utf-8"))
    manifest["row_counts"]["revenue.Bill"] += 1
    (altered / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    names = sorted(p.name for p in altered.iterdir() if p.name != "SHA256SUMS")
    sums = subprocess.run(["sha256sum", *names], cwd=altered, capture_output=True, text=True, check=True)
    (altered / "SHA256SUMS").write_text(sums.stdout, encoding="utf-8")

    done = restore(altered)

    assert done.returncode == 1
    assert "row counts differ from the manifest" in done.stderr


def test_a_missing_file_is_refused(source: Source, restore) -> None:
    altered = _copy(source, "missing")
    (altered / "keys.tar.gz").unlink()

    done = restore(altered)

    assert done.returncode == 1
    assert "missing ['keys.tar.gz']" in done.stderr
