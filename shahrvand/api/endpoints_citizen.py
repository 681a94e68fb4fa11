"""The citizen's own records: who they are, properties, bills (and paying one), requests, documents.

Every read goes through :mod:`shahrvand.citizens.selectors`, which starts from the signed-in
citizen: another person's renovation code, bill ID, tracking code or document number is 404, the
same answer as for one that does not exist.
"""

from __future__ import annotations

from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from shahrvand.api import schemas
from shahrvand.api.paging import PageParams, page
from shahrvand.api.problems import Problem, pick
from shahrvand.api.responses import problems
from shahrvand.api.security import CitizenTokenAuth, citizen_of
from shahrvand.citizens import selectors
from shahrvand.core.jalali import format_jalali
from shahrvand.documents.models import Document
from shahrvand.documents.types import DOCUMENT_TYPES
from shahrvand.payments.services import PaymentError, payment_start
from shahrvand.revenue import selectors as revenue_selectors
from shahrvand.revenue.documents import registry_plate
from shahrvand.revenue.models import Bill

router = Router(tags=["citizen"], auth=CitizenTokenAuth())

_LIST = problems(401, 403, 422, 429)
_ONE = problems(401, 403, 404, 422, 429)
_PLACEHOLDER = "0000000000000000"

BillStatus = Literal["open", "paid", "superseded", "in_instalments", "cancelled"]


def _not_found(what: str) -> Problem:
    return Problem("not-found", what)


def _public(path: str) -> str:
    return f"{settings.SHAHRVAND_PUBLIC_URL.rstrip('/')}{path}"


# --------------------------------------------------------------------------------------------------
# Me
# --------------------------------------------------------------------------------------------------


@router.get("/me", response={200: schemas.MeOut, **problems(401, 429)})
def me(request: HttpRequest) -> schemas.MeOut:
    """The signed-in citizen (works before the district's e-services are live)."""
    citizen = citizen_of(request, live=False)
    person = citizen.person
    return schemas.MeOut(
        citizen_code=citizen.citizen_code,
        national_code=person.national_code,
        first_name=person.first_name,
        last_name=person.last_name,
        mobile=citizen.mobile,
        district=citizen.district.slug,
        eservices_live=citizen.district.eservices_enabled,
        notify_sms=citizen.notify_sms,
        sms_second_step=citizen.sms_second_step,
    )


# --------------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------------


def _property(line: selectors.PropertyLine) -> dict[str, Any]:
    return {
        "code": line.code,
        "level": line.level,
        "address": line.address,
        "area_m2": format(line.area_m2.normalize(), "f") if line.area_m2 is not None else None,
        "use": line.use_label,
        "share_dang": format(line.share_dang.normalize(), "f"),
        "flagged": line.flagged,
    }


def _debt(debt: revenue_selectors.Debt) -> dict[str, Any]:
    return {"bill_id": debt.bill.bill_id, "amount": debt.amount, "payment_id": debt.payment_id}


@router.get("/properties", response={200: schemas.PropertyPage, **_LIST})
def properties(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    """The properties the citizen holds a share in."""
    return page(request, selectors.my_properties(citizen_of(request)), params, _property)


@router.get("/properties/{renovation_code}", response={200: schemas.PropertyDetailOut, **_ONE})
def property_detail(request: HttpRequest, renovation_code: schemas.Identifier) -> dict[str, Any]:
    """One property of the citizen, with co-owners and what it owes today."""
    citizen = citizen_of(request)
    detail = selectors.my_property(citizen, renovation_code)
    if detail is None:
        raise _not_found(_("None of your properties has this renovation code."))
    debts = selectors.my_property_debts(citizen, detail.line.code) or []
    return {
        **_property(detail.line),
        "district": detail.district.slug,
        "registry_plate": registry_plate(detail.parcel),
        "co_owners": [
            {
                "name": o.name,
                "national_code_masked": o.national_code_masked,
                "share_dang": format(o.share_dang.normalize(), "f"),
            }
            for o in detail.co_owners
        ],
        "outline": detail.outline,
        "debts": [_debt(d) for d in debts],
    }


# --------------------------------------------------------------------------------------------------
# Bills
# --------------------------------------------------------------------------------------------------


def _bill(view: revenue_selectors.BillView) -> dict[str, Any]:
    bill = view.bill
    return {
        "bill_id": bill.bill_id,
        "kind": bill.kind,
        "year": bill.year,
        "instalment_no": bill.instalment_no,
        "status": bill.status,
        "subject_code": bill.subject_code,
        "gross": bill.gross,
        "due_date": bill.due_date,
        "due_date_jalali": format_jalali(bill.due_date),
        "amount_due": view.due.amount if view.due is not None else None,
        "payment_id": view.payment_id or None,
        "discount": view.due.discount if view.due is not None else None,
        "penalty": view.due.penalty if view.due is not None else None,
        "paid_amount": view.payment.amount if view.payment is not None else None,
        "paid_at": view.payment.paid_at if view.payment is not None else None,
        "superseded_by": view.successor.bill_id if view.successor is not None else None,
    }


@router.get("/bills", response={200: schemas.BillPage, **_LIST})
def bills(request: HttpRequest, params: Query[PageParams], status: BillStatus | None = None) -> dict[str, Any]:
    """The citizen's bills, open first, with today's amount and payment ID; `status` filters."""
    views = selectors.my_bills(citizen_of(request))
    if status is not None:
        views = [v for v in views if v.bill.status == status]
    return page(request, views, params, _bill)


def _my_bill(request: HttpRequest, bill_id: schemas.Identifier) -> Bill:
    bill = selectors.my_bill(citizen_of(request), bill_id)
    if bill is None:
        raise _not_found(_("None of your bills has this bill ID."))
    return bill


@router.get("/bills/{bill_id}", response={200: schemas.BillDetailOut, **_ONE})
def bill_detail(request: HttpRequest, bill_id: schemas.Identifier) -> dict[str, Any]:
    """One of the citizen's bills with its lines (how each amount was computed)."""
    bill = _my_bill(request, bill_id)
    english = pick("en", "fa") == "en"
    return {
        **_bill(revenue_selectors.bill_view(bill)),
        "lines": [
            {"label": line.label_en if english else line.label_fa, "amount": line.amount, "formula": line.formula}
            for line in bill.lines.order_by("position")
        ],
    }


@router.post(
    "/bills/{bill_id}/payments", response={201: schemas.PaymentStartOut, **problems(401, 403, 404, 409, 422, 429)}
)
def bill_pay(request: HttpRequest, bill_id: schemas.Identifier) -> Status[dict[str, Any]]:
    """Start paying a bill online: today's amount, a new attempt, and where to send the payer (the bank)."""
    citizen = citizen_of(request)
    bill = _my_bill(request, bill_id)
    callback = _public(reverse("payments:callback", args=[_PLACEHOLDER]))
    try:
        started = payment_start(
            actor=citizen.user, citizen=citizen, bill=bill, callback_url=callback.replace(_PLACEHOLDER, "{order_id}")
        )
    except PaymentError as exc:
        raise Problem("conflict", pick(exc.message_en, exc.message_fa)) from None
    attempt = started.attempt
    redirect = started.redirect
    return Status(
        201,
        {
            "order_id": attempt.order_id,
            "amount": attempt.amount,
            "status": attempt.status,
            "redirect_url": redirect.url if redirect is not None else None,
            "redirect_method": redirect.method if redirect is not None else None,
            "redirect_fields": dict(redirect.fields) if redirect is not None else {},
            "result_url": _public(reverse("payments:result", args=[attempt.order_id])),
        },
    )


# --------------------------------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------------------------------


def _request(line: selectors.RequestLine) -> dict[str, Any]:
    case = line.case
    return {
        "tracking_code": case.tracking_code,
        "type": case.case_type,
        "type_label": line.type_label,
        "status": case.status,
        "status_label": line.status_label,
        "waiting_on": line.waiting_on,
        "subject_ref": case.subject_ref,
        "created_at": case.created_at,
        "due_at": case.due_at,
        "closed_at": case.closed_at,
    }


@router.get("/requests", response={200: schemas.RequestPage, **_LIST})
def requests_list(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    """The citizen's requests, newest first."""
    return page(request, selectors.my_requests(citizen_of(request)), params, _request)


@router.get("/requests/{tracking_code}", response={200: schemas.RequestDetailOut, **_ONE})
def request_detail(request: HttpRequest, tracking_code: schemas.Identifier) -> dict[str, Any]:
    """One of the citizen's requests with its timeline."""
    detail = selectors.my_request(citizen_of(request), tracking_code)
    if detail is None:
        raise _not_found(_("None of your requests has this tracking code."))
    return {
        **_request(detail.line),
        "timeline": [
            {
                "at": item.event.at,
                "action": item.event.action,
                "label": item.label,
                "role": item.event.role,
                "status": item.event.to_status,
                "status_label": item.status_label,
                "comment": item.event.comment,
                "by_citizen": item.by_citizen,
            }
            for item in detail.timeline
        ],
    }


# --------------------------------------------------------------------------------------------------
# Documents
# --------------------------------------------------------------------------------------------------


def _document(document: Document) -> dict[str, Any]:
    kind = DOCUMENT_TYPES.get(document.doc_type)
    return {
        "number": document.number,
        "type": document.doc_type,
        "title": pick(kind.title_en, kind.title_fa) if kind is not None else document.doc_type,
        "status": document.status,
        "issued_at": document.issued_at,
        "verification_url": _public(f"/verify/{document.number}"),
        "pdf_url": _public(reverse("citizens:document_pdf", args=[document.number])),
    }


@router.get("/documents", response={200: schemas.DocumentPage, **_LIST})
def documents(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    """Documents issued about the citizen, newest first."""
    lines = selectors.my_documents(citizen_of(request))
    return page(request, lines, params, lambda line: _document(line.document))


@router.get("/documents/{number}", response={200: schemas.DocumentOut, **_ONE})
def document_detail(request: HttpRequest, number: schemas.Identifier) -> dict[str, Any]:
    """One of the citizen's documents; the PDF is the portal's download (`pdf_url`)."""
    document = selectors.my_document(citizen_of(request), number)
    if document is None:
        raise _not_found(_("None of your documents has this number."))
    return _document(document)
