"""Benchmark: the staff queue ``/staff/cases/`` with 10,000 open requests in one district.

In a fresh database (a temporary SQLite file, or a throwaway PostgreSQL database) in a child
process: one city with two districts, the city's solar holidays, ``--open`` open requests in
District 1 (the three built-in types, in the statuses staff or the requester act on, deadlines
from 10 working days overdue to 10 ahead, a fifth assigned to a clerk) and ``--closed`` closed ones,
all bulk-created; a district manager of District 1 signed in with the second factor passed. Then
each page below through Django's test client (the whole request: middleware, access checks,
counts, template) ``--runs`` times, with its SQL query count. ``median_ms`` is wall-clock time;
``cpu_median_ms`` the process's CPU time (SQLite runs in the process, so it includes the queries there;
on a loaded machine it is the steadier figure):

- ``open``: the first page of 50 (the default view, soonest deadline first);
- ``overdue``, ``waiting`` (waiting for my role), ``unassigned``: the scopes;
- ``deep``: page 150 of the open requests;
- ``national_code``: the search box with a requester's national code (audited).

    .venv/bin/python benchmarks/staff_queue.py                                        # SQLite
    .venv/bin/python benchmarks/staff_queue.py --postgres postgres://postgres@127.0.0.1:5432/postgres

Prints one JSON object; the target is a page of 50 under 150 ms median at 10,000 open requests.
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
from pathlib import Path

from harness import QueryLog, bench_city, run_child

_HERE = Path(__file__).resolve().parent
ROOT = _HERE.parent
BENCH_PASSWORD = "bench-" + "queue-1405"  # a throwaway database's users


def _seed(open_cases: int, closed_cases: int) -> dict[str, object]:
    from django.db import transaction

    from shahrvand.cases.models import Case, Channel
    from shahrvand.cases.tracking import make_tracking_code
    from shahrvand.cases.workflows import (
        ACCEPTED,
        CLEARANCE,
        DATA_CORRECTION,
        DOCUMENTS_VERIFIED,
        PROPERTY_LINK,
        RETURNED,
        SUBMITTED,
    )
    from shahrvand.core.identifiers import national_code_check_digit
    from shahrvand.core.jalali import TEHRAN
    from shahrvand.core.models import RoleGrant, User
    from shahrvand.registry.models import Person

    rng = random.Random(1405)
    now = dt.datetime.now(tz=TEHRAN)
    with transaction.atomic():
        city, (d1, d2) = bench_city(2, live=True, holiday_years=(-1, 0, 1))
        manager = User.objects.create_user("manager", password=BENCH_PASSWORD, first_name="مدیر", last_name="منطقه")
        clerk = User.objects.create_user("clerk", password=BENCH_PASSWORD, first_name="کارمند", last_name="باجه")
        RoleGrant.objects.create(user=manager, role="manager", city=city, district=d1)
        RoleGrant.objects.create(user=clerk, role="clerk", city=city, district=d1)
        people = Person.objects.bulk_create(
            [
                Person(
                    home_district=d1,
                    national_code=f"{i:09d}{national_code_check_digit(f'{i:09d}')}",
                    first_name="نام",
                    last_name=f"آزمون{i}",
                )
                for i in range(1000, 4000)
            ]
        )
        states = [
            (DATA_CORRECTION, SUBMITTED),
            (DATA_CORRECTION, RETURNED),
            (PROPERTY_LINK, SUBMITTED),
            (PROPERTY_LINK, DOCUMENTS_VERIFIED),
            (CLEARANCE, SUBMITTED),
        ]
        rows = []
        for i in range(open_cases + closed_cases):
            closed = i >= open_cases
            case_type, status = states[i % len(states)]
            created = now - dt.timedelta(minutes=rng.randint(60, 60 * 24 * 60))
            due = None if status == RETURNED else now + dt.timedelta(hours=rng.randint(-10 * 24, 10 * 24))
            rows.append(
                Case(
                    city=city,
                    district=d1 if closed or i % 50 else d2,  # 2 % of the open ones in District 2
                    tracking_code=make_tracking_code("217", i),
                    case_type=case_type,
                    status=ACCEPTED if closed else status,
                    channel=Channel.ONLINE,
                    requester=people[i % len(people)],
                    subject_ref=f"1-{i % 40 + 1}-{i % 300 + 1}-{i % 97 + 1}-0-0-0",
                    assigned_to=clerk if i % 5 == 0 and not closed else None,
                    created_at=created,
                    step_started_at=created,
                    due_at=None if closed else due,
                    closed_at=created + dt.timedelta(days=2) if closed else None,
                    outcome=ACCEPTED if closed else "",
                )
            )
        Case.objects.bulk_create(rows, batch_size=5000)
    open_district1 = Case.objects.filter(district=d1, closed_at=None).count()
    return {"national_code": people[7].national_code, "open_district1": open_district1}


def child(open_cases: int, closed_cases: int, runs: int) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shahrvand.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection
    from django.test.utils import override_settings

    from shahrvand.core.models import User
    from tests.identity.helpers import VerifiedClient

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    seeded = _seed(open_cases, closed_cases)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    setup_s = time.perf_counter() - t0

    pages = {
        "open": {},
        "overdue": {"scope": "overdue"},
        "waiting": {"scope": "waiting"},
        "unassigned": {"scope": "unassigned"},
        "deep": {"page": "150"},
        "national_code": {"q": str(seeded["national_code"]), "scope": "all"},
    }
    results: dict[str, object] = {}
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        client = VerifiedClient()
        client.force_login(User.objects.get(username="manager"))
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        for name, query in pages.items():
            for _ in range(5):
                assert client.get("/staff/cases/", query).status_code == 200
            queries = QueryLog()
            with connection.execute_wrapper(queries):
                response = client.get("/staff/cases/", query)
            rows = response.content.decode().count('class="queue__row')
            times, cpu = [], []
            for _ in range(runs):
                t1, c1 = time.perf_counter(), time.process_time()
                response = client.get("/staff/cases/", query)
                times.append((time.perf_counter() - t1) * 1000)
                cpu.append((time.process_time() - c1) * 1000)
                assert response.status_code == 200
            times.sort()
            results[name] = {
                "median_ms": round(statistics.median(times), 1),
                "p95_ms": round(times[max(int(len(times) * 0.95) - 1, 0)], 1),
                "cpu_median_ms": round(statistics.median(cpu), 1),
                "queries": queries.count,
                "sql_ms": round(queries.seconds * 1000, 1),
                "rows": rows,
            }
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return {
        "database": connection.vendor,
        "open_in_district_1": seeded["open_district1"],
        "closed": closed_cases,
        "runs": runs,
        "pages": results,
        "setup_s": round(setup_s, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--open", type=int, default=10_200, help="open requests (2 %% of them in District 2)")
    parser.add_argument("--closed", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--postgres", help="a postgres:// URL of the server (a throwaway database is created)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.open, args.closed, args.runs), ensure_ascii=False))
        return
    child_args = ["--open", str(args.open), "--closed", str(args.closed), "--runs", str(args.runs)]
    print(json.dumps(run_child(__file__, child_args, postgres=args.postgres), ensure_ascii=False))


if __name__ == "__main__":
    main()
