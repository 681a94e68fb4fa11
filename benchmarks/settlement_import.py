"""Benchmark: import a 100,000-line bank settlement file, import it again, and reconcile the day.

Each case runs in a fresh database (a temporary SQLite file, or a throwaway PostgreSQL database)
in a child process. 100,000 open bills are bulk-created (one sample unit; distinct subjects);
the file pays 98% of them exactly, 1% with a wrong amount, and 1% of its lines name unknown bills.

    .venv/bin/python benchmarks/settlement_import.py                                   # SQLite
    .venv/bin/python benchmarks/settlement_import.py \\
        --postgres postgres://postgres@127.0.0.1:5432/postgres                          # PostgreSQL

Prints one JSON object per case.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

from harness import run_child

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "sample-audit"


def child(lines: int) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shahrvand.settings")
    import django

    django.setup()
    import csv
    import datetime as dt
    import hashlib
    import io
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connection, transaction

    from shahrvand.core import jalali
    from shahrvand.core.identifiers import make_bill_id, make_payment_id
    from shahrvand.core.models import District
    from shahrvand.registry.models import Ownership, Unit
    from shahrvand.registry.services import audit_import
    from shahrvand.revenue.amounts import payable, payment_id_for
    from shahrvand.revenue.models import Bill, BillKind, Payment
    from shahrvand.revenue.services import allocate_file_numbers, bill_id_for
    from shahrvand.settlement.models import Outcome
    from shahrvand.settlement.reconcile import reconcile
    from shahrvand.settlement.services import settlement_import

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--empty", verbosity=0)
    district = District.objects.select_related("city").get(slug="bojnurd-1")
    assert audit_import(actor=None, district=district, path=SAMPLE).status == "applied"
    city = district.city
    unit = Unit.objects.filter(district=district).order_by("code").first()
    assert unit is not None
    owner = Ownership.objects.filter(parcel=unit.parcel).order_by("-share_dang").first()
    assert owner is not None
    day = jalali.today() - dt.timedelta(days=1)
    year = jalali.jalali_year(jalali.today())

    t0 = time.perf_counter()
    unknown = lines // 100
    with transaction.atomic():
        numbers = allocate_file_numbers(city, lines - unknown)
        Bill.objects.bulk_create(
            [
                Bill(
                    city=city,
                    district=district,
                    year=year,
                    kind=BillKind.PROPERTY,
                    subject_code=f"BENCH-{n}",
                    parcel=unit.parcel,
                    unit=unit,
                    payer=owner.person,
                    file_number=n,
                    bill_id=bill_id_for(city, n),
                    gross=1_000_000 + (n % 977) * 10_000 + n % 1000,
                    due_date=jalali.year_end(year),
                    discount_percent=Decimal(10),
                    discount_until=jalali.year_end(year),
                    discount_base=1_000_000,
                    penalty_monthly_percent=Decimal("1.5"),
                    penalty_cap_percent=Decimal(30),
                    inputs_sha256=hashlib.sha256(str(n).encode()).hexdigest(),
                )
                for n in numbers
            ],
            batch_size=2000,
        )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["bill_id", "payment_id", "amount", "trace_number", "channel", "paid_at"])
    paid_at = dt.datetime.combine(day, dt.time(12), tzinfo=jalali.TEHRAN).isoformat()
    channels = ["ATM", "INTERNET", "MOBILE", "POS", "BRANCH", "USSD", "IPG"]
    for i, bill in enumerate(Bill.objects.filter(city=city).order_by("file_number").iterator(chunk_size=5000)):
        amount = payable(bill, day).amount
        if i % 100 == 50:
            amount += 1000  # a wrong amount, with a valid payment ID for it
        trace = f"{100_000_000_000 + i}"
        writer.writerow([bill.bill_id, payment_id_for(bill, amount), amount, trace, channels[i % 7], paid_at])
    for j in range(unknown):
        bill_id = make_bill_id(90_000_000 + j, city.company_code)
        writer.writerow(
            [bill_id, make_payment_id(5_000_000, year, 0, bill_id), 5_000_000, f"{200_000_000_000 + j}", "ATM", paid_at]
        )
    data = out.getvalue().encode()
    generate_s = time.perf_counter() - t0
    name = f"mellat_{jalali.format_jalali(day, '%Y%m%d')}.csv"

    t0, c0 = time.perf_counter(), time.process_time()
    dry = settlement_import(actor=None, city=city, path_or_bytes=data, name=name, dry_run=True)
    dry_s, dry_cpu = time.perf_counter() - t0, time.process_time() - c0
    assert dry.status == "dry_run", dry.problems[:5]

    t0, c0 = time.perf_counter(), time.process_time()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profile = cProfile.Profile()
        result = profile.runcall(settlement_import, actor=None, city=city, path_or_bytes=data, name=name)
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
    else:
        result = settlement_import(actor=None, city=city, path_or_bytes=data, name=name)
    import_s, import_cpu = time.perf_counter() - t0, time.process_time() - c0
    assert result.status == "imported", result.problems[:5]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    t0 = time.perf_counter()
    again = settlement_import(actor=None, city=city, path_or_bytes=data, name=name)
    reimport_s = time.perf_counter() - t0
    assert again.status == "already_imported"

    t0 = time.perf_counter()
    report = reconcile(actor=None, city=city, date=day)
    csv_rows = report.csv().count("\n") - 1
    reconcile_s = time.perf_counter() - t0

    return {
        "database": connection.vendor,
        "lines": lines,
        "file_mb": round(len(data) / 2**20, 1),
        "generate_s": round(generate_s, 2),
        "dry_run_s": round(dry_s, 2),
        "dry_run_cpu_s": round(dry_cpu, 2),
        "import_s": round(import_s, 2),
        "import_cpu_s": round(import_cpu, 2),  # this process only; the database server's time is not in it
        "load_average_1m": round(os.getloadavg()[0], 1),
        "cpus": os.cpu_count(),
        "peak_rss_mb": round(rss),
        "reimport_same_file_s": round(reimport_s, 3),
        "reconcile_with_csv_s": round(reconcile_s, 2),
        "reconcile_csv_rows": csv_rows,
        "payments": Payment.objects.count(),
        "counts": {k: v for k, v in result.counts.items() if v},
        "matched": result.counts[Outcome.MATCHED],
    }


def run_case(lines: int, postgres: str | None) -> dict[str, object]:
    return run_child(__file__, ["--lines", str(lines)], postgres=postgres, prefix="shv_bench_settle")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--postgres", help="a postgres:// URL of the server (a throwaway database is created)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.lines), ensure_ascii=False))
        return
    print(json.dumps(run_case(args.lines, args.postgres), ensure_ascii=False))


if __name__ == "__main__":
    main()
