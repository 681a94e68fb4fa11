"""Benchmark: the manager dashboard ``/staff/dashboard/`` at 100,000 requests.

In a fresh database (a temporary SQLite file, or a throwaway PostgreSQL database) in a child
process: one city with ``--districts`` districts, its solar holidays, ``--cases`` requests of the
three built-in types filed over the last 18 months (about 85 % closed, a tenth of those withdrawn;
the open ones with deadlines from 10 days overdue to 10 ahead) and ``--bills`` bills of this Jalali
year, 60 % paid online, by the bank's settlement file or at the counter — all bulk-created. Then:

- ``city``: :func:`shahrvand.backoffice.selectors.manager_dashboard` for the city administrator
  (every district), ``--runs`` times, with its SQL query count;
- ``district``: the same for the manager of District 1;
- ``page``: ``/staff/dashboard/`` through Django's test client for the manager (the whole request).

``median_ms`` is wall-clock time, ``cpu_median_ms`` the process's CPU time (SQLite runs in the
process; on a loaded machine CPU time is the steadier figure).

    .venv/bin/python benchmarks/manager_dashboard.py                                        # SQLite
    .venv/bin/python benchmarks/manager_dashboard.py --postgres postgres://postgres@127.0.0.1:5432/postgres

Prints one JSON object; the target is under 500 ms at 100,000 requests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import QueryLog, bench_city, run_child

ROOT = Path(__file__).resolve().parents[1]
BENCH_PASSWORD = "bench-" + "dashboard-1405"  # a throwaway database's users


def _seed(cases: int, districts: int, bills: int) -> None:
    import jdatetime
    from django.db import transaction

    from shahrvand.cases.models import Case, Channel
    from shahrvand.cases.tracking import make_tracking_code
    from shahrvand.cases.workflows import (
        ACCEPTED,
        CLEARANCE,
        DATA_CORRECTION,
        DOCUMENTS_VERIFIED,
        ISSUED,
        PROPERTY_LINK,
        REJECTED,
        SUBMITTED,
        WITHDRAWN,
    )
    from shahrvand.core.jalali import TEHRAN
    from shahrvand.core.jalali import today as tehran_today
    from shahrvand.core.models import RoleGrant, User
    from shahrvand.registry.models import Parcel, Person
    from shahrvand.revenue.models import Bill, BillKind, Payment

    rng = random.Random(1405)
    now = dt.datetime.now(tz=TEHRAN)
    with transaction.atomic():
        city, ds = bench_city(districts, live=True, holiday_years=(-2, -1, 0))
        this_year = jdatetime.date.fromgregorian(date=tehran_today()).year
        admin = User.objects.create_user("admin", password=BENCH_PASSWORD)
        manager = User.objects.create_user("manager", password=BENCH_PASSWORD)
        RoleGrant.objects.create(user=admin, role="city_admin", city=city, district=None)
        RoleGrant.objects.create(user=manager, role="manager", city=city, district=ds[0])
        people = Person.objects.bulk_create(
            [
                Person(home_district=ds[i % districts], national_code=f"{i:010d}", first_name="نام", last_name="آزمون")
                for i in range(3000)
            ]
        )
        kinds = [
            (DATA_CORRECTION, 5, ACCEPTED, SUBMITTED),
            (PROPERTY_LINK, 8, ACCEPTED, DOCUMENTS_VERIFIED),
            (CLEARANCE, 1, ISSUED, SUBMITTED),
        ]
        rows = []
        for i in range(cases):
            case_type, sla, decided, waiting = kinds[i % 3]
            created = now - dt.timedelta(minutes=rng.randint(60, 548 * 24 * 60))
            closed = None
            status, outcome, due = waiting, "", now + dt.timedelta(hours=rng.randint(-240, 240))
            if rng.random() < 0.85:
                closed = min(created + dt.timedelta(hours=rng.randint(1, sla * 60)), now)
                outcome = rng.choice([decided] * 6 + [REJECTED] * 3 + [WITHDRAWN])
                status, due = outcome, None
            rows.append(
                Case(
                    city=city,
                    district=ds[i % districts],
                    tracking_code=make_tracking_code("217", i),
                    case_type=case_type,
                    status=status,
                    channel=Channel.ONLINE,
                    requester=people[i % len(people)],
                    created_at=created,
                    step_started_at=closed or created,
                    due_at=due,
                    closed_at=closed,
                    outcome=outcome,
                )
            )
        Case.objects.bulk_create(rows, batch_size=5000)
        parcels = [
            Parcel.objects.create(
                district=d,
                code=f"{d.number}-1-1-1-0-0-0",
                zone_no=1,
                block_no=1,
                parcel_no=1,
                address="-",
                land_area_m2=100,
                land_use="residential",
                regional_value_per_m2=1,
            )
            for d in ds
        ]
        sources = [Payment.Source.GATEWAY, Payment.Source.BANK_FILE, Payment.Source.COUNTER]
        made = Bill.objects.bulk_create(
            [
                Bill(
                    city=city,
                    district=ds[i % districts],
                    year=this_year,
                    kind=BillKind.PROPERTY,
                    status="paid" if i % 5 < 3 else "open",
                    subject_code=f"S{i}",
                    parcel=parcels[i % districts],
                    payer=people[i % len(people)],
                    file_number=i + 1,
                    bill_id=f"B{i:012d}",
                    gross=1_000_000 + 1000 * (i % 500),
                    due_date=tehran_today(),
                    inputs_sha256="0" * 64,
                )
                for i in range(bills)
            ],
            batch_size=5000,
        )
        Payment.objects.bulk_create(
            [
                Payment(
                    bill=b,
                    amount=b.gross,
                    paid_at=now - dt.timedelta(minutes=rng.randint(60, 200 * 24 * 60)),
                    source=sources[b.file_number % 3],
                    reference=f"R{b.pk}",
                )
                for b in made
                if b.status == "paid"
            ],
            batch_size=5000,
        )


def _measure(fn: Callable[[], Any], runs: int) -> dict[str, float]:
    times, cpu = [], []
    for _ in range(runs):
        t1, c1 = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - t1) * 1000)
        cpu.append((time.process_time() - c1) * 1000)
    return {
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
        "cpu_median_ms": round(statistics.median(cpu), 1),
    }


def child(cases: int, districts: int, bills: int, runs: int) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shahrvand.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection
    from django.test.utils import override_settings

    from shahrvand.backoffice.selectors import manager_dashboard
    from shahrvand.cases.models import Case
    from shahrvand.core.models import User
    from tests.identity.helpers import VerifiedClient

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    _seed(cases, districts, bills)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    setup_s = time.perf_counter() - t0
    admin, manager = User.objects.get(username="admin"), User.objects.get(username="manager")

    results: dict[str, object] = {}
    for name, actor in (("city", admin), ("district", manager)):
        manager_dashboard(actor=actor)
        queries = QueryLog()
        with connection.execute_wrapper(queries):
            board = manager_dashboard(actor=actor)
        results[name] = {
            **_measure(lambda actor=actor: manager_dashboard(actor=actor), runs),
            "queries": queries.count,
            "sql_ms": round(queries.seconds * 1000, 1),
            "open": board.open_total,
            "overdue": board.overdue_total,
            "decided_12_weeks": board.decided_total,
            "median_working_days": board.median_days,
        }
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        client = VerifiedClient()
        client.force_login(manager)
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        assert client.get("/staff/dashboard/").status_code == 200
        queries = QueryLog()
        with connection.execute_wrapper(queries):
            response = client.get("/staff/dashboard/")
        results["page"] = {
            **_measure(lambda: client.get("/staff/dashboard/"), runs),
            "queries": queries.count,
            "sql_ms": round(queries.seconds * 1000, 1),
            "html_bytes": len(response.content),
        }
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return {
        "database": connection.vendor,
        "cases": Case.objects.count(),
        "districts": districts,
        "bills": bills,
        "runs": runs,
        **results,
        "setup_s": round(setup_s, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--districts", type=int, default=6)
    parser.add_argument("--bills", type=int, default=30_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--postgres", help="a postgres:// URL of the server (a throwaway database is created)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.cases, args.districts, args.bills, args.runs), ensure_ascii=False))
        return
    child_args = ["--cases", str(args.cases), "--districts", str(args.districts), "--bills", str(args.bills)]
    child_args += ["--runs", str(args.runs)]
    print(json.dumps(run_child(__file__, child_args, postgres=args.postgres), ensure_ascii=False))


if __name__ == "__main__":
    main()
