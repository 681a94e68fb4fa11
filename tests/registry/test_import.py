"""import_audit: the whole delivery validated first, all or nothing, idempotent, history kept."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shahrvand.audit.models import AuditEntry
from shahrvand.registry.importing import sources
from shahrvand.registry.models import (
    Building,
    Business,
    ChangeRecord,
    Delivery,
    Ownership,
    Parcel,
    Person,
    Unit,
    Zoning,
)
from shahrvand.registry.services import audit_import
from tests.registry.conftest import SAMPLE, SAMPLE_BAD, read_rows, write_rows

pytestmark = pytest.mark.django_db

REGISTRY_MODELS = [Parcel, Building, Unit, Person, Ownership, Business, Zoning, ChangeRecord, Delivery]


def registry_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in REGISTRY_MODELS}


def run_import(path: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_audit", str(path), "--district", "bojnurd-1", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def file_rows(name: str, folder: Path = SAMPLE) -> int:
    return len(read_rows(folder / name))


def test_sample_delivery_imports_and_counts_match(district1):
    code, out, _ = run_import(SAMPLE)

    assert code == 0 and "IMPORTED" in out
    assert Parcel.objects.count() == file_rows("parcels.csv") == 15
    assert Building.objects.count() == file_rows("buildings.csv")
    assert Unit.objects.count() == file_rows("units.csv")
    assert Person.objects.count() == file_rows("people.csv")
    assert Ownership.objects.count() == file_rows("ownerships.csv")
    assert Business.objects.count() == file_rows("businesses.csv")
    assert Zoning.objects.count() == file_rows("zoning.csv")
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.APPLIED
    assert delivery.counts["units"] == {"new": 52, "changed": 0, "unchanged": 0, "missing": 0}
    assert AuditEntry.objects.filter(action="registry.delivery_apply", district=district1).count() == 1


def test_imported_values_are_exact(district1):
    run_import(SAMPLE)
    parcel = Parcel.objects.get(code="1-1-100-1-0-0-0")
    assert parcel.land_area_m2 == Decimal("275.44")
    assert parcel.regional_value_per_m2 == 2_500_000
    assert parcel.postal_code == "9471511661"
    assert parcel.district == district1
    shares = Ownership.objects.filter(property_code="1-1-100-1-1-1-0").values_list("share_dang", flat=True)
    assert sorted(shares) == [Decimal(3), Decimal(3)]
    unit = Unit.objects.get(code="1-1-100-8-1-0-1")
    assert unit.kind == Unit.Kind.SHOP and unit.building.code == "1-1-100-8-1-0-0"
    person = Person.objects.get(national_code="4821993511")
    assert person.mobile == "+989016579754"
    assert str(person.birth_date) == "1949-07-07"  # 1328/04/16
    business = Business.objects.get(business_code="B1000001")
    assert business.operator.national_code == "1114893641"
    assert str(business.license_expiry) == "2028-07-05"  # 1407/04/15
    assert Zoning.objects.get(parcel=parcel).permitted_uses == ["residential", "mixed"]


def test_reimporting_the_same_delivery_writes_nothing(district1):
    run_import(SAMPLE)
    before = registry_counts()

    with CaptureQueriesContext(connection) as queries:
        code, out, _ = run_import(SAMPLE)

    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert code == 0 and "UNCHANGED" in out
    assert writes == []
    assert registry_counts() == before


def test_dry_run_shows_counts_and_writes_nothing(district1):
    code, out, _ = run_import(SAMPLE, "--dry-run")
    assert code == 0 and "DRY RUN" in out
    assert "parcels" in out and " 15 " in out
    assert all(n == 0 for n in registry_counts().values())
    assert not AuditEntry.objects.exists()


def test_bad_sample_reports_every_expected_problem_and_writes_nothing(district1, tmp_path):
    report = tmp_path / "report.csv"
    code, _, err = run_import(SAMPLE_BAD, "--report", str(report))

    assert code == 1 and "REJECTED" in err
    with report.open(encoding="utf-8-sig") as handle:
        reported = {(r["file"], int(r["row"]), r["column"]) for r in csv.DictReader(handle)}
    expected = {(r["file"], int(r["row"]), r["column"]) for r in read_rows(SAMPLE_BAD / "EXPECTED-PROBLEMS.csv")}
    assert expected - reported == set()
    assert all(n == 0 for n in registry_counts().values())
    assert not AuditEntry.objects.exists()


def test_report_has_persian_and_english_messages(district1, tmp_path):
    report = tmp_path / "report.csv"
    run_import(SAMPLE_BAD, "--report", str(report))
    with report.open(encoding="utf-8-sig") as handle:
        rows = {(r["file"], r["row"], r["column"]): r for r in csv.DictReader(handle)}
    problem = rows[("people.csv", "4", "national_code")]
    assert problem["message_en"] == "checksum of the national code fails"
    assert problem["message_fa"] == "رقم کنترل کد ملی درست نیست"
    assert rows[("units.csv", "6", "renovation_code")]["message_en"] == "building 1-9-999-9-1-0-0 does not exist"


def test_later_delivery_updates_by_natural_key_and_keeps_history(district1, sample):
    run_import(sample)
    parcels = read_rows(sample / "parcels.csv")
    parcels[0]["address"] = "بجنورد، خیابان طالقانی، پلاک ۵"
    parcels[0]["regional_value_per_m2"] = "3000000"
    write_rows(sample / "parcels.csv", parcels)
    businesses = read_rows(sample / "businesses.csv")
    gone = businesses.pop()
    write_rows(sample / "businesses.csv", businesses)

    code, out, _ = run_import(sample)

    assert code == 0 and "IMPORTED" in out
    parcel = Parcel.objects.get(code=parcels[0]["renovation_code"])
    assert parcel.address == "بجنورد، خیابان طالقانی، پلاک ۵"
    assert parcel.regional_value_per_m2 == 3_000_000
    second = Delivery.objects.order_by("-id").first()
    change = ChangeRecord.objects.get(entity="parcels", key=parcel.code)
    assert change.kind == ChangeRecord.Kind.UPDATED
    assert change.delivery == second
    assert change.changes["regional_value_per_m2"] == [2_500_000, 3_000_000]
    assert change.changes["address"][1] == "بجنورد، خیابان طالقانی، پلاک ۵"
    missing = Business.objects.get(business_code=gone["business_code"])  # reported, never deleted
    assert missing.missing_since == second
    assert ChangeRecord.objects.filter(entity="businesses", kind=ChangeRecord.Kind.MISSING).count() == 1
    assert second.counts["businesses"]["missing"] == 1
    assert second.counts["parcels"] == {"new": 0, "changed": 1, "unchanged": 14, "missing": 0}


def test_a_missing_record_listed_again_reappears(district1, sample):
    run_import(sample)
    full = read_rows(sample / "businesses.csv")
    write_rows(sample / "businesses.csv", full[:-1])
    run_import(sample)
    write_rows(sample / "businesses.csv", full)
    run_import(sample)
    business = Business.objects.get(business_code=full[-1]["business_code"])
    assert business.missing_since is None
    kinds = list(ChangeRecord.objects.filter(entity="businesses").order_by("id").values_list("kind", flat=True))
    assert kinds == ["missing", "reappeared"]


def test_crash_mid_import_leaves_the_registry_as_it_was(district1, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Business.objects, "bulk_create", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        run_import(SAMPLE)
    assert all(n == 0 for n in registry_counts().values())
    assert not AuditEntry.objects.exists()


def test_persian_digits_and_arabic_letters_are_normalised(district1, sample):
    people = read_rows(sample / "people.csv")
    digits = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    people[0]["national_code"] = people[0]["national_code"].translate(digits)
    people[0]["first_name"] = "علي"  # Arabic yeh
    people[0]["mobile"] = people[0]["mobile"].translate(digits)
    write_rows(sample / "people.csv", people)

    assert run_import(sample)[0] == 0
    person = Person.objects.get(national_code="4821993511")
    assert person.first_name == "علی"


def test_spreadsheet_dropped_leading_zeros_are_padded(district1, sample):
    people = read_rows(sample / "people.csv")
    ownerships = read_rows(sample / "ownerships.csv")
    padded = next(p["national_code"] for p in people if p["national_code"].startswith("0"))
    for row in people + ownerships:
        if row["national_code"] == padded:
            row["national_code"] = padded.lstrip("0")
    write_rows(sample / "people.csv", people)
    write_rows(sample / "ownerships.csv", ownerships)
    assert run_import(sample)[0] == 0
    assert Person.objects.filter(national_code=padded).exists()


def test_unknown_column_is_a_warning_missing_column_an_error(district1, sample):
    units = read_rows(sample / "units.csv")
    for row in units:
        row["colour"] = "blue"
    write_rows(sample / "units.csv", units)
    code, out, _ = run_import(sample, "--dry-run")
    assert code == 0 and "units.csv:1:colour [column.unknown]" in out

    for row in units:
        del row["area_m2"]
    write_rows(sample / "units.csv", units)
    code, _, err = run_import(sample)
    assert code == 1 and "units.csv:1:area_m2 [column.missing]" in err
    assert Unit.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "file.empty"),
        ("renovation_code,floor\n".encode("cp1256") + "1-1-100-1-1-1-0,کف".encode("cp1256"), "file.encoding"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00binary", "file.not_text"),
        (b'renovation_code,floor\n"1-1-100-1-1-1-0,0\n', "file.not_csv"),
    ],
)
def test_broken_files_are_named_and_nothing_is_written(district1, sample, content, problem):
    (sample / "units.csv").write_bytes(content)
    code, _, err = run_import(sample)
    assert code == 1
    assert f"units.csv:0: [{problem}]" in err or f"[{problem}]" in err
    assert all(n == 0 for n in registry_counts().values())


def test_unknown_district_is_a_usage_error(district1):
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as caught:
        call_command("import_audit", str(SAMPLE), "--district", "nowhere-9", stdout=out, stderr=err)
    assert caught.value.code == 2


def test_codes_of_another_district_are_refused(district1, district2):
    result = audit_import(actor=None, district=district2, path=SAMPLE)
    assert result.status == "rejected"
    assert any(p.code == "renovation_code.district" for p in result.errors)
    assert Parcel.objects.count() == 0


def _zip_folder(folder: Path, *, prefix: str = "delivery/") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.glob("*.csv")):
            archive.write(path, f"{prefix}{path.name}")
    return buffer.getvalue()


def test_zip_of_the_folder_imports_like_the_folder(district1, tmp_path):
    archive = tmp_path / "delivery.zip"
    archive.write_bytes(_zip_folder(SAMPLE))
    assert run_import(archive)[0] == 0
    assert Unit.objects.count() == 52


def test_zip_with_a_path_leaving_the_folder_is_refused(district1, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(SAMPLE.glob("*.csv")):
            archive.write(path, path.name)
        archive.writestr("../../etc/cron.d/evil", "* * * * * root rm -rf /")
    target = tmp_path / "evil.zip"
    target.write_bytes(buffer.getvalue())
    code, _, err = run_import(target)
    assert code == 1 and "zip.unsafe_path" in err
    assert Parcel.objects.count() == 0


def test_upload_that_is_not_zip_or_xlsx_is_refused():
    raw = sources.read_delivery_bytes("delivery.csv", b"renovation_code\n1-1-1-1-0-0-0\n")
    assert [p.code for p in raw.problems] == ["upload.type"]


def test_huge_upload_is_refused_before_reading(monkeypatch):
    monkeypatch.setattr(sources, "MAX_TOTAL_BYTES", 1000)
    raw = sources.read_delivery_bytes("big.zip", b"PK\x03\x04" + b"\x00" * 2000)
    assert [p.code for p in raw.problems] == ["upload.too_large"]


def _workbook(folder: Path, *, formula_at: tuple[str, str] | None = None) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for path in sorted(folder.glob("*.csv")):
        if path.name == "EXPECTED-PROBLEMS.csv":
            continue
        sheet = book.create_sheet(path.stem)
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.reader(handle):
                sheet.append(row)
    if formula_at is not None:
        book[formula_at[0]][formula_at[1]] = "=1+1"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_workbook_imports_like_the_folder(district1, tmp_path):
    book = tmp_path / "delivery.xlsx"
    book.write_bytes(_workbook(SAMPLE))
    code, _, err = run_import(book)
    assert code == 0, err
    assert Parcel.objects.count() == 15 and Ownership.objects.count() == 61


def test_formula_in_an_xlsx_cell_is_refused(district1, tmp_path):
    book = tmp_path / "delivery.xlsx"
    book.write_bytes(_workbook(SAMPLE, formula_at=("parcels", "G3")))
    code, _, err = run_import(book)
    assert code == 1
    assert "parcels.csv:3:land_area_m2 [xlsx.formula]" in err
    assert Parcel.objects.count() == 0


def test_not_an_xlsx_is_refused(district1, tmp_path):
    book = tmp_path / "delivery.xlsx"
    book.write_bytes(b"PK\x03\x04 this is not a workbook")
    code, _, err = run_import(book)
    assert code == 1 and ("xlsx.invalid" in err or "zip.invalid" in err)


def test_encrypted_or_corrupt_zip_entry_is_reported_not_a_crash(district1, tmp_path):
    data = bytearray(_zip_folder(SAMPLE))
    # Set the "encrypted" flag bit on every local header and central directory entry.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (index := data.find(signature, start)) != -1:
            data[index + offset] |= 0x01
            start = index + 4
    target = tmp_path / "encrypted.zip"
    target.write_bytes(bytes(data))
    code, _, err = run_import(target)
    assert code == 1 and "zip.unreadable" in err
    assert Parcel.objects.count() == 0


def test_broken_workbook_xml_is_reported_not_a_crash(district1, tmp_path):
    good = _workbook(SAMPLE)
    source = zipfile.ZipFile(io.BytesIO(good))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info in source.infolist():
            content = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                content = content[: len(content) // 2]  # truncated XML
            archive.writestr(info, content)
    book = tmp_path / "broken.xlsx"
    book.write_bytes(buffer.getvalue())
    code, _, err = run_import(book)
    assert code == 1 and "xlsx.invalid" in err
    assert Parcel.objects.count() == 0
