"""Benchmark: validate + import an audit delivery, re-import it, and search the registry.

Each case runs in a fresh database (a temporary SQLite file, or a throwaway PostgreSQL database)
in a child process, so peak memory (ru_maxrss) is the import's own.

    .venv/bin/python benchmarks/registry_import.py                       # District 1 on SQLite
    .venv/bin/python benchmarks/registry_import.py --households 80000 \\
        --postgres postgres://postgres@127.0.0.1:5432/postgres            # ~100,000 units on PostgreSQL

Prints one JSON object per case; docs/benchmarks.md records the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(households: int, seed: int) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shahrvand.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shahrvand.core.models import District
    from shahrvand.demo.generator import DeliverySpec, write_delivery
    from shahrvand.registry.services import audit_import

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--empty", verbosity=0)
    district = District.objects.get(slug="bojnurd-1")
    with tempfile.TemporaryDirectory() as folder:
        t0 = time.perf_counter()
        rows = write_delivery(DeliverySpec(district_number=1, households=households, seed=seed), Path(folder))
        generate_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        result = audit_import(actor=None, district=district, path=Path(folder))
        import_s = time.perf_counter() - t0
        assert result.status == "applied", result.errors[:5]
        rss_after_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        t0 = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            again = audit_import(actor=None, district=district, path=Path(folder))
        reimport_s = time.perf_counter() - t0
        writes = [q for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
        assert again.status == "unchanged"

    search = search_timings(district)
    return {
        "database": connection.vendor,
        "households": households,
        "rows": rows,
        "generate_s": round(generate_s, 2),
        "validate_and_import_s": round(import_s, 2),
        "peak_rss_mb": round(rss_after_import),
        "reimport_unchanged_s": round(reimport_s, 2),
        "reimport_writes": len(writes),
        **search,
    }


def search_timings(district: object) -> dict[str, object]:
    """Median time of registry searches of each kind, when the staff search selector exists."""
    try:
        from shahrvand.registry.selectors import registry_search
    except ImportError:
        return {"search": "selector not available"}
    from shahrvand.core.models import Role, User
    from shahrvand.registry.models import Business, Person, Unit

    user = User.objects.get(username="admin") if User.objects.filter(username="admin").exists() else None
    if user is None or not user.role_grants.filter(role=Role.CITY_ADMIN).exists():
        return {"search": "no city admin"}
    unit = Unit.objects.order_by("-id").first()
    person = Person.objects.order_by("-id").first()
    business = Business.objects.order_by("-id").first()
    assert unit and person and business
    queries = {
        "renovation_code": unit.code,
        "national_code": person.national_code,
        "name": person.last_name,
        "business_code": business.business_code,
    }
    out: dict[str, object] = {}
    for kind, query in queries.items():
        times = []
        for _ in range(30):
            t0 = time.perf_counter()
            found = registry_search(actor=user, query=query)
            times.append((time.perf_counter() - t0) * 1000)
            assert found.count > 0, (kind, query)
        out[f"search_{kind}_median_ms"] = round(statistics.median(times), 1)
    return out


def run_case(households: int, seed: int, postgres: str | None) -> dict[str, object]:
    env = {**os.environ, "DJANGO_ENV": "development", "DEBUG": "0"}
    created = None
    with tempfile.TemporaryDirectory() as var:
        env["SHAHRVAND_VAR_DIR"] = var
        if postgres:
            created = f"shahrvand_bench_{uuid.uuid4().hex[:8]}"
            base = postgres.rsplit("/", 1)[0]
            subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", created], check=True)
            env["DATABASE_URL"] = f"{base}/{created}"
        try:
            out = subprocess.run(
                [sys.executable, __file__, "--child", "--households", str(households), "--seed", str(seed)],
                env=env,
                check=False,
                capture_output=True,
                text=True,
            )
            if out.returncode != 0:
                sys.exit(f"benchmark child failed:\n{out.stderr[-4000:]}")
        finally:
            if created:
                subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", created], check=False)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=2600)
    parser.add_argument("--seed", type=int, default=1405)
    parser.add_argument("--postgres", help="a postgres:// URL of the server (a throwaway database is created)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.households, args.seed), ensure_ascii=False))
        return
    print(json.dumps(run_case(args.households, args.seed, args.postgres), ensure_ascii=False))


if __name__ == "__main__":
    main()
