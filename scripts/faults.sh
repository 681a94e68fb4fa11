#!/usr/bin/env bash
# The fault tests, alone: workers killed mid-payment, PostgreSQL restarted during a payment, imports
# killed mid-write, then reconciliation and the invariants (tests/faults/). They start their own
# private PostgreSQL cluster (initdb into a temporary folder, another port); the machine's server is
# never restarted. Add -m slow / -k NAME / -x as for pytest.
#
#   scripts/faults.sh [pytest options]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DJANGO_ENV=test
exec "${PYTHON:-$root/.venv/bin/python}" -m pytest -p no:cacheprovider tests/faults "$@"
