#!/usr/bin/env bash
# Back up Shahrvand: the database (pg_dump custom format of DATABASE_URL, or SQLite's online backup),
# the uploaded files (MEDIA_ROOT) and the documents' signing keys (SHAHRVAND_KEY_DIR) into
# DEST/shahrvand-<UTC time>/ with manifest.json and SHA256SUMS. Prints the folder.
#
#   scripts/backup.sh [DEST]          (DEST defaults to $SHAHRVAND_BACKUP_DIR, else var/backups)
#
# Run it with the application's environment (DJANGO_ENV, DATABASE_URL, SHAHRVAND_VAR_DIR,
# SHAHRVAND_KEY_DIR, SECRET_KEY…), e.g. from the systemd unit in docs/operations.md.
# keys.tar.gz holds private keys: copy the folder off the machine encrypted (age, gpg).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
python="${PYTHON:-$root/.venv/bin/python}"
dest="${1:-${SHAHRVAND_BACKUP_DIR:-$root/var/backups}}"
umask 077
exec "$python" "$here/backup_restore.py" backup "$dest"
