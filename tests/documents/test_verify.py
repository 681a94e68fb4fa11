"""Verification: the public pages, /V/<payload>, keys.json, the rate limit, the offline command on
real and tampered PDFs, and the staff revoke/reissue page."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings

from shahrvand.audit.models import AuditEntry
from shahrvand.core.http import client_ip
from shahrvand.core.models import Role
from shahrvand.core.text import to_persian_digits
from shahrvand.documents import payload as qr
from shahrvand.documents.models import Document, SigningKey
from shahrvand.documents.numbering import format_number
from shahrvand.documents.ratelimit import parse_rate
from shahrvand.documents.rendering import render_pdf
from shahrvand.documents.selectors import fact_rows
from shahrvand.documents.services import document_issue, document_reissue, document_revoke
from shahrvand.documents.types import document_type
from shahrvand.documents.verify import missing_from_text, skeleton, verify_pdf, verify_qr

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
FIELDS = {
    "renovation_code": "1-25-156-15-0-0-0",
    "address": "بجنورد، خیابان طالقانی، کوچه رجب‌زاده، پلاک ۱۲",
    "land_area": "245.5",
    "land_use": "مسکونی",
    "owners": ["علی رجب‌زاده (۳ دانگ)", "مریم احمدی (۳ دانگ)"],
}
VALID_FA = "این گواهی معتبر است"


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def issue(district, fields=None):
    return document_issue(
        actor=None,
        doc_type="property_statement",
        district=district,
        fields=fields or FIELDS,
        signer_role=Role.CLERK,
        subject_ref=FIELDS["renovation_code"],
    )


@pytest.fixture
def document(district1):
    return issue(district1)


@pytest.fixture
def manager(staff):
    return staff(Role.MANAGER)


def qr_path(document) -> str:
    return "/V/" + document.payload.split("/V/", 1)[1]


def html_of(response) -> str:
    return response.content.decode()


def run(*args) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_document", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def keys_file(client, tmp_path, document):
    """The published keys.json, saved as an offline verifier would."""
    path = tmp_path / "keys.json"
    path.write_bytes(client.get("/verify/keys.json").content)
    cache.clear()
    return path


@pytest.fixture
def pdf_file(tmp_path, document):
    path = tmp_path / "document.pdf"
    path.write_bytes(bytes(document.pdf))
    return path


def rerender(document, *, shown: dict, attached: dict) -> bytes:
    """A forged PDF: the ORIGINAL QR text, with ``shown`` printed and ``attached`` as the fields file."""
    kind = document_type(document.doc_type)
    return render_pdf(
        doc_type=kind,
        context={
            "city": document.city,
            "district": document.district,
            "number": document.number,
            "issued_at": document.issued_at,
            "uuid": str(document.uuid),
            "fields": shown,
            "field_rows": [
                (f, "، ".join(shown[f.key]) if isinstance(shown[f.key], list) else shown[f.key]) for f in kind.fields
            ],
            "key_id": document.key.key_id,
            "verify_url": f"http://127.0.0.1:8000/verify/{document.number}",
        },
        fields=attached,
        qr_text=document.payload,
    )


# --------------------------------------------------------------------------------------------------
# The public page
# --------------------------------------------------------------------------------------------------


def test_valid_document_page_shows_the_facts_and_withholds_names(client, document):
    response = client.get(f"/verify/{document.number}")

    assert response.status_code == 200
    html = html_of(response)
    assert VALID_FA in html
    assert 'data-state="valid"' in html
    assert "گواهی مشخصات ملک" in html
    assert f'<bdi dir="ltr" class="ltr">{to_persian_digits(document.number)}</bdi>' in html
    assert f'<bdi dir="ltr" class="ltr">{to_persian_digits(FIELDS["renovation_code"])}</bdi>' in html
    assert "مسکونی" in html
    # Typed-in numbers are sequential: names are not shown to whoever types one.
    assert "احمدی" not in html
    assert "رمزینه" in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"]


def test_number_in_persian_digits_with_other_separators_is_accepted(client, document):
    persian = to_persian_digits(document.number).replace("-", " ")

    by_query = client.get("/verify/", {"number": persian})
    by_path = client.get(f"/verify/{to_persian_digits(document.number)}")

    assert VALID_FA in html_of(by_query)
    assert VALID_FA in html_of(by_path)
    assert f'value="{persian}"' in html_of(by_query)


def test_the_page_in_english(client, document):
    client.cookies["shahrvand_language"] = "en"
    html = html_of(client.get(f"/verify/{document.number}"))

    assert "This document is valid" in html
    assert "Property statement" in html
    assert "Renovation code" in html
    assert document.number in html


def test_revoked_document_says_when_and_why(client, document, manager):
    revoked = document_revoke(actor=manager, document=document, reason="صدور بر اساس سند جعلی")

    html = html_of(client.get(f"/verify/{document.number}"))

    assert "این گواهی باطل شده است" in html
    assert 'data-state="revoked"' in html
    assert "صدور بر اساس سند جعلی" in html
    from shahrvand.core.templatetags.persian import jdatetime

    with override_settings(LANGUAGE_CODE="fa"):
        assert jdatetime(revoked.revoked_at) in html
    assert VALID_FA not in html


def test_superseded_document_links_to_the_new_one(client, document, manager):
    new = document_reissue(actor=manager, document=document, reason="اصلاح نشانی")

    old_html = html_of(client.get(f"/verify/{document.number}"))
    new_html = html_of(client.get(f"/verify/{new.number}"))

    assert 'data-state="superseded"' in old_html
    assert "اصلاح نشانی" in old_html
    assert f'href="/verify/{new.number}"' in old_html
    assert VALID_FA not in old_html
    assert VALID_FA in new_html


def test_unknown_number(client, document):
    unknown = format_number("217", 1405, 999_999)

    html = html_of(client.get(f"/verify/{unknown}"))

    assert 'data-state="unknown"' in html
    assert "هیچ گواهی‌ای با این شماره" in html
    assert VALID_FA not in html


def test_malformed_number_and_a_wrong_check_digit(client, document):
    wrong_check = document.number[:-1] + str((int(document.number[-1]) + 1) % 10)

    for text in (wrong_check, "BJ-1405-000123", '<script>alert("x")</script>'):
        html = html_of(client.get("/verify/", {"number": text}))
        assert 'data-state="malformed"' in html, text
        assert VALID_FA not in html
    assert "<script>alert" not in html


def test_empty_form(client):
    response = client.get("/verify/")

    assert response.status_code == 200
    html = html_of(response)
    assert '<form method="get" action="/verify/" role="search"' in html
    assert "data-state" not in html
    assert 'href="/verify/keys.json"' in html


# --------------------------------------------------------------------------------------------------
# The QR address: /V/<payload>
# --------------------------------------------------------------------------------------------------


def test_qr_address_verifies_the_signature_and_shows_the_names(client, document):
    html = html_of(client.get(qr_path(document)))

    assert VALID_FA in html
    assert "امضای دیجیتال این رمزینه اصیل است" in html
    assert "مریم احمدی" in html


def test_qr_address_with_one_changed_character_is_not_genuine(client, document):
    original = qr_path(document)
    changed = original.replace("*10380284790*", "*10380284791*")
    assert changed != original

    html = html_of(client.get(changed))

    assert 'data-state="invalid"' in html
    assert 'data-reason="bad_signature"' in html
    assert VALID_FA not in html
    assert "مریم احمدی" not in html


def test_qr_address_for_a_revoked_document_says_revoked(client, document, manager):
    document_revoke(actor=manager, document=document, reason="ابطال آزمایشی")

    html = html_of(client.get(qr_path(document)))

    assert 'data-state="revoked"' in html


def test_qr_address_that_is_not_a_payload(client):
    html = html_of(client.get("/V/SHV1*NONSENSE"))

    assert 'data-reason="malformed"' in html


# --------------------------------------------------------------------------------------------------
# keys.json
# --------------------------------------------------------------------------------------------------


def test_keys_json_publishes_every_key_in_the_documented_shape(client, document):
    response = client.get("/verify/keys.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "max-age" in response["Cache-Control"]
    body = response.json()
    (entry,) = body["keys"]
    assert entry["kid"] == document.key.key_id
    assert entry["alg"] == "Ed25519"
    assert entry["city"] == "bojnurd"
    assert entry["retired_at"] is None
    for name in ("kid", "x", "valid_from", "valid_until"):
        assert entry[name]
    assert datetime.fromisoformat(entry["valid_from"]).tzinfo is not None
    keys = qr.keys_from_json(body)
    assert qr.check(qr.parse(document.payload), keys, dict(document.fields)) == "valid"


# --------------------------------------------------------------------------------------------------
# The rate limit
# --------------------------------------------------------------------------------------------------


def test_rate_limit_answers_429_with_retry_after(client, document, settings):
    settings.SHAHRVAND_VERIFY_RATE = "3/h"

    statuses = [client.get(f"/verify/{document.number}").status_code for _ in range(3)]
    limited = client.get("/verify/", {"number": document.number})

    assert statuses == [200, 200, 200]
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 3600  # an hour window: no boundary falls inside the test
    html = html_of(limited)
    assert "تعداد استعلام‌ها از اتصال شما بیش از حد مجاز است" in html
    assert VALID_FA not in html
    # Each endpoint counts on its own; keys.json answers in JSON.
    assert client.get("/verify/keys.json").status_code == 200
    for _ in range(2):
        client.get("/verify/keys.json")
    keys = client.get("/verify/keys.json")
    assert keys.status_code == 429
    assert keys.json()["error"] == "rate_limited"
    assert keys["Retry-After"]


def test_rate_limit_ignores_x_forwarded_for_unless_the_proxy_is_trusted(client, document, settings):
    settings.SHAHRVAND_VERIFY_RATE = "2/h"
    for n in range(2):
        client.get("/verify/", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")

    assert client.get("/verify/", HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429

    settings.SHAHRVAND_TRUSTED_PROXY_COUNT = 1
    assert client.get("/verify/", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.99").status_code == 200


def test_rate_parsing_and_client_address(rf, settings):
    assert parse_rate("60/m") == (60, 60)
    assert parse_rate("10/s") == (10, 1)
    assert parse_rate(100) == (100, 60)
    assert parse_rate(0) == (0, 60)
    with pytest.raises(ValueError):
        parse_rate("many")
    request = rf.get("/", REMOTE_ADDR="2001:db8::1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert client_ip(request) == "2001:db8::/64"
    settings.SHAHRVAND_TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "198.51.100.7"


def test_rate_limit_zero_turns_it_off(client, settings):
    settings.SHAHRVAND_VERIFY_RATE = 0
    assert {client.get("/verify/").status_code for _ in range(70)} == {200}


# --------------------------------------------------------------------------------------------------
# Offline: verify_document
# --------------------------------------------------------------------------------------------------


def test_verify_document_on_the_issued_pdf_is_valid(pdf_file, keys_file, document):
    code, out, _ = run(str(pdf_file), "--keys", str(keys_file))

    assert code == 0
    assert out.splitlines()[0] == "VALID"
    assert f"number: {document.number}" in out
    assert f"key_id: {document.key.key_id}" in out
    assert "renovation_code: 1-25-156-15-0-0-0" in out
    assert "revocation and reissue cannot be checked offline" in out


def test_verify_document_without_keys_file_uses_the_database(pdf_file):
    code, out, _ = run(str(pdf_file))

    assert code == 0
    assert out.startswith("VALID")


def test_pdf_whose_fields_attachment_was_altered_is_a_digest_mismatch(tmp_path, keys_file, document):
    forged = {**FIELDS, "land_area": "945.5"}
    path = tmp_path / "forged.pdf"
    path.write_bytes(rerender(document, shown=forged, attached=forged))

    code, out, _ = run(str(path), "--keys", str(keys_file))

    assert code == 1
    assert out.splitlines()[0] == "INVALID: digest_mismatch"


def test_pdf_whose_printed_text_was_altered_is_a_text_mismatch(tmp_path, keys_file, document):
    shown = {**FIELDS, "owners": ["علی رجب‌زاده (۵ دانگ)", "مریم احمدی (۱ دانگ)"]}
    path = tmp_path / "forged.pdf"
    path.write_bytes(rerender(document, shown=shown, attached=FIELDS))

    code, out, _ = run(str(path), "--keys", str(keys_file))

    assert code == 1
    assert out.splitlines()[0] == "INVALID: text_mismatch"
    assert "owners" in out
    # The same re-rendering with the true values passes: the check is not fooled by rendering.
    genuine = rerender(document, shown=FIELDS, attached=FIELDS)
    assert verify_pdf(genuine, qr.keys_from_json(json.loads(keys_file.read_text()))).outcome == "valid"


def test_qr_text_with_one_changed_field_is_a_bad_signature(keys_file, document):
    changed = document.payload.replace("*CLERK*", "*MANAGER*")

    code, out, _ = run("--qr", changed, "--keys", str(keys_file))
    good_code, good_out, _ = run("--qr", document.payload, "--keys", str(keys_file))

    assert code == 1
    assert out.splitlines()[0] == "INVALID: bad_signature"
    assert good_code == 0
    assert good_out.startswith("VALID")
    assert "signer: CLERK" in good_out


def test_signature_by_an_unknown_key(tmp_path, pdf_file, keys_file):
    empty = tmp_path / "other-city-keys.json"
    empty.write_text(json.dumps({"keys": []}))

    code, out, _ = run(str(pdf_file), "--keys", str(empty))

    assert code == 1
    assert out.splitlines()[0] == "INVALID: unknown_key"


def test_signature_by_a_key_that_had_expired(tmp_path, pdf_file, keys_file, document):
    body = json.loads(keys_file.read_text())
    body["keys"][0]["valid_until"] = (document.issued_at - timedelta(days=1)).astimezone(UTC).isoformat()
    expired = tmp_path / "expired.json"
    expired.write_text(json.dumps(body))

    code, out, _ = run(str(pdf_file), "--keys", str(expired))

    assert code == 1
    assert out.splitlines()[0] == "INVALID: key_not_valid_then"


def test_revoked_document_is_revoked_online_but_its_signature_is_valid_offline(
    client, pdf_file, keys_file, document, manager
):
    document_revoke(actor=manager, document=document, reason="ابطال به درخواست مالک")

    code, out, _ = run(str(pdf_file), "--keys", str(keys_file))

    assert code == 0
    assert out.startswith("VALID")
    assert f"/verify/{document.number}" in out
    assert "cannot be checked offline" in out
    assert 'data-state="revoked"' in html_of(client.get(f"/verify/{document.number}"))


def test_not_a_pdf(tmp_path, keys_file):
    path = tmp_path / "photo.pdf"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)

    code, out, _ = run(str(path), "--keys", str(keys_file))

    assert code == 1
    assert out.splitlines()[0] == "INVALID: not_pdf"


def test_a_pdf_without_a_qr_code(tmp_path, keys_file):
    from weasyprint import HTML

    path = tmp_path / "letter.pdf"
    path.write_bytes(HTML(string="<p>A letter without a code.</p>").write_pdf())

    code, out, _ = run(str(path), "--keys", str(keys_file))

    assert code == 1
    assert out.splitlines()[0] == "INVALID: no_qr"


def test_usage_errors_exit_2(tmp_path, keys_file, document):
    assert run(str(tmp_path / "missing.pdf"), "--keys", str(keys_file))[0] == 2
    assert run("--keys", str(keys_file))[0] == 2
    assert run(str(keys_file), "--qr", document.payload, "--keys", str(keys_file))[0] == 2
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert run("--qr", document.payload, "--keys", str(broken))[0] == 2


def test_the_command_exits_0_and_1_as_a_process(tmp_path, pdf_file, keys_file):
    """The real exit status, from a separate process with only the keys file (no database needed)."""
    not_pdf = tmp_path / "note.txt"
    not_pdf.write_text("hello")
    env = {"DJANGO_ENV": "test", "SHAHRVAND_VAR_DIR": str(tmp_path / "var"), "PATH": "/usr/bin:/bin"}

    def status(path: Path) -> tuple[int, str]:
        done = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "verify_document", str(path), "--keys", str(keys_file)],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=120,
            check=False,
        )
        return done.returncode, done.stdout

    assert status(pdf_file)[0] == 0
    code, out = status(not_pdf)
    assert code == 1
    assert out.startswith("INVALID: not_pdf")
    assert not (tmp_path / "var" / "shahrvand.sqlite3").exists()


def test_verify_functions_directly(document):
    keys = {k.key_id: k for k in qr.keys_from_json({"keys": []}).values()}
    assert verify_qr(document.payload, keys).outcome == "unknown_key"
    assert verify_qr("HTTPS://EXAMPLE/V/NOT-A-PAYLOAD", keys).outcome == "malformed"
    report = verify_pdf(bytes(document.pdf), _db_keys())
    assert report.valid
    assert report.fields == FIELDS
    assert dict(report.signed_items())["number"] == document.number


def _db_keys():
    from shahrvand.documents.keys import keys_for_check

    return keys_for_check()


def test_text_comparison_survives_extraction_quirks():
    # As pypdfium2 extracts the issued page: no ZWNJ, lam-alef swapped, brackets mirrored.
    extracted = "نشانی بجنورد، خیابان طالقانی، کوچه رجبزاده، پالک ۱۲\r\nمالکان )دانگ( علی رجبزاده )۳ دانگ("
    assert skeleton("پلاک ۱۲") in skeleton(extracted)
    assert missing_from_text("", {"address": FIELDS["address"]}, extracted) == []
    assert missing_from_text("", {"owners": ["علی رجب‌زاده (۳ دانگ)"]}, extracted) == []
    assert missing_from_text("", {"owners": ["علی رجب‌زاده (۲ دانگ)"]}, extracted) == ["owners"]


def test_text_comparison_knows_how_numbers_print_inside_persian_text():
    # A hyphenated number typed into Persian text without an isolate prints with its groups reversed;
    # amounts print grouped; a percent sign comes out on either side of its number.
    extracted = "واحد ۰-۷-۱-۱۵-۱۵۶-۲۵-۱ طبقه ۲\nمبلغ ۱۲٬۵۰۰٬۰۰۰ ریال\nتخفیف ٪۱۰"
    fields = {"unit": "واحد 1-25-156-15-1-7-0 طبقه ۲", "amount": "12500000", "discount": "تخفیف ۱۰٪"}
    assert missing_from_text("", fields, extracted) == []
    assert missing_from_text("", {"unit": "واحد 1-25-156-15-1-7-9 طبقه ۲"}, extracted) == ["unit"]


def _sample(field, code):
    if field.key in ("bill_id", "payment_id"):
        return {"bill_id": "1234567890123", "payment_id": "0000125000154"}[field.key]
    if field.kind == "amount":
        return "12500000"
    if field.kind == "list":
        return ["علی رجب‌زاده (۳ دانگ)", "آپارتمان 1-25-156-15-1-7-0، طبقه ۳", "Ali Rajabzadeh (1/2 dang)"]
    if field.kind == "table":
        return [("245000" if i % 2 else f"ردیف {i} (۹٪)") for i in range(len(field.columns) * 2)]
    if field.ltr:
        return "1405/09/08" if "date" in field.key or "expires" in field.key else "1-25-156-15-0-0-0"
    return "بجنورد، خیابان ۱۷ شهریور، کوچه 12/3، پلاک ۴۵"


@pytest.mark.slow
def test_every_document_type_verifies_offline_as_issued(district1):
    """A genuine page of every type passes the printed-text check (no false alarms)."""
    from shahrvand.documents.keys import keys_for_check
    from shahrvand.documents.services import DocumentError
    from shahrvand.documents.types import DOCUMENT_TYPES

    outcomes = {}
    for code, kind in DOCUMENT_TYPES.items():
        fields = {f.key: _sample(f, code) for f in kind.fields}
        role = kind.signer_roles[0]
        try:
            extra = kind.presentation(fields, role) if hasattr(kind, "presentation") else {}
            doc = document_issue(
                actor=None, doc_type=code, district=district1, fields=fields, signer_role=role, context=extra
            )
        except (DocumentError, ValueError) as exc:  # a sample this generic test cannot make for the type
            outcomes[code] = f"not issued: {exc}"
            continue
        report = verify_pdf(bytes(doc.pdf), keys_for_check())
        outcomes[code] = report.outcome if report.valid else f"{report.outcome} {report.problems}"
    issued = {code: outcome for code, outcome in outcomes.items() if not outcome.startswith("not issued")}
    assert "property_statement" in issued
    assert set(issued.values()) == {"valid"}, outcomes


def test_rotated_key_keeps_old_papers_verifiable(client, pdf_file, document, tmp_path):
    out = StringIO()
    call_command("rotate_signing_key", "--city", "bojnurd", stdout=out)
    assert "New signing key" in out.getvalue()

    body = client.get("/verify/keys.json").json()
    assert len(body["keys"]) == 2
    assert SigningKey.objects.filter(retired_at__isnull=True).count() == 1
    saved = tmp_path / "keys.json"
    saved.write_text(json.dumps(body))
    assert run(str(pdf_file), "--keys", str(saved))[0] == 0
    with pytest.raises(SystemExit) as exc:
        call_command("rotate_signing_key", "--city", "nowhere", stdout=StringIO(), stderr=StringIO())
    assert exc.value.code == 2


# --------------------------------------------------------------------------------------------------
# What the public sees of personal fields
# --------------------------------------------------------------------------------------------------


def test_personal_and_secret_fields_are_withheld_or_masked():
    doc = Document(
        doc_type="enrollment_slip",
        fields={
            "holder_name": "نرگس محمدی",
            "holder_national_code": "0012345678",
            "citizen_code": "C-1234",
            "activation_url": "https://example/activate/secret",
            "activation_expires": "1405/09/10",
            "properties": ["1-25-156-15-0-0-0"],
        },
    )
    kind = document_type("enrollment_slip")

    by_number = {r.key: r for r in fact_rows(doc, kind, full=False)}
    by_qr = {r.key: r for r in fact_rows(doc, kind, full=True)}
    staff_view = {r.key: r for r in fact_rows(doc, kind, full=True, reveal=True)}

    assert by_number["holder_name"].withheld == "personal"
    assert by_number["holder_national_code"].withheld == "personal"
    assert by_number["activation_url"].withheld == "secret"
    assert by_number["citizen_code"].withheld == "secret"
    assert by_qr["holder_name"].value == "نرگس محمدی"
    assert by_qr["holder_national_code"].value == "001•••••78"
    assert by_qr["activation_url"].withheld == "secret"
    assert staff_view["activation_url"].value == "https://example/activate/secret"


# --------------------------------------------------------------------------------------------------
# Staff: revoke, reissue, download
# --------------------------------------------------------------------------------------------------


def test_staff_revokes_with_a_reason_and_it_is_audited(client, document, manager):
    client.force_login(manager)
    url = f"/staff/documents/{document.number}/"

    page = client.get(url)
    assert page.status_code == 200
    assert 'name="revoke-reason"' in html_of(page)

    empty = client.post(url, {"action": "revoke", "revoke-reason": "   "})
    assert empty.status_code == 400
    document.refresh_from_db()
    assert document.status == Document.Status.VALID

    done = client.post(url, {"action": "revoke", "revoke-reason": "اشتباه در مساحت"})
    assert done.status_code == 302
    document.refresh_from_db()
    assert document.status == Document.Status.REVOKED
    assert document.revoke_reason == "اشتباه در مساحت"
    entry = AuditEntry.objects.get(action="documents.revoke")
    assert entry.actor == manager
    assert entry.payload["reason"] == "اشتباه در مساحت"
    after = html_of(client.get(url))
    assert "اشتباه در مساحت" in after
    assert 'name="revoke-reason"' not in after


def test_staff_reissue_supersedes_and_is_audited(client, document, manager):
    client.force_login(manager)

    response = client.post(
        f"/staff/documents/{to_persian_digits(document.number)}/",
        {"action": "reissue", "reissue-reason": "کاغذ آسیب دیده"},
    )
    # Persian digits in the address are sent to the canonical one first.
    assert response.status_code == 302
    response = client.post(response["Location"], {"action": "reissue", "reissue-reason": "کاغذ آسیب دیده"})

    document.refresh_from_db()
    assert document.status == Document.Status.SUPERSEDED
    new = document.superseded_by
    assert response.status_code == 302
    assert response["Location"] == f"/staff/documents/{new.number}/"
    assert new.fields == document.fields
    assert AuditEntry.objects.filter(action="documents.reissue", payload__new_number=new.number).exists()
    assert "کاغذ آسیب دیده" in html_of(client.get(f"/staff/documents/{document.number}/"))


def test_district_1_clerk_cannot_touch_a_district_2_document(client, district2, staff):
    other = issue(district2)
    clerk = staff(Role.CLERK)
    client.force_login(clerk)

    assert client.get(f"/staff/documents/{other.number}/").status_code == 403
    assert (
        client.post(f"/staff/documents/{other.number}/", {"action": "revoke", "revoke-reason": "x"}).status_code == 403
    )
    assert client.get(f"/documents/{other.number}.pdf").status_code == 403
    other.refresh_from_db()
    assert other.status == Document.Status.VALID
    denied = AuditEntry.objects.filter(action="access.denied", actor=clerk)
    assert denied.count() == 3


def test_clerk_reads_but_cannot_revoke_in_own_district(client, document, staff):
    client.force_login(staff(Role.CLERK))
    url = f"/staff/documents/{document.number}/"

    page = client.get(url)
    assert page.status_code == 200
    assert 'name="revoke-reason"' not in html_of(page)
    assert client.post(url, {"action": "revoke", "revoke-reason": "x"}).status_code == 403
    document.refresh_from_db()
    assert document.status == Document.Status.VALID


def test_district_1_manager_cannot_revoke_in_district_2(client, district2, manager):
    other = issue(district2)
    client.force_login(manager)

    response = client.post(f"/staff/documents/{other.number}/", {"action": "revoke", "revoke-reason": "x"})

    assert response.status_code == 403


def test_pdf_download_is_the_stored_bytes_for_staff_only(client, document, manager):
    assert client.get(f"/documents/{document.number}.pdf").status_code == 302  # to the login page

    client.force_login(manager)
    response = client.get(f"/documents/{document.number}.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == bytes(document.pdf)
    assert AuditEntry.objects.filter(action="documents.download", actor=manager).exists()
    assert client.get(f"/documents/{format_number('217', 1405, 999_999)}.pdf").status_code == 404
