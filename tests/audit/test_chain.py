"""The audit trail is a SHA-256 chain: every entry links to the one before, and any change shows."""

from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction

from shahrvand.audit.models import GENESIS_HASH, AuditEntry
from shahrvand.audit.selectors import audit_chain_verify
from shahrvand.audit.services import audit_record

pytestmark = pytest.mark.django_db


def _append(n: int, district=None, actor=None) -> list[AuditEntry]:
    return [
        audit_record(
            actor=actor, action="test.step", target=("test.thing", str(i)), district=district, payload={"i": i}
        )
        for i in range(n)
    ]


def _run_verify() -> tuple[int, str, str]:
    import io

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit_log", stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def _tamper(sql: str, params: list) -> None:
    """Change the table behind the application's back, as an intruder with database access would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_append_only")


def test_entries_form_a_chain_from_genesis(district1, staff):
    clerk = staff("clerk")
    first, second, third = _append(3, district=district1, actor=clerk)

    assert (first.seq, second.seq, third.seq) == (1, 2, 3)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert first.actor_label == clerk.username
    assert first.district_id == district1.pk
    assert first.target_type == "test.thing" and first.target_id == "0"


def test_system_actor_is_labelled():
    entry = audit_record(actor=None, action="test.system", actor_label="import_audit")
    assert entry.actor_id is None
    assert entry.actor_label == "import_audit"


def test_payload_types_are_stored_as_json(district1):
    import datetime as dt
    from decimal import Decimal

    entry = audit_record(
        actor=None, action="test.types", payload={"share": Decimal("1.500"), "on": dt.date(2026, 3, 21), "n": 7}
    )
    entry.refresh_from_db()
    assert entry.payload == {"share": "1.500", "on": "2026-03-21", "n": 7}
    assert audit_chain_verify().intact


def test_verify_reports_intact_chain():
    _append(5)
    status = audit_chain_verify()
    assert status.intact and status.checked == 5 and status.last_good_seq == 5

    code, out, _ = _run_verify()
    assert code == 0
    assert "INTACT: 5 entries" in out


def test_empty_chain_is_intact():
    code, out, _ = _run_verify()
    assert code == 0 and "INTACT: 0 entries" in out


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("payload", '{"i": 99}'),
        ("action", "test.forged"),
        ("actor_label", "someone-else"),
        ("target_id", "42"),
        ("request_id", "forged-request"),
    ],
)
def test_changing_any_field_breaks_the_chain_at_that_entry(column, value):
    _append(5)
    _tamper(f"UPDATE audit_auditentry SET {column} = %s WHERE seq = 3", [value])  # noqa: S608 - test-only column names

    status = audit_chain_verify()
    assert not status.intact
    assert status.first_bad_seq == 3
    assert status.last_good_seq == 2
    code, _, err = _run_verify()
    assert code == 1
    assert "BROKEN at entry #3" in err


def test_rehashing_a_changed_entry_still_breaks_the_next_link():
    entries = _append(4)
    _tamper("UPDATE audit_auditentry SET payload = %s, hash = %s WHERE seq = 2", ['{"i": 7}', "f" * 64])
    status = audit_chain_verify()
    assert not status.intact and status.first_bad_seq == 2
    assert entries[2].prev_hash != "f" * 64


def test_deleting_an_entry_from_the_middle_is_found():
    _append(4)
    _tamper("DELETE FROM audit_auditentry WHERE seq = 2", [])
    status = audit_chain_verify()
    assert not status.intact
    assert status.first_bad_seq == 3
    assert "sequence jumps" in status.problem


def test_deleting_the_first_entry_is_found():
    _append(3)
    _tamper("DELETE FROM audit_auditentry WHERE seq = 1", [])
    status = audit_chain_verify()
    assert not status.intact and status.first_bad_seq == 2


def test_an_entry_rolls_back_with_its_transaction():
    _append(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=None, action="test.rolled_back")
        raise RuntimeError("the service failed")
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["test.step"]
    assert audit_record(actor=None, action="test.after").seq == 2


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the append-only trigger exists on PostgreSQL only")
def test_postgresql_refuses_update_and_delete():
    _append(2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(seq=1).update(action="test.forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(seq=2).delete()
    assert AuditEntry.objects.count() == 2


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="concurrent writers need a server database")
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_do_not_fork_the_chain():
    writers, per_writer = 6, 15
    errors: list[BaseException] = []
    barrier = threading.Barrier(writers)

    def write(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_writer):
                with transaction.atomic():
                    audit_record(actor=None, action="test.concurrent", payload={"writer": n, "i": i})
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert AuditEntry.objects.count() == writers * per_writer
    status = audit_chain_verify()
    assert status.intact and status.checked == writers * per_writer
