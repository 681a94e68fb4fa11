"""Benchmark: the staff page of one building permit — server time and SQL queries.

In a fresh database (a temporary SQLite file, or a throwaway PostgreSQL database) in a child
process: the demo city (``seed_demo``, District 1 with ``--households`` households); an owner of a
zoned parcel applies through the real services (a one-floor building inside the zoning, every
co-owner approving), the clerk checks the documents and the inspector records the visit; the
permit's timeline is then grown to ``--events`` events and its files to ``--uploads`` (the issue's
case: 50 and 20). The demo planning officer's page ``/staff/permits/<tracking code>/`` is requested
``--runs`` times through Django's test client (middleware, session, second factor, selectors,
template) after a warm-up; the median and 95th percentile are reported with the number of queries,
which is also measured at 10 events to show that it does not grow.

    .venv/bin/python benchmarks/permit_page.py                                    # SQLite
    .venv/bin/python benchmarks/permit_page.py --postgres postgres://postgres@127.0.0.1:5432/postgres

Prints one JSON object; the figure to beat is a median under 150 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

from harness import run_child

ROOT = Path(__file__).resolve().parents[1]


def child(households: int, events: int, uploads: int, runs: int) -> dict[str, object]:
    # This folder may hold scripts named like standard modules (benchmarks/queue.py): not on the path here.
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shahrvand.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from shahrvand.cases.files import Upload
    from shahrvand.cases.models import Attachment, CaseEvent
    from shahrvand.core.models import District, User
    from shahrvand.permits import services
    from shahrvand.permits import workflow as wf
    from shahrvand.permits.models import PermitFile
    from shahrvand.permits.precheck import FloorIn
    from shahrvand.registry.models import Ownership, Zoning

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--households", str(households), verbosity=0)
    district = District.objects.get(slug="bojnurd-1")
    staff = {u.username: u for u in User.objects.filter(username__in=["clerk", "inspector", "planning"])}
    zoning = next(
        z
        for z in Zoning.objects.filter(parcel__district=district).select_related("parcel").order_by("pk")
        if ({"residential", "mixed"} & set(z.permitted_uses)) and Ownership.objects.filter(parcel=z.parcel).exists()
    )
    assert zoning is not None
    parcel = zoning.parcel
    owners = list(Ownership.objects.filter(parcel=parcel).select_related("person").order_by("pk"))
    if not owners:
        raise SystemExit("the demo's first zoned parcel has no owner")
    applicant = owners[0].person
    citizen_user = User.objects.create_user(username="bench-applicant", password=None)
    area = (parcel.land_area_m2 * Decimal(zoning.max_occupancy_pct) / 200).quantize(Decimal("0.01"))
    permit = services.permit_draft_create(
        actor=citizen_user,
        person=applicant,
        district=district,
        parcel_code=parcel.code,
        kind="new",
        floors=[FloorIn(0, "residential", area, 1)],
        parking_spaces=1,
        setback_m=zoning.setback_m or Decimal(0),
        designer_name="مهندس طراح نمونه",
        designer_licence="1-23-4567",
    )
    for approval in permit.approvals.select_related("person"):
        services.permit_approval_decide(actor=citizen_user, person=approval.person, permit=permit, approve=True)
    services.permit_submit(actor=citizen_user, person=applicant, permit=permit)
    permit.refresh_from_db()
    services.permit_act(actor=staff["clerk"], permit=permit, action="check_documents", role=wf.CLERK)
    services.permit_visit_record(
        actor=staff["inspector"],
        permit=permit,
        findings="زمین خالی است.",
        photos=[Upload("site.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)],
    )
    case = permit.case
    assert case is not None

    def grow(to_events: int, to_uploads: int) -> None:
        now = timezone.now()
        CaseEvent.objects.bulk_create(
            [
                CaseEvent(
                    case=case,
                    at=now + dt.timedelta(seconds=i),
                    actor=staff["inspector"],
                    role=wf.INSPECTOR,
                    action="attach",
                    from_status=case.status,
                    to_status=case.status,
                    comment=f"photo-{i}.jpg",
                )
                for i in range(max(0, to_events - case.events.count()))
            ]
        )
        for i in range(max(0, to_uploads - case.attachments.count())):
            attachment = Attachment.objects.create(
                case=case,
                role=wf.INSPECTOR,
                name=f"photo-{i}.jpg",
                content_type="image/jpeg",
                size=120_000,
                sha256=f"{i:064x}",
                path=f"attachments/00/{i:064x}",
                created_at=now,
            )
            PermitFile.objects.create(permit=permit, attachment=attachment, kind=PermitFile.Kind.SITE_PHOTO)

    setup_s = time.perf_counter() - t0
    planner = staff["planning"]
    device = TOTPDevice.objects.filter(user=planner, confirmed=True).first() or TOTPDevice.objects.create(
        user=planner, name="bench", confirmed=True
    )
    client = Client()
    client.force_login(planner)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    url = f"/staff/permits/{case.tracking_code}/"

    def count() -> int:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        assert response.status_code == 200, response.status_code
        return len(queries)

    grow(10, min(uploads, 10))
    queries_10 = count()
    grow(events, uploads)
    for _ in range(10):
        assert client.get(url).status_code == 200
    queries_full = count()
    times, cpu = [], []
    for _ in range(runs):
        t1, c1 = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append((time.perf_counter() - t1) * 1000)
        cpu.append((time.process_time() - c1) * 1000)
        assert response.status_code == 200
    if os.environ.get("PERMIT_PAGE_PROFILE"):  # where the time goes (to stderr), for whoever tunes the page
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(20):
            client.get(url)
        profiler.disable()
        order = os.environ["PERMIT_PAGE_PROFILE"]
        pstats.Stats(profiler, stream=sys.stderr).sort_stats(order if order != "1" else "cumulative").print_stats(60)
    times.sort()
    return {
        "database": connection.vendor,
        "households": households,
        "events": case.events.count(),
        "uploads": case.attachments.count(),
        "runs": runs,
        "queries_at_10_events": queries_10,
        "queries": queries_full,
        "page_median_ms": round(statistics.median(times), 1),
        "page_p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
        # CPU time of this process (Django's side, without the database server's): steadier on a busy machine.
        "page_cpu_median_ms": round(statistics.median(cpu), 1),
        "load_average_1m": round(os.getloadavg()[0], 1),
        "html_bytes": len(response.content),
        "setup_s": round(setup_s, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=300)
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--postgres", help="a postgres:// URL of the server (a throwaway database is created)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.households, args.events, args.uploads, args.runs), ensure_ascii=False))
        return
    argv = ["--households", str(args.households), "--events", str(args.events)]
    argv += ["--uploads", str(args.uploads), "--runs", str(args.runs)]
    print(json.dumps(run_child(__file__, argv, postgres=args.postgres), ensure_ascii=False))


if __name__ == "__main__":
    main()
