"""Benchmark: the citizen portal's dashboard — server time and SQL queries.

In a fresh database (a temporary SQLite file, or a throwaway PostgreSQL database) in a child
process: the demo city (``seed_demo``, District 1 with ``--households`` households), the demo
citizen enrolled and activated through the real services, then given ``--properties`` properties
and three correction requests. The dashboard is then requested ``--runs`` times through Django's
test client in the same process (the whole request: middleware, session, selectors, template),
after a warm-up; the median and 95th percentile are reported with the number of SQL queries.

    .venv/bin/python benchmarks/portal_dashboard.py                                    # SQLite
    .venv/bin/python benchmarks/portal_dashboard.py --postgres postgres://postgres@127.0.0.1:5432/postgres

``seed_demo`` assesses District 1 with the demo tariff; the citizen is then made the payer of
``--bills`` open bills in all (the issue's case: 5 properties and 20 bills).
Prints one JSON object; the figure to beat is a median under 100 ms on PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

from harness import run_child

ROOT = Path(__file__).resolve().parents[1]


def _settings_module() -> str:
    """The project's settings once they install the citizens app; the citizens test settings until then."""
    settings_text = (ROOT / "shahrvand" / "settings.py").read_text(encoding="utf-8")
    return "shahrvand.settings" if '"shahrvand.citizens"' in settings_text else "tests.settings_citizens"


def child(households: int, properties: int, runs: int, bills: int) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", _settings_module())
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from shahrvand.citizens import selectors, services
    from shahrvand.citizens.demo import demo_citizen_create
    from shahrvand.core.models import District
    from shahrvand.registry.models import Ownership, Unit

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--households", str(households), verbosity=0)
    district = District.objects.get(slug="bojnurd-1")
    citizen, _password = demo_citizen_create(district)
    held = set(
        Ownership.objects.filter(person=citizen.person, missing_since__isnull=True).values_list(
            "property_code", flat=True
        )
    )
    for unit in (
        Unit.objects.filter(district=district, kind="apartment")
        .exclude(code__in=held)
        .order_by("pk")[: max(0, properties - len(held))]
    ):
        Ownership.objects.create(
            person=citizen.person,
            parcel_id=unit.parcel_id,
            building_id=unit.building_id,
            unit=unit,
            property_code=unit.code,
            share_dang=Decimal(1),
            deed_type="official",
            district=district,
        )
    for code in list(Ownership.objects.filter(person=citizen.person).values_list("property_code", flat=True))[:3]:
        services.citizen_correction_file(
            citizen=citizen, kind="property", code=code, field="units.household_size", value="9"
        )
    from shahrvand.revenue.models import Bill

    mine = Bill.objects.filter(payer=citizen.person, status="open").count()
    extra = list(
        Bill.objects.filter(district=district, status="open")
        .exclude(payer=citizen.person)
        .order_by("pk")
        .values_list("pk", flat=True)[: max(0, bills - mine)]
    )
    Bill.objects.filter(pk__in=extra).update(payer=citizen.person)
    setup_s = time.perf_counter() - t0

    client = Client()
    client.force_login(citizen.user)
    url = reverse("citizens:dashboard")
    for _ in range(10):
        assert client.get(url).status_code == 200
    # Count the queries of one request with the connection kept open across it (a real server may
    # reconnect per request: the timings below include that, the count does not need it).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
    query_count = len(queries)  # read now: the log is gone once the connection is reopened
    assert response.status_code == 200
    times = []
    for _ in range(runs):
        t1 = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t1) * 1000)
        assert response.status_code == 200
    selector_times = []
    for _ in range(runs):
        t1 = time.perf_counter()
        board = selectors.portal_dashboard(citizen)
        selector_times.append((time.perf_counter() - t1) * 1000)
    times.sort()
    return {
        "database": connection.vendor,
        "households": households,
        "properties": len(board.properties),
        "requests": len(board.requests),
        "documents_shown": len(board.documents),
        "bills": len(board.bills),
        "runs": runs,
        "queries": query_count,
        "dashboard_median_ms": round(statistics.median(times), 1),
        "dashboard_p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
        "selectors_median_ms": round(statistics.median(selector_times), 1),
        "html_bytes": len(response.content),
        "setup_s": round(setup_s, 1),
    }


def run_case(households: int, properties: int, runs: int, bills: int, postgres: str | None) -> dict[str, object]:
    args = [
        "--households",
        str(households),
        "--properties",
        str(properties),
        "--runs",
        str(runs),
        "--bills",
        str(bills),
    ]
    return run_child(__file__, args, postgres=postgres)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=2600)
    parser.add_argument("--properties", type=int, default=5)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--bills", type=int, default=20, help="open bills the citizen pays")
    parser.add_argument("--postgres", help="a postgres:// URL of the server (a throwaway database is created)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.households, args.properties, args.runs, args.bills), ensure_ascii=False))
        return
    print(
        json.dumps(run_case(args.households, args.properties, args.runs, args.bills, args.postgres), ensure_ascii=False)
    )


if __name__ == "__main__":
    main()
