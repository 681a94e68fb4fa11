"""Reads of the API: who a token or key is, a property's certificates, a bill as a bank sees it.

The citizen's own records are read through :mod:`shahrvand.citizens.selectors` (which starts from
the signed-in citizen), bills' amounts through :mod:`shahrvand.revenue.selectors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from django.db.models import Q
from django.utils import timezone

from shahrvand.api.credentials import KEY_PREFIX, MAX_SECRET_LENGTH, TOKEN_PREFIX, secret_hash
from shahrvand.api.models import CitizenToken, InstitutionKey, NotaryInquiry
from shahrvand.core.identifiers import RenovationCode, validate_bill_id
from shahrvand.core.models import City, District
from shahrvand.core.text import to_latin_digits
from shahrvand.documents.models import Document
from shahrvand.documents.numbering import normalize_number
from shahrvand.revenue import selectors as revenue_selectors
from shahrvand.revenue.models import Bill

#: The certificate types a notary asks about, as :mod:`shahrvand.documents.types` names them.
COMPLETION: Final = "completion"
NO_VIOLATION: Final = "no_violation"


def token_for(secret: str) -> CitizenToken | None:
    """The live token with this text (not revoked, not expired, its citizen still active), or None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > MAX_SECRET_LENGTH:
        return None
    token = (
        CitizenToken.objects.select_related("citizen__person", "citizen__user", "citizen__district__city")
        .filter(token_hash=secret_hash(secret), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if token is None or token.citizen.activated_at is None or not token.citizen.user.is_active:
        return None
    return token


def key_for(secret: str) -> InstitutionKey | None:
    """The live institution key with this text, or None."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > MAX_SECRET_LENGTH:
        return None
    return (
        InstitutionKey.objects.select_related("city")
        .filter(key_hash=secret_hash(secret), revoked_at__isnull=True)
        .first()
    )


def district_of(city: City, code: RenovationCode) -> District | None:
    """The district of ``city`` a renovation code belongs to (its first part is the district number)."""
    return District.objects.select_related("city").filter(city=city, number=code.district).first()


@dataclass(frozen=True)
class Certificates:
    completion: Document | None
    no_violation: Document | None


def property_certificates(district: District, code: RenovationCode) -> Certificates:
    """The newest valid completion and no-violation certificates that cover ``code``.

    A certificate covers the property it names and everything in it: one issued for the parcel or
    for the building counts for an apartment in it. A document names its property by the certified
    field ``renovation_code`` (every property document has it) or by ``subject_ref``.
    """
    codes: list[str] = []
    node: RenovationCode | None = code
    while node is not None:
        codes.append(str(node))
        node = node.parent
    found = (
        Document.objects.filter(
            Q(fields__renovation_code__in=codes) | Q(subject_ref__in=codes),
            district=district,
            doc_type__in=(COMPLETION, NO_VIOLATION),
            status=Document.Status.VALID,
        )
        .defer("pdf", "payload")
        .order_by("-issued_at", "-pk")
    )
    newest: dict[str, Document] = {}
    for document in found:
        newest.setdefault(document.doc_type, document)
    return Certificates(completion=newest.get(COMPLETION), no_violation=newest.get(NO_VIOLATION))


def bill_for_bank(city: City, bill_id: str) -> revenue_selectors.BillView | None:
    """A bill of ``city`` by bill ID with what it asks for today; None when unknown.

    Raises :class:`~shahrvand.core.identifiers.IdentifierError` when the bill ID is malformed (its
    length or its check digit).
    """
    canonical = validate_bill_id(to_latin_digits(bill_id).strip())
    bill = Bill.objects.select_related("district").filter(city=city, bill_id=canonical).first()
    return revenue_selectors.bill_view(bill) if bill is not None else None


def notary_document(key: InstitutionKey, number: str) -> Document | None:
    """An answer document issued to this key (with its PDF), by number; None for any other document."""
    canonical = normalize_number(number)
    if canonical is None:
        return None
    inquiry = NotaryInquiry.objects.select_related("document").filter(key=key, document__number=canonical).first()
    return inquiry.document if inquiry is not None else None
