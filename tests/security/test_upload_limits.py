"""Every upload endpoint refuses a file over its limit and an executable under a harmless name.

Each refusal is a specific message on the page (Persian by default) and nothing is stored: no
database row, no file in the document store. The endpoints: the registry's delivery upload, the
bank's settlement file, the tariff book, and attachments to a case (staff). Citizens attach no
files at the portal (there is no portal upload form yet); ``test_no_other_upload_form`` fails when
one appears, so it gets a test here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from shahrvand.cases import files as case_files
from shahrvand.cases.models import Attachment
from shahrvand.core.models import Role
from shahrvand.registry.forms import MAX_UPLOAD_BYTES as REGISTRY_MAX
from shahrvand.registry.forms import DeliveryUploadForm
from shahrvand.registry.models import Delivery
from shahrvand.revenue.forms_tariff import MAX_TARIFF_BYTES
from shahrvand.revenue.models import TariffBook
from shahrvand.settlement.forms import MAX_UPLOAD_BYTES as SETTLEMENT_MAX
from shahrvand.settlement.forms import SettlementUploadForm
from shahrvand.settlement.models import SettlementFile, SettlementLine
from tests.identity.helpers import VerifiedClient

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
# A Windows executable's first bytes (MZ header), renamed to something harmless.
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 200
    + b"This program cannot be run in DOS mode."
)


def _signed_in(user) -> VerifiedClient:
    client = VerifiedClient()
    client.force_login(user)
    return client


def _stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _fa(message_fn) -> str:
    with translation.override("fa"):
        return str(message_fn())


def _t(msgid: str) -> str:
    """A message as the (Persian) page shows it."""
    with translation.override("fa"):
        text = str(translation.gettext(msgid))
    assert text != msgid, f"no Persian for {msgid!r}"
    return text


def _page(response) -> str:
    return response.content.decode()


# -- registry delivery -------------------------------------------------------------------------------
@pytest.fixture
def manager(staff):
    return _signed_in(staff(Role.MANAGER, password=None))


def test_delivery_over_the_limit_is_refused_with_its_message(manager, district1, settings):
    before = _stored_files(Path(settings.MEDIA_ROOT))
    big = SimpleUploadedFile("delivery.zip", b"PK\x03\x04" + b"\0" * REGISTRY_MAX, content_type="application/zip")
    response = manager.post("/staff/registry/deliveries/upload/", {"district": district1.pk, "file": big})
    assert response.status_code == 400
    assert _fa(DeliveryUploadForm.too_large_message) in _page(response)
    assert Delivery.objects.count() == 0
    assert _stored_files(Path(settings.MEDIA_ROOT)) == before


@pytest.mark.parametrize("name", ["delivery.zip", "delivery.xlsx", "delivery.pdf", "delivery.exe"])
def test_an_executable_is_not_a_delivery(manager, district1, name):
    response = manager.post(
        "/staff/registry/deliveries/upload/",
        {"district": district1.pk, "file": SimpleUploadedFile(name, EXE, content_type="application/zip")},
    )
    assert response.status_code == 400
    assert _t(
        "This is not a delivery file. Upload the audit delivery as a .zip of the folder of CSV files, "
        "or as an .xlsx workbook (a single CSV file is not enough)."
    ) in _page(response)
    assert Delivery.objects.count() == 0


# -- settlement file ---------------------------------------------------------------------------------
@pytest.fixture
def officer(staff):
    return _signed_in(staff(Role.REVENUE, password=None))


def test_settlement_file_over_the_limit_is_refused(officer, city):
    big = SimpleUploadedFile("mellat_14050912.csv", b"a" * (SETTLEMENT_MAX + 1), content_type="text/csv")
    response = officer.post("/staff/settlement/upload/", {"city": city.pk, "file": big, "action": "import"})
    assert response.status_code == 400
    assert _fa(SettlementUploadForm.too_large_message) in _page(response)
    assert SettlementFile.objects.count() == 0 and SettlementLine.objects.count() == 0


@pytest.mark.parametrize("name", ["mellat_14050912.csv", "mellat_14050912.pdf"])
def test_an_executable_is_not_a_settlement_file(officer, city, name):
    response = officer.post(
        "/staff/settlement/upload/",
        {"city": city.pk, "file": SimpleUploadedFile(name, EXE, content_type="text/csv"), "action": "import"},
    )
    assert response.status_code == 400
    if name.endswith(".pdf"):
        assert _t(
            "This is not a settlement file. Upload the bank's file as CSV (UTF-8), named like mellat_14050912.csv."
        ) in _page(response)
    else:
        assert response.context["result"].status == "rejected"
        problem = response.context["problems"][0]["message"]
        assert problem and problem in _page(response)
    assert SettlementFile.objects.count() == 0 and SettlementLine.objects.count() == 0


# -- tariff book -------------------------------------------------------------------------------------
def test_tariff_over_the_limit_is_refused(officer, city):
    big = SimpleUploadedFile("tariff.json", b" " * (MAX_TARIFF_BYTES + 1) + b"{}", content_type="application/json")
    response = officer.post("/staff/revenue/tariffs/upload/", {"city": city.pk, "year": "1405", "file": big})
    assert response.status_code == 400
    assert _t("The file is larger than 1 MB; a tariff book is a small JSON file.") in _page(response)
    assert TariffBook.objects.count() == 0


@pytest.mark.parametrize("name", ["tariff.json", "tariff.pdf"])
def test_an_executable_is_not_a_tariff(officer, city, name):
    response = officer.post(
        "/staff/revenue/tariffs/upload/",
        {"city": city.pk, "year": "1405", "file": SimpleUploadedFile(name, EXE, content_type="application/json")},
    )
    assert response.status_code == 400
    assert "پرونده متن UTF-8 نیست" in _page(response)  # the tariff reader's problem, in Persian
    assert TariffBook.objects.count() == 0


# -- case attachments (staff) ------------------------------------------------------------------------
def _attachment_state(world, settings):
    return Attachment.objects.count(), sorted(_stored_files(Path(settings.MEDIA_ROOT) / case_files.FOLDER))


def test_attachment_over_the_limit_is_refused(d2_world, settings):
    world = d2_world
    client = _signed_in(world.staff_d2)
    before = _attachment_state(world, settings)
    big = SimpleUploadedFile(
        "scan.pdf", b"%PDF-1.7\n" + b"0" * case_files.MAX_ATTACHMENT_BYTES, content_type="application/pdf"
    )
    response = client.post(f"/staff/cases/{world.case.tracking_code}/files/", {"file": big}, follow=True)
    assert response.status_code == 200
    assert case_files.too_large().message_fa in _page(response)
    assert _attachment_state(world, settings) == before


@pytest.mark.parametrize("name", ["scan.pdf", "photo.jpg", "photo.png"])
def test_an_executable_renamed_is_not_an_attachment(d2_world, settings, name):
    world = d2_world
    client = _signed_in(world.staff_d2)
    before = _attachment_state(world, settings)
    response = client.post(
        f"/staff/cases/{world.case.tracking_code}/files/",
        {"file": SimpleUploadedFile(name, EXE, content_type="application/pdf")},
        follow=True,
    )
    assert response.status_code == 200
    with pytest.raises(case_files.AttachmentRejected) as refused:
        case_files.check(case_files.Upload(name, EXE))
    assert refused.value.code == "attachment.type"
    assert refused.value.message_fa in _page(response)
    assert _attachment_state(world, settings) == before


def test_no_other_upload_form():
    """Every template with a file upload form is one of the endpoints tested above."""
    tested = {
        "registry/upload.html",
        "settlement/upload.html",
        "revenue/tariffs/upload.html",
        "cases/case.html",
        "permits/portal_draft.html",  # the power of attorney: tests/security/test_permit_uploads.py
        "permits/portal_detail.html",  # the plans (and stage reports, same check): test_permit_uploads.py
        "permits/staff_detail.html",  # the site-visit photos: test_permit_uploads.py
    }
    found = set()
    for template in ROOT.glob("shahrvand/**/templates/**/*.html"):
        if "multipart/form-data" in template.read_text(encoding="utf-8"):
            found.add(str(template).split("/templates/", 1)[1])
    assert found <= tested, f"new upload forms without a limit test: {sorted(found - tested)}"
