"""Benchmark: the auditor's search over a large audit trail, and what the search indexes cost a write.

In a fresh database (a temporary SQLite file, or a throwaway PostgreSQL database) in a child
process: one city with four districts, 60 staff members, and ``--entries`` audit entries spread
over a year — a realistic mix of reads of personal data (with the people they showed in the
payload), bill, payment and request events, sign-ins — bulk-inserted (COPY on PostgreSQL). One
person ("the citizen") is the subject of a few hundred of them. Then, as a city-wide auditor:

- each search of the auditor's page (:func:`shahrvand.audit.search.audit_page`, the query the page
  runs) ``--runs`` times: the newest entries, by actor, by citizen (national code), by record (a
  bill ID in the payload; a tracking code), one day, reads of personal data in one district, and
  page 100 of those reads — median and worst in ms, with the rows found;
- the whole page through Django's test client (middleware, form, template, and the
  ``audit.search`` entry it appends) for the citizen search;
- ``insert``: the cost of one :func:`audit_record` append (the chain lock, the hash, the indexes)
  ``--inserts`` times; on PostgreSQL also with the payload's GIN index dropped, to price it.

    .venv/bin/python benchmarks/audit_search.py                                        # SQLite
    .venv/bin/python benchmarks/audit_search.py --postgres postgres://postgres@127.0.0.1:5432/postgres

Prints one JSON object; the target is every search under 500 ms at 1,000,000 entries.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from harness import bench_city, run_child

ROOT = Path(__file__).resolve().parents[1]
NATIONAL_CODE = "0084575948"  # the citizen the searches look for (a valid check digit)

READS = ("registry.person_view", "registry.person_search", "registry.property_view", "case.read")
OTHERS = ("revenue.bill_settle", "payments.attempt_start", "case.act", "identity.sign_in", "documents.issue")


def _seed(entries: int) -> dict[str, Any]:
    from django.db import connection, transaction

    from shahrvand.audit.models import AuditEntry
    from shahrvand.core.models import Role, RoleGrant, User
    from shahrvand.registry.models import Person

    rng = random.Random(1405)
    city, districts = bench_city(4, live=True, holiday_years=())
    staff = []
    for n in range(60):
        user = User.objects.create_user(f"staff{n}", password=None, first_name="کارمند", last_name=f"شماره {n}")
        RoleGrant.objects.create(user=user, role=Role.CLERK, city=city, district=districts[n % 4])
        staff.append(user)
    auditor = User.objects.create_user("auditor", password=None, first_name="حسابرس", last_name="شهر")
    RoleGrant.objects.create(user=auditor, role=Role.AUDITOR, city=city, district=None)
    person = Person.objects.create(
        home_district=districts[0], national_code=NATIONAL_CODE, first_name="مریم", last_name="احمدی"
    )
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    span = 365 * 24 * 3600
    times = sorted(rng.randrange(span) for _ in range(entries))
    columns = [
        "seq",
        "created_at",
        "actor_id",
        "actor_label",
        "district_id",
        "action",
        "target_type",
        "target_id",
        "payload",
        "request_id",
        "prev_hash",
        "hash",
    ]
    prev = "0" * 64

    def rows():
        nonlocal prev
        for seq, offset in enumerate(times, start=1):
            actor = staff[rng.randrange(60)]
            district = districts[rng.randrange(4)]
            roll = rng.random()
            if roll < 0.45:
                action = READS[rng.randrange(len(READS))]
                people = [rng.randrange(1, 200_000) for _ in range(rng.randrange(1, 6))]
                if rng.random() < 0.0004:
                    people.append(person.pk)
                payload: dict[str, Any] = {"people": people}
                target = ("registry.person", str(people[0]))
            elif roll < 0.7:
                action = OTHERS[rng.randrange(2)]
                payload = {"bill_id": f"{rng.randrange(10**12):013d}", "amount": rng.randrange(1, 10**8) * 1000}
                target = ("revenue.bill", str(rng.randrange(1, 500_000)))
            elif roll < 0.9:
                action = "case.act"
                payload = {"tracking_code": f"14050{rng.randrange(10**7):07d}", "to": "accepted"}
                target = ("cases.case", str(rng.randrange(1, 200_000)))
            else:
                action = OTHERS[3 + rng.randrange(2)]
                payload = {}
                target = ("core.user", str(actor.pk))
            if seq % 1000 == 0:  # a bill of interest, found by the record search
                payload = {"bill_id": "1234567890123", "amount": 1_250_000}
                action = "revenue.bill_settle"
            digest = hashlib.sha256(f"{prev}{seq}".encode()).hexdigest()
            yield [
                seq,
                start + dt.timedelta(seconds=offset),
                actor.pk,
                actor.username,
                district.pk,
                action,
                *target,
                payload,
                "",
                prev,
                digest,
            ]
            prev = digest

    began = time.perf_counter()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            table = AuditEntry._meta.db_table
            with connection.cursor() as cursor:
                raw = cursor.connection  # psycopg 3
                with raw.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows():
                        row[8] = json.dumps(row[8])
                        copy.write_row(row)
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {table}")
        else:
            batch: list[AuditEntry] = []
            for row in rows():
                batch.append(AuditEntry(**dict(zip(columns, row, strict=True))))
                if len(batch) == 20_000:
                    AuditEntry.objects.bulk_create(batch)
                    batch = []
            AuditEntry.objects.bulk_create(batch)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    return {"seed_s": round(time.perf_counter() - began, 1), "auditor": auditor.pk, "district": districts[0].pk}


def _timed(fn, runs: int) -> dict[str, Any]:
    samples, found = [], 0
    for _ in range(runs):
        began = time.perf_counter()
        found = fn()
        samples.append((time.perf_counter() - began) * 1000)
    return {"median_ms": round(statistics.median(samples), 2), "max_ms": round(max(samples), 2), "rows": found}


def child(entries: int, runs: int, inserts: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shahrvand.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import connection
    from django.test import Client

    from shahrvand.audit.search import AuditQuery, audit_page, audit_scope
    from shahrvand.audit.services import audit_record
    from shahrvand.core.models import District, User

    seeded = _seed(entries)
    auditor = User.objects.get(pk=seeded["auditor"])
    district = District.objects.get(pk=seeded["district"])
    scope = audit_scope(auditor)
    day = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    searches = {
        "newest": (AuditQuery(), 1),
        "actor": (AuditQuery(actor="staff7"), 1),
        "citizen": (AuditQuery(citizen=NATIONAL_CODE), 1),
        "record_bill_id": (AuditQuery(record="1234567890123"), 1),
        "record_tracking_code": (AuditQuery(record="140501234567"), 1),
        "one_day": (AuditQuery(since=day, until=day + dt.timedelta(days=1)), 1),
        "reads_in_district": (AuditQuery(reads_only=True, district=district), 1),
        "reads_page_100": (AuditQuery(reads_only=True, district=district), 100),
    }
    results: dict[str, Any] = {}
    for name, (query, page) in searches.items():
        results[name] = _timed(lambda q=query, p=page: len(audit_page(scope, q, p)[0]), runs)

    client = Client()
    client.force_login(auditor)
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=auditor, name="bench", confirmed=True)
    session = client.session  # signed in with the second factor, as the staff gate requires
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()

    def page() -> int:
        response = client.get("/staff/audit/", {"citizen": NATIONAL_CODE}, HTTP_ACCEPT_LANGUAGE="fa")
        assert response.status_code == 200, response.status_code
        return 1

    results["citizen_page_http"] = _timed(page, runs)

    def appends() -> float:
        began = time.perf_counter()
        for n in range(inserts):
            audit_record(actor=auditor, action="registry.person_view", district=district, payload={"people": [n]})
        return (time.perf_counter() - began) * 1000 / inserts

    results["insert_ms_per_entry"] = round(appends(), 3)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX IF EXISTS audit_payload_gin")
        results["insert_ms_per_entry_without_gin"] = round(appends(), 3)
    print(
        json.dumps(
            {
                "database": connection.vendor,
                "entries": entries,
                "seed_s": seeded["seed_s"],
                "runs": runs,
                "searches": results,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--inserts", type=int, default=2000)
    parser.add_argument("--postgres", help="a PostgreSQL URL; a throwaway database is created on that server")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.entries, args.runs, args.inserts)
        return
    result = run_child(
        __file__,
        ["--entries", str(args.entries), "--runs", str(args.runs), "--inserts", str(args.inserts)],
        postgres=args.postgres,
    )
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
