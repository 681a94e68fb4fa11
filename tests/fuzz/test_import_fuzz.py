"""Fuzzing the audit importer (issue 9, "hostile input") through the staff upload and apply pages.

Each example mutates the valid sample delivery (tests/data/sample-audit, a copy of
shared/data/sample-audit) — random bytes, truncation, UTF-16 and Windows-1256, byte-order marks,
huge cells, spreadsheet formulas, missing, extra and duplicated columns, path-traversal names and
duplicates in the zip — and uploads it as District 1's manager. The importer must answer with a
page (the delivery checked, or its problem report), never a server error, and must never write part
of a delivery: the registry's row counts only change when a delivery is applied whole.

Examples are bounded (``max_examples`` about 50, no deadline) and each runs in a rolled-back
savepoint, so the file takes well under a minute.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shahrvand.core.models import Role
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
from tests.identity.helpers import VerifiedClient

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample-audit"
FILES = sorted(p.stem for p in SAMPLE.glob("*.csv"))
BASE: dict[str, bytes] = {name: (SAMPLE / f"{name}.csv").read_bytes() for name in FILES}
REGISTRY = (Parcel, Building, Unit, Person, Ownership, Business, Zoning, ChangeRecord)
FORMULAS = ("=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)", '=HYPERLINK("http://x")', "\t=1", "\r=1")
FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)

Files = dict[str, bytes]
Members = list[tuple[str, bytes]]


def registry_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in REGISTRY}


def zipped(members: Members) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


def members_of(files: Files) -> Members:
    return [(f"delivery/{name}.csv", data) for name, data in files.items()]


def rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def csv_of(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


# -- mutations of one file ---------------------------------------------------------------------------
@st.composite
def file_mutation(draw: st.DrawFn) -> Callable[[bytes], bytes | None]:
    kind = draw(
        st.sampled_from(
            [
                "random_bytes",
                "truncate",
                "utf16",
                "cp1256",
                "bom",
                "huge_cell",
                "formula",
                "drop_column",
                "extra_column",
                "duplicate_header",
                "rename_header",
                "blank",
                "remove",
                "ragged_row",
                "quote",
                "nul",
            ]
        )
    )
    position = draw(st.floats(min_value=0, max_value=1))
    noise = draw(st.binary(min_size=1, max_size=64))
    text = draw(st.text(min_size=1, max_size=40))
    formula = draw(st.sampled_from(FORMULAS))
    huge = draw(st.sampled_from([70_000, 1_100_000]))

    def apply(data: bytes) -> bytes | None:
        cut = int(len(data) * position)
        rows = rows_of(data)
        row = 1 + int((len(rows) - 2) * position) if len(rows) > 1 else 0
        col = int((len(rows[0]) - 1) * position)
        if kind == "random_bytes":
            return data[:cut] + noise + data[cut:]
        if kind == "truncate":
            return data[:cut]
        if kind == "utf16":
            return data.decode("utf-8-sig").encode("utf-16")
        if kind == "cp1256":
            return data.decode("utf-8-sig").encode("cp1256", errors="replace")
        if kind == "bom":
            return b"\xef\xbb\xbf\xef\xbb\xbf" + data if position > 0.5 else b"\xff\xfe" + data
        if kind == "huge_cell":
            rows[row][col] = "ب" * huge
        elif kind == "formula":
            rows[row][col] = formula
        elif kind == "drop_column":
            rows = [r[:col] + r[col + 1 :] for r in rows]
        elif kind == "extra_column":
            rows = [[*r, formula if i == 0 else text] for i, r in enumerate(rows)]
        elif kind == "duplicate_header":
            rows = [[*r, r[col]] for r in rows]
        elif kind == "rename_header":
            rows[0][col] = text
        elif kind == "blank":
            return b""
        elif kind == "remove":
            return None
        elif kind == "ragged_row":
            rows[row] = rows[row] + [text] * 3 if position > 0.5 else rows[row][: max(1, col)]
        elif kind == "quote":
            return data[:cut] + b'"' + text.encode() + data[cut:]
        elif kind == "nul":
            return data[:cut] + b"\x00" + data[cut:]
        return csv_of(rows)

    apply.__name__ = f"{kind}@{position:.2f}"
    return apply


@st.composite
def mutated_files(draw: st.DrawFn) -> Files:
    files = dict(BASE)
    for name in draw(st.lists(st.sampled_from(FILES), min_size=1, max_size=3, unique=True)):
        mutate = draw(file_mutation())
        result = mutate(files[name])
        if result is None:
            del files[name]
        else:
            files[name] = result
    return files


# -- mutations of the archive ------------------------------------------------------------------------
TRAVERSAL = [
    "../parcels.csv",
    "../../etc/passwd",
    "/etc/parcels.csv",
    "delivery/../../parcels.csv",
    "C:\\windows\\parcels.csv",
    "C:/parcels.csv",
    "..\\..\\people.csv",
    "delivery/./../units.csv",
]


@st.composite
def archive_members(draw: st.DrawFn) -> Members:
    members = members_of(BASE)
    kind = draw(st.sampled_from(["traversal", "duplicate", "nested", "junk", "mac", "case", "empty_dir"]))
    name = draw(st.sampled_from(FILES))
    if kind == "traversal":
        members.append((draw(st.sampled_from(TRAVERSAL)), BASE[name]))
    elif kind == "duplicate":
        members.append((f"other/{name}.csv", BASE[name]))
    elif kind == "nested":
        members = [(f"a/b/c/d/{n.split('/')[-1]}", d) for n, d in members]
    elif kind == "junk":
        members.append(
            (draw(st.text(min_size=1, max_size=30)).replace("\x00", "") or "x", draw(st.binary(max_size=200)))
        )
    elif kind == "mac":
        members.append((f"__MACOSX/delivery/._{name}.csv", b"\x00\x05\x16\x07" + b"\x00" * 40))
    elif kind == "case":
        members = [(n.upper(), d) for n, d in members]
    elif kind == "empty_dir":
        members.append(("delivery/empty/", b""))
    return members


# -- the check ---------------------------------------------------------------------------------------
@pytest.fixture
def manager_client(staff, district1, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    result = audit_import(actor=None, district=district1, path=SAMPLE)  # District 1 already holds the sample
    assert result.status == "applied"
    client = VerifiedClient()
    client.force_login(staff(Role.MANAGER, password=None))
    return client


def upload_and_apply(client: VerifiedClient, district, data: bytes, *, name: str = "delivery.zip", apply: bool = True):
    """Upload, and apply when it was accepted; asserts the no-5xx and no-partial-write rules. Rolled back.

    Returns the response and, when the upload made a delivery record (checked, or rejected with its
    problem report), the codes of its problems and its status.
    """
    with transaction.atomic():
        before = registry_counts()
        deliveries = Delivery.objects.count()
        response = client.post(
            "/staff/registry/deliveries/upload/",
            {"district": district.pk, "file": SimpleUploadedFile(name, data, content_type="application/zip")},
        )
        assert response.status_code in (302, 400), response.status_code
        assert registry_counts() == before, "the upload step changed the registry"
        assert Delivery.objects.count() - deliveries in (0, 1)
        if response.status_code == 400:
            assert (
                response.content.count(b'class="error')
                or b"errorlist" in response.content
                or b"problem" in response.content
            )
        delivery = Delivery.objects.order_by("-pk").first() if Delivery.objects.count() > deliveries else None
        outcome: tuple[str, set[str]] | None = None
        if response.status_code == 302:
            assert delivery is not None
            assert delivery.status in (Delivery.Status.VALIDATED, Delivery.Status.REJECTED)
            if delivery.status == Delivery.Status.REJECTED:
                assert delivery.problems, "a rejected delivery without its problem report"
            outcome = (delivery.status, {str(p.get("code")) for p in delivery.problems or []})
            page = client.get(response["Location"])
            assert page.status_code == 200
            report = client.get(f"/staff/registry/deliveries/{delivery.pk}/report.csv")
            assert report.status_code == 200
            assert_formula_safe(report.content.decode("utf-8-sig"))
            if apply and delivery.status == Delivery.Status.VALIDATED:
                applied = client.post(f"/staff/registry/deliveries/{delivery.pk}/apply/")
                assert applied.status_code == 302
                delivery.refresh_from_db()
                if delivery.status != Delivery.Status.APPLIED:
                    assert registry_counts() == before, "a delivery that was not applied changed the registry"
        transaction.set_rollback(True)
    return response, outcome


def assert_formula_safe(report: str) -> None:
    """No cell of the downloadable problem report starts like a spreadsheet formula."""
    for row in csv.reader(io.StringIO(report)):
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), f"formula in the report: {cell!r}"


def test_the_unchanged_sample_is_accepted(manager_client, district1):
    response, outcome = upload_and_apply(manager_client, district1, zipped(members_of(BASE)))
    assert response.status_code == 302 and outcome is not None and outcome[0] == Delivery.Status.VALIDATED


@FUZZ
@given(files=mutated_files())
def test_mutated_csv_files_never_crash_or_half_apply(manager_client, district1, files):
    upload_and_apply(manager_client, district1, zipped(members_of(files)))


@settings(FUZZ, max_examples=30)
@given(members=archive_members())
def test_hostile_archives_never_crash_or_half_apply(manager_client, district1, members):
    _response, outcome = upload_and_apply(manager_client, district1, zipped(members))
    if any(".." in name or name.startswith(("/", "C:")) for name, _ in members):
        # A path leaving the folder refuses the whole archive.
        assert outcome is not None and outcome[0] == Delivery.Status.REJECTED and "zip.unsafe_path" in outcome[1]


@settings(FUZZ, max_examples=25)  # three uploads each
@given(
    data=st.binary(max_size=4096), cut=st.floats(min_value=0, max_value=1), name=st.sampled_from(["d.zip", "d.xlsx"])
)
def test_random_and_truncated_uploads_are_refused_with_a_page(manager_client, district1, data, cut, name):
    valid = zipped(members_of(BASE))
    upload_and_apply(manager_client, district1, data, name=name, apply=False)
    upload_and_apply(manager_client, district1, valid[: int(len(valid) * cut)], name=name, apply=False)
    flipped = bytearray(valid)
    if data:
        at = int(len(flipped) * cut) % len(flipped)
        flipped[at] ^= data[0] or 1
    upload_and_apply(manager_client, district1, bytes(flipped), name=name, apply=False)


def test_a_zip_bomb_within_the_caps_is_read_and_refused_as_a_bad_file(manager_client, district1):
    """20 MB of one repeated character in parcels.csv (about 20 KB compressed): a problem, not a crash."""
    members = members_of(BASE)
    members = [
        (n, b"renovation_code\n" + b"1" * (20 * 1024 * 1024) if n.endswith("parcels.csv") else d) for n, d in members
    ]
    data = zipped(members)
    assert len(data) < 200_000
    _response, outcome = upload_and_apply(manager_client, district1, data, apply=False)
    assert outcome is not None and outcome[0] == Delivery.Status.REJECTED


def test_a_zip_whose_header_lies_about_its_size(manager_client, district1):
    """parcels.csv declares 10 bytes but holds 5 MB: the reader trusts neither, and reports the entry."""
    members = [(n, b"x" * 5_000_000 if n.endswith("parcels.csv") else d) for n, d in members_of(BASE)]
    raw = bytearray(zipped(members))
    name = b"delivery/parcels.csv"
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := raw.find(signature, start)) != -1:
            name_at = start + (30 if signature == b"PK\x03\x04" else 46)
            if raw[name_at : name_at + len(name)] == name:
                raw[start + size_at : start + size_at + 4] = (10).to_bytes(4, "little")
            start += 4
    _response, outcome = upload_and_apply(manager_client, district1, bytes(raw), apply=False)
    assert outcome is not None and outcome[0] == Delivery.Status.REJECTED


def test_a_password_protected_like_member_is_reported(manager_client, district1):
    """The 'encrypted' flag set on a member: the reader cannot decrypt it, and says so."""
    raw = bytearray(zipped(members_of(BASE)))
    # Set bit 0 (encrypted) of the general purpose flags in every local and central header.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := raw.find(signature, start)) != -1:
            raw[start + offset] |= 1
            start += 4
    _response, outcome = upload_and_apply(manager_client, district1, bytes(raw), apply=False)
    assert outcome is not None and outcome[0] == Delivery.Status.REJECTED and "zip.unreadable" in outcome[1]


def test_the_problem_report_never_starts_a_cell_with_a_formula():
    """Column and file names come from the delivery: the downloadable report defuses them."""
    from shahrvand.registry.importing.problems import Problem, report_csv

    problem = Problem("=cmd|' /C calc'!A0.csv", 1, "@SUM(A1)", "column.unknown", "-x", "+y", "warning")
    assert_formula_safe(report_csv([problem]).lstrip("\ufeff"))
    assert "'=cmd" in report_csv([problem])
