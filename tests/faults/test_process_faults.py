"""Fault tests with real processes on a private PostgreSQL cluster (see conftest.py).

A worker killed (SIGKILL) between the bank's callback and verify, or just after verify; the database
server restarted during a payment; ``import_audit`` and ``settlement_import`` killed mid-import.
Afterwards the every-minute reconciliation resolves every attempt, no bill is paid twice, the bank
keeps money exactly for the bills it paid, nothing of a killed import is applied (and a re-run
succeeds), and the audit chain verifies (``tests/faults/invariants.py``).
"""

from __future__ import annotations

import pytest

from tests.faults.conftest import World


def _clean(world: World) -> dict:
    after = world.run("check")
    assert after["problems"] == [], after
    assert after["audit_ok"], after["audit"]
    return after


def _bill_status(world: World, pk: int) -> str:
    return world.query(f"SELECT status FROM revenue_bill WHERE id = {int(pk)}")[0][0]  # noqa: S608 — an int


@pytest.mark.parametrize("moment", ["before_verify", "after_verify"])
def test_a_worker_killed_during_the_callback_leaves_nothing_reconciliation_cannot_finish(world: World, moment):
    seeded = world.run("seed", "--bills", "2")
    bill, other = seeded["bills"]

    started = world.run("pay", str(bill), "--die-at", moment, expect_killed=True)

    assert started["order_id"]  # the payer paid at the bank, then the worker died
    assert world.query("SELECT count(*) FROM revenue_payment") == [("0",)]
    after = _clean(world)
    assert _bill_status(world, bill) == "paid"  # the bank had the money: reconciliation settled the bill
    assert world.query("SELECT status FROM payments_paymentattempt") == [("settled",)]
    assert after["reconcile"][0]["looked_at"] == 1
    # The callback arriving late (the payer's browser retried) changes nothing.
    world.run("pay", str(other))
    assert _bill_status(world, other) == "paid"
    _clean(world)


def test_the_database_restarting_during_a_payment_loses_no_money(world: World):
    seeded = world.run("seed", "--bills", "1")
    (bill,) = seeded["bills"]

    paid = world.run("pay", str(bill), "--restart-db-at", "before_verify", "--callbacks", "2", timeout=90)

    # The first callback met the restart (the page still answers; the attempt waits), the retry went through
    # or left it to reconciliation: either way, once reconciled, the bill is paid once and the money kept once.
    assert len(paid["outcomes"]) == 2
    _clean(world)
    assert _bill_status(world, bill) == "paid"
    assert world.query("SELECT count(*) FROM revenue_payment") == [("1",)]
    assert world.query("SELECT state FROM payments_sandboxtransaction") == [("verified",)]


def test_a_payer_who_never_comes_back_from_the_bank_is_resolved_once_the_token_expires(world: World):
    seeded = world.run("seed", "--bills", "1")
    (bill,) = seeded["bills"]
    world.run("abandon", str(bill))

    waiting = world.run("check")  # a minute later the payer may still be paying: the attempt waits
    assert any("attempts still open" in problem for problem in waiting["problems"]), waiting
    after = world.run("check", "--after-tokens-expire")

    assert after["problems"] == [], after
    assert world.query("SELECT status FROM payments_paymentattempt")[0][0] in {"failed", "expired"}
    assert _bill_status(world, bill) == "open"


def _registry_counts(world: World) -> dict[str, str]:
    return {
        table: world.query(f"SELECT count(*) FROM {table}")[0][0]  # noqa: S608 — fixed table names
        for table in ("registry_parcel", "registry_unit", "registry_person", "registry_ownership", "registry_delivery")
    }


@pytest.mark.parametrize("trap", ["--die-on-bulk-create=registry.Unit:1", "--die-on-create=audit.AuditEntry:1"])
def test_import_audit_killed_mid_import_applies_nothing_and_a_rerun_succeeds(world: World, trap, tmp_path):
    seeded = world.run("seed", "--bills", "0")
    folder = world.run("delivery", str(tmp_path / "delivery"), "--district-number", "2")["path"]
    before = _registry_counts(world)
    audit_before = world.query("SELECT count(*) FROM audit_auditentry")

    world.run("command", trap, "--", "import_audit", folder, "--district", seeded["empty"], expect_killed=True)

    assert _registry_counts(world) == before  # not one parcel, unit, person or delivery of the killed run
    assert world.query("SELECT count(*) FROM audit_auditentry") == audit_before
    done = world.run("command", "--", "import_audit", folder, "--district", seeded["empty"])
    assert done["exit"] == 0
    assert int(_registry_counts(world)["registry_unit"]) > int(before["registry_unit"])
    _clean(world)


@pytest.mark.parametrize("trap", ["--die-on-update=revenue.Bill:1", "--die-on-create=audit.AuditEntry:1"])
def test_settlement_import_killed_mid_import_applies_nothing_and_a_rerun_succeeds(world: World, trap, tmp_path):
    seeded = world.run("seed", "--bills", "3")
    made = world.run("settlement-file", str(tmp_path))
    assert made["lines"] == 3
    tables = ("settlement_settlementfile", "revenue_payment", "audit_auditentry")
    before = {t: world.query(f"SELECT count(*) FROM {t}") for t in tables}  # noqa: S608 — fixed table names

    world.run("command", trap, "--", "settlement_import", made["path"], "--city", seeded["city"], expect_killed=True)

    assert {t: world.query(f"SELECT count(*) FROM {t}") for t in tables} == before  # noqa: S608
    assert {s for (s,) in world.query("SELECT status FROM revenue_bill")} == {"open"}
    done = world.run("command", "--", "settlement_import", made["path"], "--city", seeded["city"])
    assert done["exit"] == 0
    assert {s for (s,) in world.query("SELECT status FROM revenue_bill")} == {"paid"}
    _clean(world)
