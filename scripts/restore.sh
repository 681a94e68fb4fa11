#!/usr/bin/env bash
# Restore a Shahrvand backup into a NEW database and a NEW folder, then prove it:
# checksums (a altered backup is refused), migrate --check, verify_audit_log, row counts and the
# audit chain's last entry against the manifest, stored documents' signatures, signing keys.
#
#   scripts/restore.sh BACKUP_DIR NEW_VAR_DIR [NEW_DATABASE]
#
# PostgreSQL backups need NEW_DATABASE (created here; an existing database is refused) and
# DATABASE_URL pointing at the server to restore to. SQLite backups go to NEW_VAR_DIR/shahrvand.sqlite3.
# Exit status 0: restored and checked; 1: refused or a check failed. Serving the restored copy is
# then a matter of pointing DATABASE_URL / SHAHRVAND_VAR_DIR / SHAHRVAND_KEY_DIR at it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
python="${PYTHON:-$root/.venv/bin/python}"
if [ $# -lt 2 ]; then
  echo "usage: $0 BACKUP_DIR NEW_VAR_DIR [NEW_DATABASE]" >&2
  exit 2
fi
umask 077
args=(restore "$1" --var-dir "$2")
if [ $# -ge 3 ]; then args+=(--database "$3"); fi
exec "$python" "$here/backup_restore.py" "${args[@]}"
