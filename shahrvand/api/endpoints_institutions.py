"""Notary offices and banks (API keys), and the public document verification.

Every call with a key is audited with the key as the actor (``api-key:<kind>:<office>:<prefix>``).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Status

from shahrvand.api import schemas, selectors, services
from shahrvand.api.models import InstitutionKey
from shahrvand.api.problems import Problem, pick
from shahrvand.api.responses import problems
from shahrvand.api.security import institution_auth, key_of
from shahrvand.audit.services import audit_record
from shahrvand.core.identifiers import IdentifierError
from shahrvand.documents import ratelimit
from shahrvand.documents import selectors as document_selectors
from shahrvand.documents.models import Document
from shahrvand.documents.types import DOCUMENT_TYPES
from shahrvand.identity.ratelimit import RateLimited

notary = Router(tags=["notary"], auth=institution_auth(InstitutionKey.Kind.NOTARY))
bank = Router(tags=["bank"], auth=institution_auth(InstitutionKey.Kind.BANK))
public = Router(tags=["public"], auth=None)
_BINARY = {"schema": {"type": "string", "format": "binary"}}


def _public(path: str) -> str:
    return f"{settings.SHAHRVAND_PUBLIC_URL.rstrip('/')}{path}"


def identifier_problem(exc: IdentifierError, location: str = "path") -> Problem:
    """A malformed identifier as a 422 with the field, the rule's code and the message."""
    message = pick(exc.message_en, exc.message_fa)
    return Problem(
        "validation",
        message,
        errors=[{"location": location, "field": exc.field, "code": exc.code, "message": message}],
    )


def _certificate(document: Document | None) -> dict[str, Any] | None:
    if document is None:
        return None
    return {
        "number": document.number,
        "issued_at": document.issued_at,
        "verification_url": _public(f"/verify/{document.number}"),
    }


# --------------------------------------------------------------------------------------------------
# Notary
# --------------------------------------------------------------------------------------------------


@notary.post("/inquiries", response={201: schemas.NotaryAnswerOut, **problems(400, 401, 403, 404, 422, 429)})
def notary_inquiry(request: HttpRequest, payload: schemas.NotaryInquiryIn) -> Status[dict[str, Any]]:
    """Is this property clear of municipal debt, and has it a completion or no-violation certificate?

    Answered with a signed one-page `inquiry_answer` document (number, verification URL, PDF).
    """
    key = key_of(request)
    try:
        answer = services.notary_inquiry_answer(
            key=key,
            renovation_code=payload.renovation_code,
            inquiry_ref=payload.inquiry_ref,
            inquiry_date=payload.inquiry_date,
        )
    except IdentifierError as exc:
        services.key_call_audit(
            key=key, action="api.notary_inquiry_refused", payload={"renovation_code": payload.renovation_code[:80]}
        )
        raise identifier_problem(exc, "body") from None
    except services.ApiError as exc:
        services.key_call_audit(
            key=key,
            action="api.notary_inquiry_refused",
            payload={"renovation_code": payload.renovation_code[:80], "reason": exc.code},
        )
        raise Problem("not-found" if exc.status == 404 else "forbidden", pick(exc.message_en, exc.message_fa)) from None
    document = answer.document
    return Status(
        201,
        {
            "number": document.number,
            "verification_url": _public(f"/verify/{document.number}"),
            "pdf_url": _public(f"/api/v1/notary/documents/{document.number}/pdf"),
            "renovation_code": answer.renovation_code,
            "clear": answer.clear,
            "debt_count": len(answer.debts),
            "debt_total": answer.debt_total,
            "debts": [
                {"bill_id": d.bill.bill_id, "amount": d.amount, "payment_id": d.payment_id} for d in answer.debts
            ],
            "completion": _certificate(answer.completion),
            "no_violation": _certificate(answer.no_violation),
            "valid_until": str(document.fields.get("valid_until", "")),
        },
    )


@notary.get(
    "/documents/{number}/pdf",
    response=problems(401, 403, 404, 422, 429),
    openapi_extra={"responses": {"200": {"description": "The PDF", "content": {"application/pdf": _BINARY}}}},
)
def notary_document_pdf(request: HttpRequest, number: schemas.Identifier) -> HttpResponse:
    """An answer document issued to this key, byte for byte as signed."""
    key = key_of(request)
    document = selectors.notary_document(key, number)
    if document is None:
        raise Problem("not-found", _("No answer document with this number was issued to this key."))
    data = bytes(document.pdf or b"")
    if not data or hashlib.sha256(data).hexdigest() != document.pdf_sha256:
        raise RuntimeError(f"stored PDF of {document.number} does not match its digest")
    with transaction.atomic():
        audit_record(
            actor=None,
            actor_label=key.label,
            action="documents.download",
            target=document,
            district=document.district,
            payload={"number": document.number, "sha256": document.pdf_sha256, "by": "api-key"},
        )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document.number}.pdf"'
    response["Cache-Control"] = "no-store, private"
    return response


# --------------------------------------------------------------------------------------------------
# Bank
# --------------------------------------------------------------------------------------------------


@bank.get("/bills/{bill_id}", response={200: schemas.BankBillOut, **problems(401, 403, 404, 422, 429)})
def bank_bill(request: HttpRequest, bill_id: schemas.Identifier) -> dict[str, Any]:
    """What a bill of the key's city asks for today: amount, payment ID, status."""
    key = key_of(request)
    try:
        view = selectors.bill_for_bank(key.city, bill_id)
    except IdentifierError as exc:
        services.key_call_audit(
            key=key,
            action="api.bank_bill_inquiry",
            payload={"bill_id": bill_id[:40], "found": False, "reason": exc.code},
        )
        raise identifier_problem(exc) from None
    if view is None:
        services.key_call_audit(
            key=key, action="api.bank_bill_inquiry", payload={"bill_id": bill_id[:40], "found": False}
        )
        raise Problem("not-found", _("No bill with this bill ID."))
    bill = view.bill
    services.key_call_audit(
        key=key,
        action="api.bank_bill_inquiry",
        payload={"bill_id": bill.bill_id, "found": True, "status": bill.status},
        district=bill.district,
    )
    return {
        "bill_id": bill.bill_id,
        "status": bill.status,
        "amount_due": view.due.amount if view.due is not None else 0,
        "payment_id": view.payment_id or None,
        "due_date": bill.due_date,
        "year": bill.year,
        "superseded_by": view.successor.bill_id if view.successor is not None else None,
    }


# --------------------------------------------------------------------------------------------------
# Public: document verification
# --------------------------------------------------------------------------------------------------


@public.get("/documents/{number}/verification", response={200: schemas.VerificationOut, **problems(422, 429)})
def document_verification(request: HttpRequest, number: schemas.Identifier) -> dict[str, Any]:
    """Is a document with this number valid, revoked or superseded (or unknown)? Personal fields are withheld."""
    retry_after = ratelimit.hit("api_verify", request)
    if retry_after:
        raise RateLimited(retry_after)
    result = document_selectors.verification_result(number)
    if result.state in ("empty", "malformed"):
        message = _("A document number looks like 217-1405-000123-4.")
        raise Problem(
            "validation",
            message,
            errors=[{"location": "path", "field": "number", "code": "format", "message": message}],
        )
    document = result.document
    kind = DOCUMENT_TYPES.get(document.doc_type) if document is not None else None
    english = pick("en", "fa") == "en"
    return {
        "number": result.number,
        "state": result.state,
        "type": document.doc_type if document is not None else None,
        "title": (kind.title_en if english else kind.title_fa) if kind is not None else None,
        "issued_at": document.issued_at if document is not None else None,
        "city": document.city.name if document is not None else None,
        "district": document.district.slug if document is not None else None,
        "revoked_at": document.revoked_at if document is not None else None,
        "replaced_by": result.replacement.number if result.replacement is not None else None,
        "facts": [
            {
                "key": row.key,
                "label": row.label_en if english else row.label_fa,
                "value": row.value,
                "items": list(row.items),
                "withheld": row.withheld,
            }
            for row in result.rows
        ],
    }
