"""Public verification of documents, the public keys, and the staff page of one document.

Public: ``/verify/`` (form, and the result for ``?number=``), ``/verify/<number>``, ``/V/<payload>``
(the address a phone opens from the QR code) and ``/verify/keys.json``, all rate limited per
client. Staff: ``/staff/documents/<number>/`` (revoke, reissue) and ``/documents/<number>.pdf``.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from shahrvand.audit.services import audit_record
from shahrvand.core.access import Action, may, require
from shahrvand.core.models import User
from shahrvand.core.selectors import district_list
from shahrvand.documents import selectors
from shahrvand.documents.forms import ReissueForm, RevokeForm
from shahrvand.documents.keys import published_keys
from shahrvand.documents.models import Document
from shahrvand.documents.numbering import normalize_number
from shahrvand.documents.ratelimit import rate_limited
from shahrvand.documents.services import DocumentError, document_reissue, document_revoke
from shahrvand.documents.types import DOCUMENT_TYPES
from shahrvand.identity.decorators import staff_verified_required

logger = logging.getLogger(__name__)


def _persian() -> bool:
    return (get_language() or "fa").startswith("fa")


def _verify_page(request: HttpRequest, result: selectors.VerificationResult, **extra: Any) -> HttpResponse:
    context = {"result": result, "districts": district_list(), **extra}
    response = render(request, "documents/verify.html", context)
    # A result can change (revocation) and concerns one paper: not for caches or search engines.
    response["Cache-Control"] = "no-cache, no-store, must-revalidate, private"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _page_too_many(request: HttpRequest, retry_after: int) -> HttpResponse:
    return _verify_page(request, selectors.VerificationResult("empty"), retry_after=retry_after)


# --------------------------------------------------------------------------------------------------
# Public
# --------------------------------------------------------------------------------------------------


@rate_limited("verify", too_many=_page_too_many)
@require_safe
def verify(request: HttpRequest, number: str = "") -> HttpResponse:
    """``/verify/`` with its form (and the result for ``?number=``), and ``/verify/<number>``."""
    query = number or request.GET.get("number", "")
    return _verify_page(request, selectors.verification_result(query))


@rate_limited("verify_qr", too_many=_page_too_many)
@require_safe
def verify_qr(request: HttpRequest, payload: str) -> HttpResponse:
    """``/V/<payload>``: the address in the QR code. Checks the signature, then the status."""
    return _verify_page(request, selectors.qr_verification(payload))


@rate_limited("verify_keys")
@require_safe
def keys_json(request: HttpRequest) -> JsonResponse:
    """The public signing keys, retired ones included (old papers still verify with them)."""
    keys = [
        {
            "kid": key.key_id,
            "alg": "Ed25519",
            "x": key.public_key,
            "valid_from": key.valid_from.isoformat(),
            "valid_until": key.valid_until.isoformat(),
            "retired_at": key.retired_at.isoformat() if key.retired_at else None,
            "city": key.city.slug,
            "organisation": key.city.legal_id,
        }
        for key in published_keys()
    ]
    body = {
        "description": (
            "Ed25519 public keys of the municipality's document signatures. x: the raw 32-byte public key, "
            "base64. A document verifies with the key named in its QR code when its issue time falls within "
            "[valid_from, valid_until). Retired keys sign nothing new but stay published."
        ),
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "keys": keys,
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


# --------------------------------------------------------------------------------------------------
# Staff
# --------------------------------------------------------------------------------------------------


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required ran first
    return user


def _staff_document(actor: User, number: str, *, with_pdf: bool = False) -> tuple[Document, bool]:
    """The document and whether the actor may revoke it. 404 unknown; 403 (audited) outside their districts."""
    document = selectors.document_by_number(number, with_pdf=with_pdf)
    if document is None:
        raise Http404("no such document")
    can_revoke = may(actor, Action.DOCUMENT_REVOKE, document.district)
    if not can_revoke:
        require(actor, Action.REGISTRY_VIEW, document.district)
    return document, can_revoke


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def staff_document(request: HttpRequest, number: str) -> HttpResponse:
    actor = _actor(request)
    canonical = normalize_number(number)
    if canonical is not None and canonical != number:
        return redirect("documents:staff_document", number=canonical)
    document, can_revoke = _staff_document(actor, number)
    revoke_form = RevokeForm(prefix="revoke")
    reissue_form = ReissueForm(prefix="reissue")
    status = 200
    if request.method == "GET":
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="documents.view",
                target=document,
                district=document.district,
                payload={"number": document.number, "type": document.doc_type},
            )
    if request.method == "POST":
        require(actor, Action.DOCUMENT_REVOKE, document.district)
        action = request.POST.get("action")
        form: RevokeForm | ReissueForm
        if action == "revoke":
            form = revoke_form = RevokeForm(request.POST, prefix="revoke")
        elif action == "reissue":
            form = reissue_form = ReissueForm(request.POST, prefix="reissue")
        else:
            return HttpResponse(status=400)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            try:
                if action == "revoke":
                    document_revoke(actor=actor, document=document, reason=reason)
                    messages.success(request, _("The document was revoked. The public verification page now says so."))
                    return redirect("documents:staff_document", number=document.number)
                new = document_reissue(actor=actor, document=document, reason=reason)
            except DocumentError as exc:
                form.add_error(None, exc.message_fa if _persian() else exc.message_en)
            else:
                messages.success(
                    request,
                    _("A new document was issued in place of %(old)s. Give the holder the new one.")
                    % {"old": document.number},
                )
                return redirect("documents:staff_document", number=new.number)
        status = 400
    context = {
        "document": document,
        "doc_type": DOCUMENT_TYPES.get(document.doc_type),
        # Secrets (activation addresses) only to those who may revoke; full national codes only to
        # staff who may read people's records.
        "rows": selectors.fact_rows(
            document,
            DOCUMENT_TYPES.get(document.doc_type),
            full=may(actor, Action.PERSON_VIEW, document.district),
            reveal=can_revoke,
        ),
        "can_revoke": can_revoke,
        "revoke_form": revoke_form,
        "reissue_form": reissue_form,
        "history": selectors.document_history(document),
        "supersedes": Document.objects.filter(superseded_by=document).only("number").first(),
        "signer": selectors.signer_label(document.signer_role),
    }
    return render(request, "documents/staff_document.html", context, status=status)


@never_cache
@login_required
@staff_verified_required
@require_GET
def document_pdf(request: HttpRequest, number: str) -> HttpResponse:
    """The stored PDF, byte for byte as issued. Staff past their second factor who may revoke
    documents or read people's records in the document's district (a slip carries an activation code)."""
    actor = _actor(request)
    document, can_revoke = _staff_document(actor, number, with_pdf=True)
    if not can_revoke:
        require(actor, Action.PERSON_VIEW, document.district)
    data = bytes(document.pdf or b"")
    if not data or hashlib.sha256(data).hexdigest() != document.pdf_sha256:
        logger.error("stored PDF of %s is missing or does not match its SHA-256", document.number)
        return HttpResponse(_("The stored file of this document is damaged. Reissue it."), status=500)
    audit_record(
        actor=actor,
        action="documents.download",
        target=document,
        district=document.district,
        payload={"number": document.number, "sha256": document.pdf_sha256},
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document.number}.pdf"'
    response["Content-Length"] = str(len(data))
    return response
