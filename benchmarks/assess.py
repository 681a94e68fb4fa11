"""Benchmark: the annual assessment of a district (first run, unchanged re-run, dry run).

Builds a synthetic district with ``shahrvand.demo.generator`` and the real importer in a fresh
database (a temporary SQLite file, or a throwaway PostgreSQL database) in a child process, puts the
sample tariff in force, then times ``assess``.

    .venv/bin/python benchmarks/assess.py                                  # District 1 on SQLite
    .venv/bin/python benchmarks/assess.py --households 80000 \\
        --postgres postgres://postgres@127.0.0.1:5432/postgres              # ~100,000 units on PostgreSQL

Prints one JSON object per case; docs/benchmarks.md records the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from harness import run_child

ROOT = Path(__file__).resolve().parents[1]


def child(households: int, seed: int, folder: str) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shahrvand.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shahrvand.core.models import District
    from shahrvand.demo.revenue import demo_tariff_install
    from shahrvand.registry.models import Business, Unit
    from shahrvand.registry.services import audit_import
    from shahrvand.revenue.assessment import assess
    from shahrvand.revenue.models import Bill, BillLine

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--empty", verbosity=0)
    district = District.objects.get(slug="bojnurd-1")
    result = audit_import(actor=None, district=district, path=Path(folder))
    assert result.status == "applied", result.errors[:5]
    book = demo_tariff_install(district.city)

    t0 = time.perf_counter()
    dry = assess(actor=None, district=district, year=book.year, dry_run=True)
    dry_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        first = assess(actor=None, district=district, year=book.year)
    first_s = time.perf_counter() - t0
    first_queries = len(queries)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    t0 = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        again = assess(actor=None, district=district, year=book.year)
    again_s = time.perf_counter() - t0
    writes = [q for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert again.counts["written"] == 0

    return {
        "database": connection.vendor,
        "households": households,
        "units": Unit.objects.filter(district=district).count(),
        "businesses": Business.objects.filter(district=district).count(),
        "subjects": first.counts["subjects"],
        "bills": Bill.objects.count(),
        "lines": BillLine.objects.count(),
        "dry_run_s": round(dry_s, 2),
        "first_run_s": round(first_s, 2),
        "first_run_queries": first_queries,
        "peak_rss_mb": round(rss),
        "rerun_unchanged_s": round(again_s, 2),
        "rerun_writes": len(writes),  # the run row, its progress and the audit entry only
        "dry_counts_equal": {k: v for k, v in dry.counts.items() if k != "written"}
        == {k: v for k, v in first.counts.items() if k != "written"},
    }


def run_case(households: int, seed: int, postgres: str | None) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    from shahrvand.demo.generator import DeliverySpec, write_delivery

    with tempfile.TemporaryDirectory() as delivery:
        write_delivery(DeliverySpec(district_number=1, households=households, seed=seed), Path(delivery))
        args = ["--households", str(households), "--seed", str(seed), delivery]
        return run_child(__file__, args, postgres=postgres)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=2600)
    parser.add_argument("--seed", type=int, default=1405)
    parser.add_argument("--postgres", help="a postgres:// URL of the server (a throwaway database is created)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("folder", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.households, args.seed, args.folder), ensure_ascii=False))
        return
    print(json.dumps(run_case(args.households, args.seed, args.postgres), ensure_ascii=False))


if __name__ == "__main__":
    main()
