"""Reads about documents: the public verification result, and the staff view of one document.

Public verification shows what a reader needs to compare with the paper, and no more. Anyone
can type a number (and numbers are sequential), so a lookup *by number* withholds personal
fields (names, owners, national codes) and secrets (activation addresses, citizen codes); a
lookup *by the QR code* — whose signature and UUID only the holder of the paper has — shows the
names too, and still masks national codes and withholds secrets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from django.conf import settings
from django.db.models import QuerySet

from shahrvand.audit.models import AuditEntry
from shahrvand.core.models import Role
from shahrvand.documents.keys import keys_for_check
from shahrvand.documents.models import Document
from shahrvand.documents.numbering import normalize_number
from shahrvand.documents.payload import PATH_MARK, PayloadError, check, parse
from shahrvand.documents.types import DOCUMENT_TYPES, DocumentType, Field

State = Literal["empty", "valid", "revoked", "superseded", "unknown", "malformed", "invalid"]

# Field keys are matched by these parts. A type's field may also say ``public = False`` /
# ``personal = True`` itself (read with getattr, for types that declare it).
SECRET_MARKERS = ("activation", "password", "token", "secret", "citizen_code")
PERSONAL_MARKERS = ("name", "owner", "holder", "person", "father", "national_code", "mobile", "phone", "birth", "email")
IDENTIFIER_MARKERS = ("national_code", "mobile", "phone", "birth", "email")


@dataclass(frozen=True)
class FactRow:
    key: str
    label_fa: str
    label_en: str
    value: str = ""
    items: tuple[str, ...] = ()  # a list (one item a line) or a table (one row a line)
    ltr: bool = False
    latin: bool = False  # keep Latin digits
    amount: bool = False  # Rials: printed grouped with the unit
    withheld: Literal["", "secret", "personal"] = ""


@dataclass(frozen=True)
class VerificationResult:
    state: State
    query: str = ""
    number: str = ""
    document: Document | None = None
    doc_type: DocumentType | None = None
    replacement: Document | None = None
    rows: tuple[FactRow, ...] = field(default=())
    by_qr: bool = False
    reason: str = ""  # for "invalid": the offline outcome (bad_signature, unknown_key, …)

    @property
    def signer_label(self) -> str:
        return signer_label(self.document.signer_role) if self.document is not None else ""


def signer_label(role: str) -> str:
    try:
        return str(Role(role).label)
    except ValueError:
        return role


def _documents() -> QuerySet[Document]:
    # The PDF bytes are never needed to answer a verification: leave them in the database.
    return Document.objects.select_related("city", "district", "key", "superseded_by").defer(
        "pdf", "superseded_by__pdf", "superseded_by__fields", "superseded_by__payload"
    )


def document_by_number(number: str, *, with_pdf: bool = False) -> Document | None:
    """The document with this number (Persian or Latin digits, any separators), or None."""
    canonical = normalize_number(number)
    if canonical is None:
        return None
    documents = Document.objects.select_related("city", "district", "key") if with_pdf else _documents()
    return documents.filter(number=canonical).first()


def _marked(key: str, markers: tuple[str, ...]) -> bool:
    return any(marker in key for marker in markers)


def _mask_identifier(value: str) -> str:
    """``0012345678`` → ``001•••••78``: enough to compare with the paper, not enough to reuse."""
    if len(value) <= 4:
        return "•" * len(value)
    return value[:3] + "•" * (len(value) - 5) + value[-2:]


def _policy(key: str, spec: Field | None) -> tuple[bool, bool]:
    """(secret, personal) for a field: as its type declares, else guessed from its key."""
    secret = _marked(key, SECRET_MARKERS)  # whatever a type says: codes that grant access stay private
    if spec is not None:
        return secret or not getattr(spec, "public", True), bool(getattr(spec, "personal", False))
    return secret, _marked(key, PERSONAL_MARKERS)


def _table_rows(cells: list[str], columns: tuple[str, ...]) -> tuple[str, ...]:
    width = len(columns) or 1
    rows = [cells[i : i + width] for i in range(0, len(cells), width)]
    return tuple(" · ".join(row) for row in rows)


def fact_rows(
    document: Document, doc_type: DocumentType | None, *, full: bool, reveal: bool = False
) -> tuple[FactRow, ...]:
    """The certified fields to show. ``full``: names too (QR lookups); ``reveal``: everything (staff)."""
    fields: dict[str, Any] = document.fields or {}
    declared = {f.key: f for f in doc_type.fields} if doc_type else {}
    rows = []
    for key in [k for k in declared if k in fields] + [k for k in fields if k not in declared]:
        spec = declared.get(key)
        label_fa = spec.label_fa if spec else key
        label_en = spec.label_en if spec else key
        secret, personal = _policy(key, spec)
        if secret and not reveal:
            rows.append(FactRow(key, label_fa, label_en, withheld="secret"))
            continue
        if personal and not (full or reveal):
            rows.append(FactRow(key, label_fa, label_en, withheld="personal"))
            continue
        raw = fields[key]
        kind = getattr(spec, "kind", "text")
        mask = _mask_identifier if _marked(key, IDENTIFIER_MARKERS) and not reveal else str
        value: str = ""
        items: tuple[str, ...] = ()
        if isinstance(raw, list):
            cells = [mask(str(v)) for v in raw]
            items = _table_rows(cells, getattr(spec, "columns", ())) if kind == "table" else tuple(cells)
        else:
            value = mask(str(raw))
        rows.append(
            FactRow(
                key,
                label_fa,
                label_en,
                value=value,
                items=items,
                ltr=bool(spec and spec.ltr),
                latin=bool(getattr(spec, "latin", False)),
                amount=kind == "amount",
            )
        )
    return tuple(rows)


def _result_for(document: Document, *, query: str, full: bool) -> VerificationResult:
    doc_type = DOCUMENT_TYPES.get(document.doc_type)
    state: State
    if document.status == Document.Status.REVOKED:
        state = "revoked"
    elif document.status == Document.Status.SUPERSEDED:
        state = "superseded"
    else:
        state = "valid"
    return VerificationResult(
        state=state,
        query=query,
        number=document.number,
        document=document,
        doc_type=doc_type,
        replacement=document.superseded_by,
        rows=fact_rows(document, doc_type, full=full),
        by_qr=full,
    )


def verification_result(number: str) -> VerificationResult:
    """What ``/verify/<number>`` says: valid, revoked, superseded, unknown, or a malformed number."""
    query = (number or "").strip()[:64]
    if not query:
        return VerificationResult("empty")
    canonical = normalize_number(query)
    if canonical is None:
        return VerificationResult("malformed", query=query)
    document = _documents().filter(number=canonical).first()
    if document is None:
        return VerificationResult("unknown", query=query, number=canonical)
    return _result_for(document, query=query, full=False)


_NOT_IN_PAYLOAD = re.compile(r"[^0-9A-Za-z $%*+\-./:]")


def qr_verification(text: str) -> VerificationResult:
    """What the address in a QR code says: its signature checked with the published keys, then
    the document's status looked up. An altered QR is ``invalid`` with the reason."""
    query = _NOT_IN_PAYLOAD.sub("", text or "")[:400]
    try:
        # The signature covers the verification address: a request that reached this server at
        # /V/… carries the address this server prints on paper.
        full = query if PATH_MARK in query.upper() else f"{settings.SHAHRVAND_PUBLIC_URL.rstrip('/')}{PATH_MARK}{query}"
        payload = parse(full)
    except PayloadError:
        return VerificationResult("invalid", query=query, reason="malformed", by_qr=True)
    outcome = check(payload, keys_for_check())
    if outcome != "valid":
        return VerificationResult("invalid", query=query, number=payload.number, reason=outcome, by_qr=True)
    document = _documents().filter(number=payload.number).first()
    if document is None:
        return VerificationResult("unknown", query=query, number=payload.number, by_qr=True, reason="no_record")
    if (
        str(document.uuid).upper() != payload.uuid.upper()
        or document.digest != payload.digest
        or document.signature != payload.signature
    ):
        return VerificationResult("invalid", query=query, number=payload.number, reason="record_mismatch", by_qr=True)
    return _result_for(document, query=query, full=True)


def document_history(document: Document) -> list[AuditEntry]:
    """The audit entries about this document (issue, revocation, reissue, downloads), oldest first."""
    return list(
        AuditEntry.objects.filter(target_type=Document._meta.label_lower, target_id=str(document.pk))
        .select_related("actor")
        .order_by("seq")
    )
