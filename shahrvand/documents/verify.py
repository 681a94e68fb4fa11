"""Offline verification of a document: from its PDF file or from the text of its QR code.

Needs only the public keys (``/verify/keys.json`` or the database's), never the network or the
document's record, so a notary or a bank can check a paper's PDF on a machine with no connection.

A PDF is checked in four steps, and the first failure is the outcome:

1. it is a PDF (``not_pdf``) with a readable Shahrvand QR code on its page, read back from the
   rendered page with a real decoder (pypdfium2 renders, zxing-cpp decodes) (``no_qr``);
2. the QR's signature verifies with a published key (``bad_signature``, ``unknown_key``), valid at
   the claimed issue time (``key_not_valid_then``);
3. the certified fields the PDF carries as its ``certified-fields.json`` attachment have the digest
   the QR signed (``no_fields``, ``digest_mismatch``);
4. the number and every certified value are printed on the page (``text_mismatch``): someone who
   edits the visible text but leaves the QR and the attachment alone is caught here.

What this cannot tell: whether the municipality has since *revoked* the document or *reissued* it.
Only the online check (``/verify/<number>``) knows that.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from shahrvand.core.text import normalize_search
from shahrvand.documents.payload import Payload, PayloadError, PublicKey, check, fields_digest, parse
from shahrvand.documents.rendering import FIELDS_ATTACHMENT

Outcome = Literal[
    "valid",
    "bad_signature",
    "unknown_key",
    "key_not_valid_then",
    "digest_mismatch",
    "no_fields",
    "text_mismatch",
    "no_qr",
    "malformed",
    "not_pdf",
]

MAX_PAGES = 4  # a document is one page; a longer file is still searched, but not without end
RENDER_SCALES = (2.0, 3.0)  # scale 2 decodes the printed QR; 3 is the fallback for a small code


@dataclass(frozen=True)
class Report:
    """The outcome of an offline check, with what was signed (and certified, for a PDF)."""

    outcome: Outcome
    message: str
    payload: Payload | None = None
    key: PublicKey | None = None
    fields: dict[str, Any] | None = None
    problems: tuple[str, ...] = field(default=())

    @property
    def valid(self) -> bool:
        return self.outcome == "valid"

    def signed_items(self) -> list[tuple[str, str]]:
        """The signed QR fields as (name, value) pairs, for printing."""
        p = self.payload
        if p is None:
            return []
        return [
            ("number", p.number),
            ("issued_at", p.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ")),
            ("uuid", p.uuid),
            ("signer", p.signer),
            ("organisation", p.organisation),
            ("fields_digest", p.digest),
            ("key_id", p.key_id),
        ]


# --------------------------------------------------------------------------------------------------
# The QR text
# --------------------------------------------------------------------------------------------------


def _signature_report(payload: Payload, keys: dict[str, PublicKey]) -> Report | None:
    """None when the signature is good; else the report saying why not."""
    outcome = check(payload, keys)
    key = keys.get(payload.key_id.upper())
    if outcome == "valid":
        return None
    if outcome == "unknown_key":
        message = f"signed with key {payload.key_id}, which is not among the published keys"
    elif outcome == "key_not_valid_then":
        assert key is not None
        message = (
            f"key {payload.key_id} was not valid at the claimed issue time "
            f"(valid from {key.valid_from.isoformat()} until {key.valid_until.isoformat()})"
        )
    else:
        message = "the signature does not match: the QR text was changed, or it was not signed by the municipality"
    return Report(outcome, message, payload=payload, key=key)


def verify_qr(text: str, keys: dict[str, PublicKey]) -> Report:
    """Check the text of a QR code (the full line, or its part from ``SHV1`` on)."""
    try:
        payload = parse(text)
    except PayloadError as exc:
        return Report("malformed", f"the text is not a Shahrvand document payload: {exc}")
    failed = _signature_report(payload, keys)
    if failed is not None:
        return failed
    return Report(
        "valid",
        "the signature is valid (the certified fields are checked only with the PDF)",
        payload=payload,
        key=keys[payload.key_id.upper()],
    )


# --------------------------------------------------------------------------------------------------
# The PDF
# --------------------------------------------------------------------------------------------------

# Dropped before comparing: brackets (extraction mirrors them), whitespace (lines wrap anywhere),
# ZWNJ/ZWJ (extraction drops them), commas and thousands separators (grouped amounts), and percent
# signs (extraction puts them on either side of their number).
_DROPPED = re.compile(r"[()\[\]{}<>«»\s\u200c\u200d,\u066c\u060c%\u066a]")
# The lam-alef ligatures come out of text extraction with their two letters swapped (پلاک → پالک).
_LAM_ALEF = re.compile("\u0644([\u0627\u0623\u0625\u0622])")
_HYPHENATED = re.compile(r"\d+(?:-\d+)+")
_LATIN_OR_NEUTRAL = re.compile(r"[A-Za-z/:]")
_WORDS = re.compile(r"[\s/]+")


def skeleton(text: str) -> str:
    """A comparison key that survives PDF text extraction.

    Extraction gives visual order, drops ZWNJ, swaps lam-alef ligatures and mirrors brackets; so
    letters are normalised (Arabic yeh/kaf), digits become Latin, bidi marks, ZWNJ, whitespace,
    brackets, commas and thousands separators are dropped, and lam-alef is written one way.
    """
    key = normalize_search(text)
    key = _LAM_ALEF.sub(lambda m: m.group(1) + "\u0644", key)
    return _DROPPED.sub("", key)


def _bidi_reversed(key: str) -> str:
    """How a hyphenated number prints inside Persian text when nobody isolated it: its groups in
    reverse order (``1-25-156`` → ``156-25-1``; digits after Arabic letters are bidi class AN,
    and a hyphen does not join AN numbers). The page shows it so, and extraction reads it so."""
    return _HYPHENATED.sub(lambda m: "-".join(reversed(m.group(0).split("-"))), key)


_RUNS = re.compile(r"[^\W\d_]+|\d+|.", re.UNICODE)


def _runs_reversed(key: str) -> str:
    """How extraction may read a code of Latin letters and digits set in a right-to-left line: its
    runs in reverse order (``SBX9999AAAA`` → ``AAAA9999SBX``); each run keeps its own order."""
    return "".join(reversed(_RUNS.findall(key)))


def _value_printed(value: str, page: str) -> bool:
    whole = skeleton(value)
    if whole in page or _bidi_reversed(whole) in page or _runs_reversed(whole) in page:
        return True
    # Latin words, slashes and colons inside right-to-left text may come out of extraction in
    # another order or split across lines; such a value passes when each of its words is printed.
    if _LATIN_OR_NEUTRAL.search(value):
        words = [skeleton(w) for w in _WORDS.split(value)]
        return all(w in page or _bidi_reversed(w) in page for w in words if w)
    return False


def missing_from_text(number: str, fields: dict[str, Any], page_text: str) -> list[str]:
    """The names of the values (``number`` or a field key) not printed on the page."""
    page = skeleton(page_text)
    missing = [] if _value_printed(number, page) else ["number"]
    for key, value in fields.items():
        values = value if isinstance(value, list) else [value]
        if not all(_value_printed(str(v), page) for v in values):
            missing.append(key)
    return missing


@dataclass
class _PdfContent:
    qr_texts: list[str]
    text: str
    attachment: bytes | None


def _read_pdf(data: bytes) -> _PdfContent:
    import pypdfium2 as pdfium
    import zxingcpp

    pdf = pdfium.PdfDocument(data)
    try:
        attachment = None
        for index in range(pdf.count_attachments()):
            item = pdf.get_attachment(index)
            if item.get_name() == FIELDS_ATTACHMENT:
                attachment = bytes(item.get_data())
                break
        texts: list[str] = []
        qr_texts: list[str] = []
        for index in range(min(len(pdf), MAX_PAGES)):
            page = pdf[index]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            for scale in RENDER_SCALES:
                image = page.render(scale=scale, grayscale=True).to_pil()
                found = [
                    b.text
                    for b in zxingcpp.read_barcodes(
                        image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
                    )
                ]
                if found:
                    qr_texts.extend(found)
                    break
            page.close()
        return _PdfContent(qr_texts=qr_texts, text="\n".join(texts), attachment=attachment)
    finally:
        pdf.close()


def verify_pdf(data: bytes, keys: dict[str, PublicKey]) -> Report:
    """Check a document's PDF file: its QR, its signature, its certified fields and its printed text."""
    import pypdfium2 as pdfium

    if b"%PDF-" not in data[:1024]:
        return Report("not_pdf", "the file is not a PDF")
    try:
        content = _read_pdf(data)
    except pdfium.PdfiumError as exc:
        return Report("not_pdf", f"the file is not a readable PDF ({exc})")

    payload = None
    for text in content.qr_texts:
        try:
            payload = parse(text)
            break
        except PayloadError:
            continue
    if payload is None:
        return Report("no_qr", "no readable Shahrvand QR code was found on the page")

    failed = _signature_report(payload, keys)
    if failed is not None:
        return failed
    key = keys[payload.key_id.upper()]

    if content.attachment is None:
        return Report("no_fields", f"the PDF does not carry its certified fields ({FIELDS_ATTACHMENT})", payload, key)
    try:
        fields = json.loads(content.attachment.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return Report("digest_mismatch", f"{FIELDS_ATTACHMENT} in the PDF is not readable JSON", payload, key)
    if not isinstance(fields, dict) or fields_digest(fields) != payload.digest:
        return Report(
            "digest_mismatch",
            "the certified fields inside the PDF are not the fields that were signed",
            payload,
            key,
            fields if isinstance(fields, dict) else None,
        )

    missing = missing_from_text(payload.number, fields, content.text)
    if missing:
        return Report(
            "text_mismatch",
            "the text printed on the page differs from what was signed: " + ", ".join(missing),
            payload,
            key,
            fields,
            tuple(missing),
        )
    return Report("valid", "the signature, the certified fields and the printed page all match", payload, key, fields)
