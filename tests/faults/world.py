"""A child process of the fault tests: one step of the world, in its own process, against ``DATABASE_URL``.

    python -m tests.faults.world seed --bills 6
    python -m tests.faults.world pay BILL_PK [--die-at before_verify|after_verify] [--restart-db-at before_verify]
    python -m tests.faults.world command --die-on-create audit.AuditEntry:1 -- import_audit PATH --district SLUG
    python -m tests.faults.world paid-at-bank --attempts 2   (attempts paid at the bank; their callbacks)
    python -m tests.faults.world delivery FOLDER [--district-number 2]   (an audit delivery, demo generator)
    python -m tests.faults.world settlement-file FOLDER   (a bank file paying every open bill)
    python -m tests.faults.world abandon BILL_PK  (the payer leaves the bank's card page)
    python -m tests.faults.world check [--after-tokens-expire]   (reconcile as the timer would, the invariants)

``--die-at``, ``--die-on-create``/``-bulk-create``/``-update`` (``app.Model:nth``) make the process
SIGKILL itself at that point
(no cleanup, no rollback by Python: exactly a killed worker; PostgreSQL rolls the open transaction
back when the connection drops). ``--restart-db-at`` restarts the PostgreSQL cluster at that point
(``pg_ctl restart -m fast``; ``FAULT_PGDATA``, ``FAULT_PGBIN``, ``FAULT_PGRUNAS`` name it) and carries on. Each
prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shahrvand.settings")
    import django

    django.setup()


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def restart_db() -> None:
    pg_ctl = str(Path(os.environ["FAULT_PGBIN"]) / "pg_ctl")
    owner = os.environ.get("FAULT_PGRUNAS", "").split()
    data = Path(os.environ["FAULT_PGDATA"])
    # The new server gets the log file, not our pipes (a postmaster holding them would never let go).
    subprocess.run([*owner, pg_ctl, "-D", str(data), "-l", str(data.parent / "log"), "restart", "-m", "fast", "-w"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


def seed(bills: int) -> dict[str, Any]:
    from shahrvand.registry.services import audit_import
    from tests.factories import CityFactory, DistrictFactory
    from tests.payments.conftest import PAYER, bill_for, make_citizen
    from tests.registry.conftest import SAMPLE

    district = DistrictFactory(city=CityFactory(), number=1, eservices_enabled=True)
    empty = DistrictFactory(city=district.city, number=2)  # receives the deliveries of the import tests
    assert audit_import(actor=None, district=district, path=SAMPLE).status == "applied"
    citizen = make_citizen(PAYER, district)
    made = [bill_for(citizen, instalment_no=n).pk for n in range(bills)]
    return {"city": district.city.slug, "district": district.slug, "empty": empty.slug, "bills": made}


def delivery(folder: Path, district_number: int) -> dict[str, Any]:
    """An audit delivery for a district in the documented format (the demo generator), in ``folder``."""
    from shahrvand.demo.generator import DeliverySpec, write_delivery

    write_delivery(DeliverySpec(district_number=district_number, households=60, seed=9), folder)
    return {"path": str(folder)}


def settlement_file(folder: Path) -> dict[str, Any]:
    """A bank's settlement file paying every open bill (as at ATMs), in ``folder``."""
    from shahrvand.revenue.models import Bill
    from tests.settlement.helpers import csv_bytes, file_name, line

    bills = list(Bill.objects.filter(status=Bill.Status.OPEN).order_by("pk"))
    path = folder / file_name()
    path.write_bytes(csv_bytes([line(bill, trace=f"{700000000000 + n}") for n, bill in enumerate(bills)]))
    return {"path": str(path), "lines": len(bills)}


def pay(bill_pk: int, die_at: str, restart_at: str, callbacks: int) -> dict[str, Any]:
    from shahrvand.citizens.models import Citizen
    from shahrvand.payments import sandbox
    from shahrvand.payments.gateways.sandbox import SandboxGateway
    from shahrvand.payments.services import payment_callback
    from shahrvand.revenue.models import Bill
    from tests.payments.helpers import pay_at_bank, start

    original = SandboxGateway.verify

    def verify(self: SandboxGateway, **kwargs: Any) -> Any:
        if die_at == "before_verify":
            die()
        if restart_at == "before_verify":
            restart_db()
        answer = original(self, **kwargs)
        if die_at == "after_verify":
            die()
        return answer

    SandboxGateway.verify = verify  # type: ignore[method-assign]  # the fault injected in this process only
    bill = Bill.objects.get(pk=bill_pk)
    citizen = Citizen.objects.get(person=bill.payer)
    with sandbox.faults_set():
        attempt = start(citizen, bill)
        fields = pay_at_bank(attempt)
        print(json.dumps({"order_id": attempt.order_id, "fields": fields}), flush=True)
        outcomes = []
        for _ in range(callbacks):
            try:
                outcome = payment_callback(order_id=attempt.order_id, data=fields)
                outcomes.append(str(outcome.attempt.status) if outcome.attempt else "refused")
            except Exception as exc:  # what the callback view does: the payer gets a page, reconcile finishes
                outcomes.append(f"error: {type(exc).__name__}")
    return {"order_id": attempt.order_id, "outcomes": outcomes}


def paid_at_bank(attempts_per_bill: int) -> dict[str, Any]:
    """Every open bill gets ``attempts_per_bill`` attempts, each paid at the bank; their callbacks are returned."""
    from shahrvand.citizens.models import Citizen
    from shahrvand.revenue.models import Bill
    from tests.payments.helpers import pay_at_bank, start

    callbacks = []
    for bill in Bill.objects.filter(status=Bill.Status.OPEN).order_by("pk"):
        citizen = Citizen.objects.get(person=bill.payer)
        for _ in range(attempts_per_bill):
            attempt = start(citizen, bill)
            callbacks.append({"order_id": attempt.order_id, "fields": pay_at_bank(attempt)})
    return {"callbacks": callbacks}


def command(name: str, args: list[str], traps: dict[str, str]) -> dict[str, Any]:
    from django.apps import apps
    from django.core.management import call_command
    from django.db.models.query import QuerySet

    calls: Counter[str] = Counter()

    def trap(method: str, spec: str) -> None:
        if not spec:
            return
        label, _, nth = spec.partition(":")
        model = apps.get_model(label)
        original = getattr(QuerySet, method)

        def wrapped(self: QuerySet[Any], *a: Any, **kw: Any) -> Any:
            if self.model is model:
                calls[label] += 1
                if calls[label] >= int(nth or 1):
                    die()
            return original(self, *a, **kw)

        setattr(QuerySet, method, wrapped)

    for method, spec in traps.items():
        trap(method, spec)
    try:
        call_command(name, *args)
    except SystemExit as exc:
        return {"exit": exc.code}
    return {"exit": 0}


def abandon(bill_pk: int) -> dict[str, Any]:
    """The payer goes to the bank's card page and never pays nor comes back."""
    from shahrvand.citizens.models import Citizen
    from shahrvand.revenue.models import Bill
    from tests.payments.helpers import start

    bill = Bill.objects.get(pk=bill_pk)
    attempt = start(Citizen.objects.get(person=bill.payer), bill)
    return {"order_id": attempt.order_id, "status": str(attempt.status)}


def check(after_tokens_expire: bool) -> dict[str, Any]:
    import datetime as dt

    from shahrvand.payments.services import QUIET, TOKEN_MINUTES
    from tests.faults.invariants import audit_chain_ok, money_problems, reconcile_until_quiet

    reports = reconcile_until_quiet(later=dt.timedelta(minutes=TOKEN_MINUTES + 1) if after_tokens_expire else QUIET)
    chain_ok, chain = audit_chain_ok()
    return {"reconcile": reports, "problems": money_problems(), "audit_ok": chain_ok, "audit": chain}


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    s = sub.add_parser("seed")
    s.add_argument("--bills", type=int, default=4)
    p = sub.add_parser("pay")
    p.add_argument("bill", type=int)
    p.add_argument("--die-at", default="", choices=["", "before_verify", "after_verify"])
    p.add_argument("--restart-db-at", default="", choices=["", "before_verify"])
    p.add_argument("--callbacks", type=int, default=1)
    c = sub.add_parser("command")
    c.add_argument("--die-on-create", default="")
    c.add_argument("--die-on-bulk-create", default="")
    c.add_argument("--die-on-update", default="")
    c.add_argument("rest", nargs=argparse.REMAINDER)
    k = sub.add_parser("check")
    k.add_argument("--after-tokens-expire", action="store_true")
    a = sub.add_parser("abandon")
    a.add_argument("bill", type=int)
    b = sub.add_parser("paid-at-bank")
    b.add_argument("--attempts", type=int, default=1)
    d = sub.add_parser("delivery")
    d.add_argument("folder", type=Path)
    d.add_argument("--district-number", type=int, default=2)
    f = sub.add_parser("settlement-file")
    f.add_argument("folder", type=Path)
    args = parser.parse_args()
    _setup()
    if args.what == "seed":
        result = seed(args.bills)
    elif args.what == "pay":
        result = pay(args.bill, args.die_at, args.restart_db_at, args.callbacks)
    elif args.what == "command":
        rest = args.rest[1:] if args.rest[:1] == ["--"] else args.rest
        traps = {"create": args.die_on_create, "bulk_create": args.die_on_bulk_create, "update": args.die_on_update}
        result = command(rest[0], rest[1:], traps)
    elif args.what == "paid-at-bank":
        result = paid_at_bank(args.attempts)
    elif args.what == "delivery":
        result = delivery(args.folder, args.district_number)
    elif args.what == "settlement-file":
        result = settlement_file(args.folder)
    elif args.what == "abandon":
        result = abandon(args.bill)
    else:
        result = check(args.after_tokens_expire)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
