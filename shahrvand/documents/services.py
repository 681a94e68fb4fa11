"""Issuing, revoking and reissuing single-page documents. Every later service issues through here."""

from __future__ import annotations

import hashlib
import uuid as uuid_lib
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shahrvand.audit.services import audit_record
from shahrvand.core.access import Action, require
from shahrvand.core.jalali import jalali_year
from shahrvand.core.models import District, User
from shahrvand.documents.keys import active_key
from shahrvand.documents.models import Document, DocumentCounter
from shahrvand.documents.numbering import format_number
from shahrvand.documents.payload import Payload, fields_digest, sign
from shahrvand.documents.rendering import render_pdf
from shahrvand.documents.types import document_type


class DocumentError(ValueError):
    def __init__(self, message_en: str, message_fa: str) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_fa = message_fa


def _next_serial(city_id: int, year: int) -> int:
    counter, _ = DocumentCounter.objects.get_or_create(city_id=city_id, year=year)
    counter = DocumentCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def _clean_fields(code: str, fields: dict[str, Any]) -> dict[str, Any]:
    kind = document_type(code)
    missing = [key for key in kind.field_keys if fields.get(key) in (None, "")]
    unknown = sorted(set(fields) - set(kind.field_keys))
    if missing or unknown:
        raise DocumentError(
            f"fields of {code}: missing {missing}, unknown {unknown}",
            f"فیلدهای سند ناقص یا ناشناخته است: {missing + unknown}",
        )
    cleaned: dict[str, Any] = {}
    for key in kind.field_keys:
        value = fields[key]
        cleaned[key] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
    return cleaned


def _display(value: str | list[str]) -> str:
    return "، ".join(value) if isinstance(value, list) else value


@transaction.atomic
def document_issue(
    *,
    actor: User | None,
    doc_type: str,
    district: District,
    fields: dict[str, Any],
    signer_role: str,
    subject_national_code: str = "",
    subject_ref: str = "",
    context: dict[str, Any] | None = None,
) -> Document:
    """Number, sign, render once and store a document. Raises if it would not fit on one page.

    ``actor`` is the staff member (or None for the system acting on a citizen's behalf, e.g. a
    paid bill's receipt); ``signer_role`` must be one the type allows. ``context`` is extra
    presentation data for the template, not certified.
    """
    kind = document_type(doc_type)
    if signer_role not in kind.signer_roles:
        raise DocumentError(f"{signer_role} does not sign {doc_type}", "این نقش امضاکننده این نوع سند نیست")
    certified = _clean_fields(doc_type, fields)
    city = district.city
    issued_at = timezone.now().replace(microsecond=0)
    year = jalali_year(issued_at)
    number = format_number(city.company_code, year, _next_serial(city.pk, year))
    key, private_key = active_key(city)
    doc_uuid = uuid_lib.uuid4()
    payload = sign(
        Payload(
            number=number,
            issued_at=issued_at,
            uuid=str(doc_uuid).upper(),
            signer=signer_role,
            organisation=city.legal_id,
            digest=fields_digest(certified),
            key_id=key.key_id,
            base_url=settings.SHAHRVAND_PUBLIC_URL,
        ),
        private_key,
    )
    qr_text = payload.text()
    pdf = render_pdf(
        doc_type=kind,
        context={
            # What the type derives for print (barcodes, signer titles…), then the caller's extras.
            **kind.presentation(certified, signer_role),
            **(context or {}),
            "city": city,
            "district": district,
            "number": number,
            "issued_at": issued_at,
            "uuid": str(doc_uuid),
            "fields": certified,
            "field_rows": [(f, _display(certified[f.key])) for f in kind.fields],
            "key_id": key.key_id,
            "verify_url": f"{settings.SHAHRVAND_PUBLIC_URL.rstrip('/')}/verify/{number}",
        },
        fields=certified,
        qr_text=qr_text,
    )
    document = Document.objects.create(
        city=city,
        district=district,
        number=number,
        uuid=doc_uuid,
        doc_type=doc_type,
        issued_at=issued_at,
        issued_by=actor,
        signer_role=signer_role,
        key=key,
        fields=certified,
        digest=payload.digest,
        payload=qr_text,
        signature=payload.signature,
        subject_national_code=subject_national_code,
        subject_ref=subject_ref,
        pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
    )
    audit_record(
        actor=actor,
        action="documents.issue",
        target=document,
        district=district,
        payload={"number": number, "type": doc_type, "sha256": document.pdf_sha256, "subject": subject_ref},
    )
    return document


@transaction.atomic
def document_revoke(*, actor: User, document: Document, reason: str) -> Document:
    require(actor, Action.DOCUMENT_REVOKE, document.district)
    reason = reason.strip()
    if not reason:
        raise DocumentError("a reason is required to revoke a document", "برای ابطال سند ذکر دلیل لازم است")
    locked = Document.objects.select_for_update().get(pk=document.pk)
    if locked.status != Document.Status.VALID:
        raise DocumentError(f"the document is already {locked.status}", "این سند پیش‌تر باطل یا جایگزین شده است")
    locked.status = Document.Status.REVOKED
    locked.revoked_at = timezone.now()
    locked.revoke_reason = reason[:500]
    locked.save(update_fields=["status", "revoked_at", "revoke_reason"])
    audit_record(
        actor=actor,
        action="documents.revoke",
        target=locked,
        district=locked.district,
        payload={"number": locked.number, "reason": locked.revoke_reason},
    )
    return locked


@transaction.atomic
def document_reissue(
    *,
    actor: User,
    document: Document,
    reason: str,
    fields: dict[str, Any] | None = None,
    signer_role: str | None = None,
) -> Document:
    """Issue a corrected document and mark the old one superseded by it."""
    require(actor, Action.DOCUMENT_REVOKE, document.district)
    locked = Document.objects.select_for_update().get(pk=document.pk)
    if locked.status != Document.Status.VALID:
        raise DocumentError(f"the document is already {locked.status}", "این سند پیش‌تر باطل یا جایگزین شده است")
    if not reason.strip():
        raise DocumentError("a reason is required to reissue a document", "برای صدور دوباره ذکر دلیل لازم است")
    new = document_issue(
        actor=actor,
        doc_type=locked.doc_type,
        district=locked.district,
        fields=fields if fields is not None else dict(locked.fields),
        signer_role=signer_role or locked.signer_role,
        subject_national_code=locked.subject_national_code,
        subject_ref=locked.subject_ref,
    )
    locked.status = Document.Status.SUPERSEDED
    locked.revoked_at = timezone.now()
    locked.revoke_reason = reason.strip()[:500]
    locked.superseded_by = new
    locked.save(update_fields=["status", "revoked_at", "revoke_reason", "superseded_by"])
    audit_record(
        actor=actor,
        action="documents.reissue",
        target=locked,
        district=locked.district,
        payload={"number": locked.number, "new_number": new.number, "reason": locked.revoke_reason},
    )
    return new
