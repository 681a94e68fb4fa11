"""Issuing, numbering, signing, revoking and reissuing documents; key rotation."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connections
from hypothesis import given
from hypothesis import strategies as st

from shahrvand.audit.models import AuditEntry
from shahrvand.core.access import AccessDenied
from shahrvand.core.models import Role
from shahrvand.documents import payload as qr
from shahrvand.documents.keys import SigningKeyMissing, active_key, keys_for_check, signing_key_rotate
from shahrvand.documents.models import Document, DocumentCounter, SigningKey
from shahrvand.documents.numbering import format_number, normalize_number
from shahrvand.documents.services import DocumentError, document_issue, document_reissue, document_revoke

FIELDS = {
    "renovation_code": "1-25-156-15-0-0-0",
    "address": "بجنورد، خیابان امام خمینی، کوچه ۳۵، پلاک ۱۳",
    "land_area": "275.44",
    "land_use": "مسکونی",
    "owners": ["نرگس محمدی (۳ دانگ)", "حمید طاهری (۳ دانگ)"],
}


def issue(district, **overrides):
    args = {
        "actor": None,
        "doc_type": "property_statement",
        "district": district,
        "fields": FIELDS,
        "signer_role": Role.CLERK,
        "subject_ref": FIELDS["renovation_code"],
    }
    return document_issue(**{**args, **overrides})


# -- numbers --------------------------------------------------------------------------------------
def test_number_format_and_check_digit():
    assert format_number("217", 1405, 123) == "217-1405-000123-4"
    assert normalize_number("۲۱۷-۱۴۰۵-۰۰۰۱۲۳-۴") == "217-1405-000123-4"
    assert normalize_number("217 1405 000123 4") == "217-1405-000123-4"
    assert normalize_number("217-1405-000123-7") is None
    # The Damm algorithm's published example (Damm 2004; Wikipedia): 572 → check digit 4.
    from stdnum import damm

    assert damm.calc_check_digit("572") == "4"
    assert normalize_number("not a number") is None


@given(st.integers(0, 999), st.integers(1300, 1600), st.integers(1, 999_999), st.data())
def test_any_single_digit_change_or_adjacent_swap_is_caught(company, year, serial, data):
    number = format_number(f"{company:03d}", year, serial)
    digits = [c for c in number if c.isdigit()]
    i = data.draw(st.integers(0, len(digits) - 1))
    changed = list(digits)
    changed[i] = str((int(changed[i]) + data.draw(st.integers(1, 9))) % 10)
    assert normalize_number("".join(changed)) is None
    j = data.draw(st.integers(0, len(digits) - 2))
    swapped = list(digits)
    swapped[j], swapped[j + 1] = swapped[j + 1], swapped[j]
    if swapped != digits:
        assert normalize_number("".join(swapped)) is None


# -- issuing --------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_issue_numbers_signs_renders_and_audits(district1):
    document = issue(district1)

    from shahrvand.core.jalali import jalali_year

    assert document.number == format_number("217", jalali_year(document.issued_at), 1)
    assert document.status == Document.Status.VALID
    assert bytes(document.pdf).startswith(b"%PDF")
    import hashlib

    assert document.pdf_sha256 == hashlib.sha256(bytes(document.pdf)).hexdigest()
    parsed = qr.parse(document.payload)
    assert parsed.number == document.number
    assert parsed.organisation == district1.city.legal_id
    assert qr.check(parsed, keys_for_check(), fields=document.fields) == "valid"
    assert AuditEntry.objects.filter(action="documents.issue", target_id=str(document.pk)).exists()


@pytest.mark.django_db
def test_numbers_follow_each_other(district1):
    first, second = issue(district1), issue(district1)
    assert int(second.number.split("-")[2]) == int(first.number.split("-")[2]) + 1


@pytest.mark.django_db
def test_missing_or_unknown_fields_are_refused_and_nothing_written(district1):
    with pytest.raises(DocumentError, match="missing"):
        issue(district1, fields={**FIELDS, "address": ""})
    with pytest.raises(DocumentError, match="unknown"):
        issue(district1, fields={**FIELDS, "forged": "x"})
    assert not Document.objects.exists()
    assert DocumentCounter.objects.filter(last__gt=0).count() == 0


@pytest.mark.django_db
def test_a_role_that_does_not_sign_the_type_is_refused(district1):
    with pytest.raises(DocumentError):
        issue(district1, signer_role=Role.INSPECTOR)


@pytest.mark.django_db
def test_changed_payload_or_fields_fail_the_check(district1):
    document = issue(district1)
    parsed = qr.parse(document.payload)
    keys = keys_for_check()
    forged = qr.Payload(**{**parsed.__dict__, "number": parsed.number.replace("-000001-", "-000002-")})
    assert qr.check(forged, keys) == "bad_signature"
    assert qr.check(parsed, keys, fields={**document.fields, "land_area": "999"}) == "digest_mismatch"
    assert qr.check(parsed, {}) == "unknown_key"


@pytest.mark.django_db
def test_expired_key_is_reported(district1):
    document = issue(district1)
    parsed = qr.parse(document.payload)
    key = keys_for_check()[parsed.key_id]
    expired = qr.PublicKey(key.key_id, key.public_key, key.valid_from, parsed.issued_at - timedelta(seconds=1))
    assert qr.check(parsed, {key.key_id: expired}) == "key_not_valid_then"


def test_payload_parse_refuses_garbage():
    for text in ["", "hello", "SHV1*1*2*3", "SHV2*" + "*".join(["A"] * 8)]:
        with pytest.raises(qr.PayloadError):
            qr.parse(text)


# -- revoke and reissue ---------------------------------------------------------------------------
@pytest.mark.django_db
def test_revoke_needs_a_reason_and_the_right(district1, district2, staff):
    document = issue(district1)
    manager = staff(Role.MANAGER)
    other = staff(Role.MANAGER, district=district2)

    with pytest.raises(AccessDenied):
        document_revoke(actor=other, document=document, reason="اشتباه")
    with pytest.raises(DocumentError):
        document_revoke(actor=manager, document=document, reason="  ")
    revoked = document_revoke(actor=manager, document=document, reason="صدور اشتباه")

    assert revoked.status == Document.Status.REVOKED and revoked.revoke_reason == "صدور اشتباه"
    assert AuditEntry.objects.filter(action="documents.revoke", actor=manager).count() == 1
    with pytest.raises(DocumentError):
        document_revoke(actor=manager, document=document, reason="دوباره")


@pytest.mark.django_db
def test_reissue_supersedes_the_old_document(district1, staff):
    manager = staff(Role.MANAGER)
    old = issue(district1)
    new = document_reissue(actor=manager, document=old, reason="اصلاح مساحت", fields={**FIELDS, "land_area": "280"})

    old.refresh_from_db()
    assert old.status == Document.Status.SUPERSEDED and old.superseded_by == new
    assert new.fields["land_area"] == "280" and new.number != old.number
    assert AuditEntry.objects.filter(action="documents.reissue").count() == 1


# -- keys -----------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_first_key_is_generated_then_rotation_retires_it(district1, settings):
    key, _ = active_key(district1.city)
    pem = settings.SHAHRVAND_KEY_DIR / f"{key.key_id}.pem"
    assert pem.exists() and oct(pem.stat().st_mode & 0o777) == "0o600"
    document = issue(district1)

    new = signing_key_rotate(actor=None, city=district1.city)
    key.refresh_from_db()
    assert key.retired_at is not None
    assert active_key(district1.city)[0] == new
    # Papers signed with the retired key still verify: it stays published.
    assert qr.check(qr.parse(document.payload), keys_for_check(), fields=document.fields) == "valid"


@pytest.mark.django_db
def test_production_refuses_to_invent_a_key(district1, settings):
    settings.PRODUCTION = True
    with pytest.raises(SigningKeyMissing, match="rotate_signing_key"):
        active_key(district1.city)
    assert not SigningKey.objects.exists()


@pytest.mark.skipif(
    "connections['default'].vendor != 'postgresql'", reason="concurrent issuing needs a server database"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_issuing_never_repeats_a_number(district1):
    active_key(district1.city)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(3):
                numbers.append(issue(district1).number)
        except BaseException as exc:  # asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(numbers) == len(set(numbers)) == 9
