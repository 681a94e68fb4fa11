"""The demo citizen: enrolled at the counter and activated through the same services as a real one.

``seed_demo`` calls :func:`demo_citizen_create` after the audit import and the demo staff, and
``make run`` prints the account. The password exists only here, in the demo data.
"""

from __future__ import annotations

import re
from typing import Final

from django.db.models import Count, Q

from shahrvand.citizens import selectors, services
from shahrvand.citizens.models import Citizen
from shahrvand.citizens.services import LinkDecision
from shahrvand.core.identifiers import IdentifierError, parse_mobile
from shahrvand.core.models import District, Role, RoleGrant, User
from shahrvand.identity.matching import MatchStatus, mobile_matches
from shahrvand.registry.models import Business, Ownership, Person
from shahrvand.sms.models import OutboxMessage

DEMO_CITIZEN_PASSWORD: Final = "demo-citizen-1405"  # noqa: S105 - the demo data's published password
_SIX_DIGITS: Final = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def _demo_clerk(district: District) -> User:
    grant = (
        RoleGrant.objects.filter(role=Role.CLERK, district=district, revoked_at__isnull=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if grant is None:
        raise ValueError(f"no counter clerk in {district.slug}: create the demo staff first")
    return grant.user


def _demo_person(district: District) -> Person:
    """The person with the most current properties in the district (then businesses), not yet enrolled."""
    current = Q(ownerships__missing_since__isnull=True, ownerships__district=district)
    person = (
        Person.objects.filter(citizen__isnull=True)
        .annotate(
            holdings=Count("ownerships", filter=current, distinct=True),
            shops=Count("businesses", filter=Q(businesses__district=district), distinct=True),
        )
        .filter(holdings__gt=0)
        .order_by("-holdings", "-shops", "national_code")
        .first()
    )
    if person is None:
        raise ValueError(f"the registry of {district.slug} has no owner to enroll: import an audit delivery first")
    return person


def _demo_mobile(person: Person) -> str:
    """The audit's mobile when it is usable (well-formed, free, matching), else one made from the national code."""
    candidates = [person.mobile, f"0915{person.national_code[-7:]}", f"0936{person.national_code[-7:]}"]
    for candidate in candidates:
        try:
            number = parse_mobile(candidate)
        except IdentifierError:
            continue
        if Citizen.objects.filter(mobile=number).exists():
            continue
        if mobile_matches(person.national_code, number).status == MatchStatus.MATCH:
            return number
    raise ValueError("no usable mobile number for the demo citizen")


def _last_code(mobile: str) -> str:
    message = OutboxMessage.objects.filter(to=mobile, purpose="otp:activation").order_by("-created_at", "-pk").first()
    found = _SIX_DIGITS.search(message.text) if message is not None else None
    if found is None:
        raise ValueError("the activation code did not reach the outbox")
    return found.group(1)


def demo_citizen_create(district: District) -> tuple[Citizen, str]:
    """Enroll and activate the demo citizen of ``district``; returns the citizen and their password.

    Runs again harmlessly: a district that already has an activated demo citizen (enrolled by its
    demo clerk) returns that one.
    """
    clerk = _demo_clerk(district)
    existing = (
        Citizen.objects.filter(district=district, enrolled_by=clerk, activated_at__isnull=False)
        .select_related("person", "user")
        .order_by("pk")
        .first()
    )
    if existing is not None:
        return existing, DEMO_CITIZEN_PASSWORD
    person = _demo_person(district)
    decisions = [
        LinkDecision(kind="property", code=o.property_code, status="confirmed")
        for o in Ownership.objects.filter(person=person, district=district, missing_since__isnull=True)
    ] + [
        LinkDecision(kind="business", code=b.business_code, status="confirmed")
        for b in Business.objects.filter(operator=person, district=district, missing_since__isnull=True)
    ]
    result = services.citizen_enroll(
        actor=clerk,
        district=district,
        national_code=person.national_code,
        id_document_type="national_card",
        id_document_number=person.national_code,
        mobile=_demo_mobile(person),
        confirmations=decisions,
    )
    citizen = services.citizen_activation_start(
        citizen_code=result.citizen.citizen_code, activation_code=result.activation_code_plain
    )
    citizen = services.citizen_activate(
        citizen_code=citizen.citizen_code,
        activation_code=result.activation_code_plain,
        otp_code=_last_code(citizen.mobile),
        password=DEMO_CITIZEN_PASSWORD,
    )
    return selectors.citizen_by_code(citizen.citizen_code) or citizen, DEMO_CITIZEN_PASSWORD
