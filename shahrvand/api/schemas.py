"""What the API answers with (pydantic models through django-ninja); the OpenAPI document is built from them.

Money is whole Rials (integers); dates are ISO 8601 (``due_date``) with the Jalali form beside them
(``due_date_jalali``); identifiers are strings with Latin digits.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints


def printable(value: str) -> str:
    """Refuse control characters (NUL above all: PostgreSQL text cannot hold it) and lone surrogates."""
    if any(ord(c) < 32 or ord(c) == 127 or 0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise ValueError("control characters are not allowed")
    return value


#: An identifier in a path (renovation code, bill ID, tracking code, document number).
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(printable)]

# --------------------------------------------------------------------------------------------------
# Problems (RFC 9457)
# --------------------------------------------------------------------------------------------------


class FieldError(Schema):
    location: str = Field(description="body, query, path or header")
    field: str
    code: str = Field(description="a stable code, e.g. checksum, missing, too_long")
    message: str


class ProblemOut(Schema):
    type: str = Field(examples=["urn:shahrvand:problem:not-found"])
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldError] | None = Field(default=None, description="invalid input only")


# --------------------------------------------------------------------------------------------------
# Auth
# --------------------------------------------------------------------------------------------------


class TokenIn(Schema):
    identifier: Annotated[str, AfterValidator(printable)] = Field(
        min_length=1, max_length=32, description="national code (10 digits) or citizen code (9)"
    )
    password: str = Field(min_length=1, max_length=256)
    otp_code: Annotated[str, AfterValidator(printable)] = Field(
        default="", max_length=10, description="the SMS code, when the account asks for one"
    )


class TokenOut(Schema):
    token: str = Field(description="send as `Authorization: Bearer <token>`; shown once")
    token_type: str = "Bearer"  # noqa: S105 — the scheme name
    expires_at: dt.datetime


# --------------------------------------------------------------------------------------------------
# The citizen
# --------------------------------------------------------------------------------------------------


class MeOut(Schema):
    citizen_code: str
    national_code: str
    first_name: str
    last_name: str
    mobile: str
    district: str = Field(description="the district of enrollment (slug)")
    eservices_live: bool = Field(description="false: only /me works until the district goes live")
    notify_sms: bool
    sms_second_step: bool


class DebtOut(Schema):
    bill_id: str
    amount: int = Field(description="Rials payable today")
    payment_id: str


class PropertyOut(Schema):
    code: str = Field(description="renovation code")
    level: str = Field(description="parcel, building, apartment or shop")
    address: str
    area_m2: str | None
    use: str
    share_dang: str = Field(description="the citizen's share, 0 < share ≤ 6 دانگ")
    flagged: bool = Field(description="reported as wrong, a correction is open")


class CoOwnerOut(Schema):
    name: str
    national_code_masked: str
    share_dang: str


class PropertyDetailOut(PropertyOut):
    district: str
    registry_plate: str
    co_owners: list[CoOwnerOut]
    outline: list[list[float]] = Field(description="[[lat, lon], …]; empty without geometry")
    debts: list[DebtOut] = Field(description="the property's open bills today, whoever the payer")


class BillOut(Schema):
    bill_id: str
    kind: str
    year: int = Field(description="Jalali year")
    instalment_no: int
    status: str = Field(description="open, paid, superseded, in_instalments or cancelled")
    subject_code: str
    gross: int
    due_date: dt.date
    due_date_jalali: str
    amount_due: int | None = Field(description="open bills: what the bill asks for today (Rials)")
    payment_id: str | None = Field(description="open bills: the payment ID for today's amount")
    discount: int | None
    penalty: int | None
    paid_amount: int | None
    paid_at: dt.datetime | None
    superseded_by: str | None = Field(description="the bill ID that replaced this one")


class BillLineOut(Schema):
    label: str
    amount: int
    formula: str


class BillDetailOut(BillOut):
    lines: list[BillLineOut]


class PaymentStartOut(Schema):
    order_id: str
    amount: int
    status: str
    redirect_url: str | None = Field(description="send the payer's browser here (null: the bank refused)")
    redirect_method: str | None = Field(description="GET, or POST with `redirect_fields` as a form")
    redirect_fields: dict[str, str]
    result_url: str = Field(description="where the bank sends the payer back to")


class RequestOut(Schema):
    tracking_code: str
    type: str
    type_label: str
    status: str
    status_label: str
    waiting_on: str = Field(description="staff, citizen or nobody")
    subject_ref: str
    created_at: dt.datetime
    due_at: dt.datetime | None
    closed_at: dt.datetime | None


class TimelineOut(Schema):
    at: dt.datetime
    action: str
    label: str
    role: str
    status: str
    status_label: str
    comment: str
    by_citizen: bool


class RequestDetailOut(RequestOut):
    timeline: list[TimelineOut]


class DocumentOut(Schema):
    number: str
    type: str
    title: str
    status: str = Field(description="valid, revoked or superseded")
    issued_at: dt.datetime
    verification_url: str
    pdf_url: str = Field(description="the portal's download (a signed-in portal session)")


# --------------------------------------------------------------------------------------------------
# Pages (limit/offset)
# --------------------------------------------------------------------------------------------------


class _Page(Schema):
    count: int
    next: str | None
    previous: str | None


class PropertyPage(_Page):
    results: list[PropertyOut]


class BillPage(_Page):
    results: list[BillOut]


class RequestPage(_Page):
    results: list[RequestOut]


class DocumentPage(_Page):
    results: list[DocumentOut]


# --------------------------------------------------------------------------------------------------
# Institutions and the public
# --------------------------------------------------------------------------------------------------


class NotaryInquiryIn(Schema):
    renovation_code: Annotated[str, AfterValidator(printable)] = Field(
        min_length=1, max_length=80, examples=["1-1-100-3-1-2-0"]
    )
    inquiry_ref: Annotated[str, AfterValidator(printable)] = Field(
        default="", max_length=60, description="the notary's letter number"
    )
    inquiry_date: Annotated[str, AfterValidator(printable)] = Field(
        default="", max_length=20, description="the letter's Jalali date, e.g. 1405/09/12"
    )


class CertificateOut(Schema):
    number: str
    issued_at: dt.datetime
    verification_url: str


class NotaryAnswerOut(Schema):
    number: str = Field(description="the answer document's number")
    verification_url: str
    pdf_url: str = Field(description="download with the same API key")
    renovation_code: str
    clear: bool = Field(description="no open municipal debt today")
    debt_count: int
    debt_total: int
    debts: list[DebtOut]
    completion: CertificateOut | None
    no_violation: CertificateOut | None
    valid_until: str = Field(description="Jalali date")


class BankBillOut(Schema):
    bill_id: str
    status: str = Field(description="open, paid, superseded, in_instalments or cancelled")
    amount_due: int = Field(description="Rials payable today; 0 when nothing is payable")
    payment_id: str | None
    due_date: dt.date
    year: int
    superseded_by: str | None


class FactOut(Schema):
    key: str
    label: str
    value: str
    items: list[str]
    withheld: str = Field(description='"" or "personal" (shown only to whoever holds the paper\'s QR code)')


class VerificationOut(Schema):
    number: str
    state: str = Field(description="valid, revoked, superseded or unknown")
    type: str | None
    title: str | None
    issued_at: dt.datetime | None
    city: str | None
    district: str | None
    revoked_at: dt.datetime | None
    replaced_by: str | None
    facts: list[FactOut]
