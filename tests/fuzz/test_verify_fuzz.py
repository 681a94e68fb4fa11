"""Fuzzing the document verifier (issue 9, "hostile input").

``/V/<payload>`` and ``/verify/<number>`` get mutated and random input — flipped characters of a
valid signed payload, other key ids, truncated base32, huge strings, unicode — and must answer with
a verification page (valid, invalid, unknown or malformed), never a server error, and never say
"valid" for anything but what was signed. ``documents.verify.verify_pdf`` gets corrupted PDFs
(truncated, random bytes, flipped bytes, a PDF without a QR code, a PDF carrying another
document's QR) and must return a clear "not valid" report, never raise.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shahrvand.core.models import Role
from shahrvand.documents import payload as qr
from shahrvand.documents.keys import keys_for_check
from shahrvand.documents.rendering import render_pdf
from shahrvand.documents.services import document_issue
from shahrvand.documents.types import document_type
from shahrvand.documents.verify import verify_pdf, verify_qr
from tests.identity.helpers import VerifiedClient

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
PDF_FUZZ = settings(FUZZ, max_examples=20)
MUTATIONS = ["flip", "unicode", "truncate", "insert", "key_id", "signature", "fields", "case", "huge", "separators"]
QR_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
STATES = {"valid", "invalid", "unknown", "malformed", "revoked", "superseded", "empty"}
STATE = re.compile(r'data-state="([a-z]+)"')
FIELDS = {
    "renovation_code": "1-25-156-15-0-0-0",
    "address": "بجنورد، خیابان طالقانی، کوچه رجب‌زاده، پلاک ۱۲",
    "land_area": "245.5",
    "land_use": "مسکونی",
    "owners": ["علی رجب‌زاده (۳ دانگ)", "مریم احمدی (۳ دانگ)"],
}


def issue(district, **changes):
    return document_issue(
        actor=None,
        doc_type="property_statement",
        district=district,
        fields={**FIELDS, **changes},
        signer_role=Role.CLERK,
        subject_ref=FIELDS["renovation_code"],
    )


@pytest.fixture
def documents(district1, settings):
    settings.SHAHRVAND_VERIFY_RATE = 0  # the limiter has its own tests; here every request is answered
    return issue(district1), issue(district1, land_area="300")


def state_of(response) -> str:
    assert response.status_code == 200, response.status_code
    found = STATE.findall(response.content.decode())
    if not found:  # the form alone, for an empty query
        return "empty"
    assert len(found) == 1, found
    assert found[0] in STATES, found
    return found[0]


def qr_part(document) -> str:
    return document.payload.split("/V/", 1)[1]


def signed_same(text: str, document, *, as_the_page_reads_it: bool = False) -> bool:
    """Whether ``text`` parses to the very payload that was signed (the only thing that may be valid).

    The page first drops what cannot be in a payload (scanners add spaces, bidi marks) and reads
    at most 400 characters; ``as_the_page_reads_it`` does the same here.
    """
    if as_the_page_reads_it:
        text = re.sub(r"[^0-9A-Za-z $%*+\-./:]", "", text)[:400]
    try:
        parsed = qr.parse(text)
    except qr.PayloadError:
        return False
    original = qr.parse(qr_part(document))
    return (parsed.number, parsed.issued_at, parsed.uuid, parsed.digest, parsed.key_id, parsed.signature) == (
        original.number,
        original.issued_at,
        original.uuid,
        original.digest,
        original.key_id,
        original.signature,
    )


# -- /V/<payload> ------------------------------------------------------------------------------------
@st.composite
def mutated_payload(draw: st.DrawFn, original: str) -> str:
    kind = draw(st.sampled_from(MUTATIONS))
    at = draw(st.integers(min_value=0, max_value=len(original) - 1))
    parts = original.split("*")
    if kind == "flip":
        return original[:at] + draw(st.sampled_from(QR_ALPHABET)) + original[at + 1 :]
    if kind == "unicode":
        return original[:at] + draw(st.text(min_size=1, max_size=5)) + original[at + 1 :]
    if kind == "truncate":
        return original[:at]
    if kind == "insert":
        return original[:at] + draw(st.text(alphabet=QR_ALPHABET, min_size=1, max_size=20)) + original[at:]
    if kind == "key_id":
        parts[7] = draw(st.one_of(st.text(alphabet=QR_ALPHABET.replace("*", ""), max_size=12), st.just("K" + parts[7])))
    elif kind == "signature":
        parts[8] = parts[8][: draw(st.integers(min_value=0, max_value=len(parts[8])))] + draw(
            st.sampled_from(["", "=", "==", "A", "1", "AAAA"])
        )
    elif kind == "fields":
        index = draw(st.integers(min_value=1, max_value=7))
        parts[index] = draw(st.text(alphabet=QR_ALPHABET.replace("*", ""), max_size=40))
    elif kind == "case":
        return original.lower()
    elif kind == "huge":
        return original + draw(st.sampled_from(["A", "*", "٫", "ش"])) * 50_000
    elif kind == "separators":
        return original.replace("*", draw(st.sampled_from(["", "**", "+", "%2A", "*\u200f"])), 1 + at % 8)
    return "*".join(parts)


@FUZZ
@given(data=st.data())
def test_mutated_qr_addresses_answer_with_a_verdict_page(documents, data):
    document, _other = documents
    original = qr_part(document)
    text = data.draw(mutated_payload(original))
    response = VerifiedClient().get("/V/" + quote(text, safe="*:$+-./"))
    state = state_of(response)
    if state == "valid":
        assert signed_same(text, document, as_the_page_reads_it=True), text[:300]


def test_the_unchanged_qr_address_is_valid(documents):
    document, other = documents
    assert state_of(VerifiedClient().get("/V/" + qr_part(document))) == "valid"
    # Another genuine document's signature on this document's fields is not valid.
    parts, theirs = qr_part(document).split("*"), qr_part(other).split("*")
    swapped = "*".join([*parts[:8], theirs[8]])
    assert state_of(VerifiedClient().get("/V/" + swapped)) == "invalid"


@FUZZ
@given(text=st.one_of(st.text(max_size=200), st.text(alphabet="0123456789-۰۱۲۳۴۵۶۷۸۹٠١٢", max_size=40)))
def test_random_numbers_answer_with_a_verdict_page(documents, text):
    response = VerifiedClient().get("/verify/" + quote(text.replace("/", ""), safe=""))
    if response.status_code == 404:  # an empty or slash-only number is another address
        return
    assert state_of(response) in {"unknown", "malformed", "valid", "empty"}
    by_query = VerifiedClient().get("/verify/", {"number": text})
    assert state_of(by_query) in {"unknown", "malformed", "valid", "empty"}


def test_huge_and_odd_inputs(documents):
    client = VerifiedClient()
    for path in (
        "/verify/" + "1" * 100_000,
        "/verify/%00",
        "/verify/" + quote("٢١٧-١٤٠٥-٠٠٠٠٩٩-٣"),
        "/V/" + "A" * 100_000,
        "/V/SHV1" + "*" * 10_000,
        "/V/%00%01%02",
        "/V/" + quote("\u202eSHV1*"),
    ):
        assert state_of(client.get(path)) in STATES - {"valid"}, path


# -- the QR text offline -----------------------------------------------------------------------------
@FUZZ
@given(data=st.data())
def test_offline_qr_check_never_raises(documents, data):
    document, _other = documents
    keys = keys_for_check()
    text = data.draw(mutated_payload(qr_part(document)))
    report = verify_qr(text, keys)
    assert report.outcome in {"valid", "malformed", "bad_signature", "unknown_key", "key_not_valid_then"}
    if report.valid:
        assert signed_same(text, document), text[:300]


# -- the PDF -----------------------------------------------------------------------------------------
@PDF_FUZZ
@given(
    kind=st.sampled_from(["truncate", "flip", "insert", "random"]),
    at=st.floats(0, 1),
    noise=st.binary(min_size=1, max_size=256),
)
def test_corrupted_pdfs_are_reported_not_valid(documents, kind, at, noise):
    document, _other = documents
    data = bytes(document.pdf)
    cut = int(len(data) * at)
    if kind == "truncate":
        corrupted = data[:cut]
    elif kind == "flip":
        corrupted = bytearray(data)
        for offset, byte in enumerate(noise[:16]):
            corrupted[(cut + offset * 997) % len(data)] ^= byte or 0xFF
        corrupted = bytes(corrupted)
    elif kind == "insert":
        corrupted = data[:cut] + noise + data[cut:]
    else:
        corrupted = b"%PDF-1.7\n" + noise * 8
    report = verify_pdf(corrupted, keys_for_check())
    assert report.outcome in {
        "valid",
        "not_pdf",
        "no_qr",
        "malformed",
        "bad_signature",
        "unknown_key",
        "key_not_valid_then",
        "no_fields",
        "digest_mismatch",
        "text_mismatch",
    }
    assert report.message
    if report.valid:  # a change that did not touch anything signed, printed or certified
        assert report.payload is not None and report.payload.number == document.number


def test_a_pdf_without_a_qr_code_is_no_qr(documents):
    from weasyprint import HTML

    report = verify_pdf(HTML(string="<p>نامه بدون کد</p>").write_pdf(), keys_for_check())
    assert (report.outcome, report.valid) == ("no_qr", False)


def test_a_pdf_with_another_document_s_qr_is_not_valid(documents):
    document, other = documents
    kind = document_type(document.doc_type)
    shown = dict(document.fields)
    forged = render_pdf(
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
        fields=document.fields,
        qr_text=other.payload,  # the genuine QR of another document
    )
    report = verify_pdf(forged, keys_for_check())
    assert not report.valid
    assert report.outcome in {"digest_mismatch", "text_mismatch"}


def test_the_genuine_pdf_is_valid(documents):
    document, _other = documents
    assert verify_pdf(bytes(document.pdf), keys_for_check()).valid
