"""The settlement_import and reconcile commands: exit codes and what they print."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from shahrvand.core import jalali
from shahrvand.revenue.models import Bill
from shahrvand.settlement.models import SettlementFile
from tests.revenue.factories import make_bill
from tests.settlement.helpers import DAY, UNKNOWN_BILL_ID, csv_bytes, file_name, line

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[int, str, str]:
    import io

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_import_exit_codes(registry, tmp_path):
    bill = make_bill(registry)
    good = tmp_path / file_name()
    good.write_bytes(csv_bytes([line(bill, trace="111111111111"), line(UNKNOWN_BILL_ID, trace="111111111112")]))
    bad = tmp_path / file_name(suffix="-bad")
    bad.write_bytes(csv_bytes([line(bill, trace="12")]))

    assert run("settlement_import", str(good), "--city", "nowhere")[0] == 2
    assert run("settlement_import", str(tmp_path / "absent.csv"), "--city", registry.city.slug)[0] == 2
    assert run("settlement_import", str(good), "--city", registry.city.slug, "--date", "1405/13/40")[0] == 2

    code, _, err = run("settlement_import", str(bad), "--city", registry.city.slug)
    assert code == 1 and "trace_number.invalid" in err and "شمارهٔ پیگیری" in err and "REJECTED" in err
    code, out, _ = run("settlement_import", str(good), "--city", registry.city.slug, "--dry-run")
    assert code == 0 and "DRY RUN" in out and not SettlementFile.objects.exists()

    code, out, _ = run("settlement_import", str(good), "--city", registry.city.slug)
    assert code == 0 and "IMPORTED" in out
    bill.refresh_from_db()
    assert bill.status == Bill.Status.PAID
    code, out, _ = run("settlement_import", str(good), "--city", registry.city.slug)
    assert code == 0 and "ALREADY IMPORTED" in out
    assert SettlementFile.objects.count() == 1


def test_reconcile_prints_the_sections_and_writes_the_csv(registry, tmp_path):
    path = tmp_path / file_name()
    path.write_bytes(
        csv_bytes([line(make_bill(registry), trace="111111111111"), line(UNKNOWN_BILL_ID, trace="222222222222")])
    )
    assert run("settlement_import", str(path), "--city", registry.city.slug)[0] == 0
    report = tmp_path / "report.csv"

    code, out, _ = run(
        "reconcile", "--city", registry.city.slug, "--date", jalali.format_jalali(DAY), "--csv", str(report)
    )

    assert code == 0
    assert "paid_but_unknown" in out and "Paid but unknown bill / پرداخت‌شده با قبض ناشناخته" in out
    assert UNKNOWN_BILL_ID in out and "To follow up / نیازمند پیگیری: 1" in out
    rows = report.read_text(encoding="utf-8").splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["matched", "paid_but_unknown"]
    assert run("reconcile", "--city", registry.city.slug, "--date", "yesterday")[0] == 2
    assert run("reconcile", "--city", "nowhere", "--date", jalali.format_jalali(DAY))[0] == 2
