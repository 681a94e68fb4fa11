"""Benchmark: 50 concurrent online payments through the sandbox bank on PostgreSQL — zero double settlements.

In a throwaway PostgreSQL database, in a child process: the sample registry of District 1, one
citizen with ``--payments`` open bills; each bill gets an attempt (token from the sandbox bank) and
is paid at the bank. Then ``--payments`` threads, each with its own database connection (no pool),
deliver their callbacks all at once, each ``--copies`` times (the copies after the first are
duplicates). A second round has two attempts per bill racing. Reported: wall time, callback
latency (median, 95th percentile), and the checks — payments per bill, settled attempts,
money the bank kept vs bills paid.

    .venv/bin/python benchmarks/payments_concurrency.py --postgres postgres://postgres@127.0.0.1:5432/postgres

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(payments: int, copies: int) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shahrvand.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections
    from django.db.models import Count

    call_command("migrate", verbosity=0)
    from shahrvand.payments import clock, sandbox
    from shahrvand.payments.models import AttemptStatus, PaymentAttempt, SandboxState, SandboxTransaction
    from shahrvand.payments.services import payment_callback, payment_start
    from shahrvand.registry.services import audit_import
    from shahrvand.revenue.models import Bill, Payment
    from tests.factories import CityFactory, DistrictFactory
    from tests.payments.conftest import PAYER, make_citizen, noon_today
    from tests.registry.conftest import SAMPLE
    from tests.revenue.factories import make_bill

    district = DistrictFactory(city=CityFactory(), number=1)
    audit_import(actor=None, district=district, path=SAMPLE)
    citizen = make_citizen(PAYER, district)

    def bills(count: int, first: int) -> list[Bill]:
        made = []
        for number in range(first, first + count):
            bill = make_bill(district, instalment_no=number % 99)
            Bill.objects.filter(pk=bill.pk).update(payer=citizen.person, instalment_no=number % 99)
            bill.refresh_from_db()
            made.append(bill)
        return made

    def attempt_paid(bill: Bill) -> tuple[str, dict[str, str]]:
        started = payment_start(
            actor=citizen.user, citizen=citizen, bill=bill, callback_url="http://bench/pay/callback/{order_id}/"
        )
        txn = sandbox.bank_pay(token=started.attempt.token, pan=sandbox.TEST_CARDS[0], now=clock.now())
        return started.attempt.order_id, sandbox.callback_fields(txn)

    seen_errors: list[str] = []

    def storm(callbacks: list[tuple[str, dict[str, str]]], repeat: int) -> tuple[float, list[float], int]:
        barrier = threading.Barrier(len(callbacks))
        latencies: list[float] = []
        errors = []
        lock = threading.Lock()

        def run(order_id: str, fields: dict[str, str]) -> None:
            try:
                barrier.wait()
                for _ in range(repeat):  # the first copy races the other payments; the rest are duplicates
                    started = time.perf_counter()
                    payment_callback(order_id=order_id, data=fields)
                    with lock:
                        latencies.append(time.perf_counter() - started)
            except Exception as exc:
                errors.append(repr(exc))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=run, args=cb) for cb in callbacks]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seen_errors.extend(errors)
        return time.perf_counter() - began, latencies, len(errors)

    with clock.frozen(noon_today()):
        one = bills(payments, 1)
        paid = [attempt_paid(bill) for bill in one]
        wall1, lat1, err1 = storm(paid, copies)
        # Round two: two attempts per bill, both paid at the bank, callbacks racing.
        two = bills(payments // 2, 200)
        racing = [attempt_paid(bill) for bill in two for _ in range(2)]
        wall2, lat2, err2 = storm(racing, 1)

    all_bills = one + two
    doubled = Payment.objects.values("bill").annotate(n=Count("pk")).filter(n__gt=1).count()
    settled_per_bill = (
        PaymentAttempt.objects.filter(status=AttemptStatus.SETTLED).values("bill").annotate(n=Count("pk"))
    )
    kept = SandboxTransaction.objects.filter(state=SandboxState.VERIFIED).count()
    latencies = sorted(lat1 + lat2)

    def pct(values: list[float], q: float) -> float:
        return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 1)

    return {
        "database": connections["default"].vendor,
        "round1": {"bills": payments, "callbacks": len(paid) * copies, "wall_s": round(wall1, 2), "errors": err1},
        "round2": {"bills": len(two), "attempts": len(racing), "wall_s": round(wall2, 2), "errors": err2},
        "callback_ms": {"median": round(statistics.median(latencies) * 1000, 1), "p95": pct(latencies, 0.95)},
        "bills_paid": Bill.objects.filter(pk__in=[b.pk for b in all_bills], status=Bill.Status.PAID).count(),
        "payments": Payment.objects.count(),
        "double_settlements": doubled + sum(1 for row in settled_per_bill if row["n"] > 1),
        "bank_kept_money": kept,
        "reversed": PaymentAttempt.objects.filter(status=AttemptStatus.REVERSED).count(),
        "errors": sorted(set(seen_errors))[:5],
        "open_attempts": PaymentAttempt.objects.exclude(
            status__in=[AttemptStatus.SETTLED, AttemptStatus.REVERSED, AttemptStatus.FAILED]
        ).count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", help="a postgres:// URL of the server (a throwaway DB is made)")
    parser.add_argument("--payments", type=int, default=50)
    parser.add_argument("--copies", type=int, default=2, help="each callback delivered this many times at once")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.payments, args.copies)))
        return
    if not args.postgres:
        parser.error("--postgres is required: SQLite serialises writers, so nothing would run concurrently")
    created = f"shahrvand_bench_{uuid.uuid4().hex[:8]}"
    base = args.postgres.rsplit("/", 1)[0]
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", created], check=True)
    env = {
        **os.environ,
        "DJANGO_ENV": "development",
        "DEBUG": "0",
        "LOG_LEVEL": "ERROR",
        "DATABASE_URL": f"{base}/{created}",
        "DATABASE_POOL": "0",  # every thread its own connection
        "SHAHRVAND_PAYMENT_GATEWAY": "sandbox",
    }
    try:
        with tempfile.TemporaryDirectory() as var:
            env["SHAHRVAND_VAR_DIR"] = var
            out = subprocess.run(
                [sys.executable, __file__, "--child", "--payments", str(args.payments), "--copies", str(args.copies)],
                env=env,
                check=False,
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
    finally:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", created], check=False)
    if out.returncode != 0:
        sys.exit(f"benchmark child failed:\n{out.stderr[-4000:]}")
    print(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
