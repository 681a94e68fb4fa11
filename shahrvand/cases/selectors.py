"""Reads of cases: a requester's own cases, the staff queue, one case file, its timeline and files.

Citizens reach cases only through the requester (``cases_for_person``, ``case_for_requester``):
a tracking code alone never opens someone else's case. Staff reach cases only in the districts
where they may handle them (``districts_for``/``require`` with ``Action.CASE_HANDLE``); opening a
case file or one of its attachments is recorded in the audit trail.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Final, Literal

from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from shahrvand.audit.services import audit_record
from shahrvand.cases.errors import CaseError
from shahrvand.cases.models import Attachment, Case, CaseEvent, Holiday
from shahrvand.cases.sla import WorkingCalendar, working_days_between
from shahrvand.cases.tracking import normalize_tracking_code
from shahrvand.cases.workflows import CITIZEN, WORKFLOWS, Transition, workflow_for
from shahrvand.core.access import AccessDenied, Action, districts_for, may, require, roles_for, roles_of
from shahrvand.core.identifiers import IdentifierError, RenovationCode, parse_national_code
from shahrvand.core.jalali import parse_jalali_date
from shahrvand.core.models import City, District, RoleGrant, User
from shahrvand.core.text import to_latin_digits
from shahrvand.registry.models import Person

QUEUE_LIMIT: Final = 500


# --------------------------------------------------------------------------------------------------
# The requester's view
# --------------------------------------------------------------------------------------------------


def cases_for_person(person: Person) -> QuerySet[Case]:
    """Every case ``person`` is the requester of, newest first."""
    return Case.objects.filter(requester=person).select_related("district__city").order_by("-created_at", "-pk")


def case_for_requester(person: Person, tracking_code: str) -> Case | None:
    """The case with this tracking code (any digits, any separators) if ``person`` is its requester."""
    code = normalize_tracking_code(tracking_code)
    if code is None:
        return None
    return cases_for_person(person).filter(tracking_code=code).first()


def attachment_for_requester(person: Person, tracking_code: str, attachment_id: int) -> Attachment | None:
    case = case_for_requester(person, tracking_code)
    if case is None:
        return None
    return case.attachments.filter(pk=attachment_id).first()


def case_timeline(case: Case) -> list[CaseEvent]:
    """The case's events in order, with the staff member of each (the citizen portal shows roles, not names)."""
    return list(case.events.select_related("actor").order_by("at", "pk"))


def case_attachments(case: Case) -> list[Attachment]:
    return list(case.attachments.order_by("created_at", "pk"))


# --------------------------------------------------------------------------------------------------
# Staff
# --------------------------------------------------------------------------------------------------


def case_districts(*, actor: User) -> QuerySet[District]:
    """The districts whose cases the actor may handle."""
    return districts_for(actor, Action.CASE_HANDLE).order_by("city__name", "number")


def require_case_handler(actor: User) -> None:
    """``AccessDenied`` (audited, 403) unless the actor handles cases somewhere."""
    if not case_districts(actor=actor).exists():
        raise AccessDenied(actor=actor, action=Action.CASE_HANDLE, district=None)


def staff_queue(
    actor: User,
    district: District | None = None,
    status: str | None = None,
    *,
    case_type: str | None = None,
    open_only: bool = True,
    assigned_to: User | None = None,
    unassigned: bool = False,
    overdue_at: dt.datetime | None = None,
    waiting_for_actor: bool = False,
    requester_national_code: str | None = None,
    subject: RenovationCode | None = None,
) -> QuerySet[Case]:
    """Cases of the districts where ``actor`` handles cases, soonest deadline first.

    A ``district`` the actor has no right in raises ``AccessDenied``. ``overdue_at``: only cases
    whose current step was due before that moment. ``waiting_for_actor``: only cases whose current
    status has a move that a role the actor holds in the case's district may make
    (:func:`waiting_for_roles`). ``requester_national_code``: the requester's (canonical) national
    code; ``subject``: cases about this renovation code or anything under it.
    """
    allowed = districts_for(actor, Action.CASE_HANDLE)
    if district is not None:
        require(actor, Action.CASE_HANDLE, district)
        allowed = allowed.filter(pk=district.pk)
    cases = Case.objects.filter(district__in=allowed)
    if status:
        cases = cases.filter(status=status)
    if case_type:
        cases = cases.filter(case_type=case_type)
    if open_only:
        cases = cases.filter(closed_at__isnull=True)
    if assigned_to is not None:
        cases = cases.filter(assigned_to=assigned_to)
    if unassigned:
        cases = cases.filter(assigned_to__isnull=True)
    if overdue_at is not None:
        cases = cases.filter(due_at__lt=overdue_at)
    if waiting_for_actor:
        cases = cases.filter(waiting_for_roles(actor))
    if requester_national_code:
        cases = cases.filter(requester__national_code=requester_national_code)
    if subject is not None:
        cases = cases.filter(subject_matches(subject))
    return cases.select_related("district__city", "requester", "assigned_to").order_by(
        F("due_at").asc(nulls_last=True), "created_at", "pk"
    )


@dataclass(frozen=True)
class QueueRow:
    case: Case
    days_left: int | None  # working days left in the current step; negative: overdue by that many
    overdue: bool
    waiting_on: str  # "staff", "citizen" or "nobody"

    @property
    def overdue_days(self) -> int:
        return -self.days_left if self.days_left is not None and self.days_left < 0 else 0


def queue_rows(cases: list[Case], *, now: dt.datetime | None = None) -> list[QueueRow]:
    """The SLA left of each case, in working days (one holiday calendar per city)."""
    now = now or timezone.now()
    calendars: dict[int, WorkingCalendar] = {}
    rows = []
    for case in cases:
        left: int | None = None
        if case.due_at is not None and case.is_open:
            calendar = calendars.setdefault(case.city_id, WorkingCalendar(case.district.city))
            left = working_days_between(now, case.due_at, case.district.city, calendar=calendar)
        overdue = case.due_at is not None and case.is_open and case.due_at < now
        rows.append(QueueRow(case, left, overdue, workflow_for(case.case_type).waiting_on(case.status)))
    return rows


# --------------------------------------------------------------------------------------------------
# Work queues: waiting for my role, search by identifier, counts
# --------------------------------------------------------------------------------------------------


def roles_by_district(actor: User) -> dict[int, frozenset[str]]:
    """The staff roles the actor holds in each district where they handle cases (two queries)."""
    districts = list(districts_for(actor, Action.CASE_HANDLE).values_list("pk", "city_id"))
    grants = list(
        RoleGrant.objects.filter(user=actor, revoked_at__isnull=True).values_list("role", "district_id", "city_id")
    )
    held: dict[int, set[str]] = defaultdict(set)
    for district_id, city_id in districts:
        for role, grant_district, grant_city in grants:
            if grant_district == district_id or (grant_district is None and grant_city == city_id):
                held[district_id].add(role)
    return {d: frozenset(roles) for d, roles in held.items()}


def statuses_movable_by(roles: frozenset[str]) -> dict[str, list[str]]:
    """Per request type (every registered one), the statuses from which one of ``roles`` may make a move."""
    staff_roles = roles - {CITIZEN}
    movable: dict[str, list[str]] = {}
    for code, workflow in WORKFLOWS.items():
        statuses = sorted(
            status for status in workflow.statuses if any(t.roles & staff_roles for _, t in workflow.moves_from(status))
        )
        if statuses:
            movable[code] = statuses
    return movable


def waiting_for_roles(actor: User) -> Q:
    """Open cases whose current status has a move a role the actor holds in that district may make.

    Built from the workflow tables (``moves_from``), so a type another package registers counts too;
    districts with the same roles share one condition. Matches nothing when the actor holds none.
    """
    by_roles: dict[frozenset[str], list[int]] = defaultdict(list)
    for district_id, roles in roles_by_district(actor).items():
        by_roles[roles].append(district_id)
    condition = Q(pk__in=[])
    for roles, district_ids in by_roles.items():
        per_type = Q(pk__in=[])
        for case_type, statuses in statuses_movable_by(roles).items():
            per_type |= Q(case_type=case_type, status__in=statuses)
        condition |= Q(district_id__in=sorted(district_ids)) & per_type
    return condition & Q(closed_at__isnull=True)


def subject_matches(code: RenovationCode) -> Q:
    """Cases about the property ``code`` or about a building or unit under it (``Case.subject_ref``)."""
    canonical = str(code)
    parts = [str(p) for p in code.parts]
    prefix = "-".join(parts[:5] if code.building else parts[:4]) + "-"
    if code.apartment or code.shop:
        return Q(subject_ref=canonical)
    return Q(subject_ref=canonical) | Q(subject_ref__startswith=prefix)


@dataclass(frozen=True)
class QueueSearch:
    """What the queue's search box held: a tracking code, a national code or a renovation code (canonical)."""

    kind: Literal["tracking_code", "national_code", "renovation_code"]
    value: str
    renovation: RenovationCode | None = None


_NOT_A_CODE_EN: Final = (
    "this is not a tracking code (217-NNNNNNNN-C), a national code (10 digits) "
    "or a renovation code (7 parts such as 1-25-156-15-0-0-0)"
)
_NOT_A_CODE_FA: Final = (
    "این نه کد رهگیری (۲۱۷-NNNNNNNN-C) است، نه کد ملی (۱۰ رقم) و نه کد نوسازی (۷ بخش مانند ۱-۲۵-۱۵۶-۱۵-۰-۰-۰)"
)


def _identifier_error(exc: IdentifierError) -> CaseError:
    return CaseError(f"queue.search.{exc.code}", exc.message_en, exc.message_fa)


def queue_search(text: str) -> QueueSearch:
    """Recognise what was typed in the queue's search box; ``CaseError`` with a specific message otherwise.

    Persian and Arabic digits are accepted everywhere. 12 digits with a valid check digit: a tracking
    code; 8 to 10 digits alone: a national code (its check digit must be right); 7 numeric parts: a
    renovation code (its rules must hold). Anything else says what the box accepts.
    """
    raw = to_latin_digits(text or "").strip()
    tracking = normalize_tracking_code(raw)
    if tracking is not None:
        return QueueSearch("tracking_code", tracking)
    compact = "".join(raw.split()).replace("-", "")
    numeric_parts = [p for p in "".join(c if c.isascii() and c.isdigit() else " " for c in raw).split() if p]
    if compact.isascii() and compact.isdigit() and len(numeric_parts) == 1 and 8 <= len(compact) <= 10:
        try:
            return QueueSearch("national_code", parse_national_code(compact))
        except IdentifierError as exc:
            raise _identifier_error(exc) from None
    if len(numeric_parts) == 7:
        try:
            code = RenovationCode.parse(raw)
        except IdentifierError as exc:
            raise _identifier_error(exc) from None
        return QueueSearch("renovation_code", str(code), code)
    if compact.isascii() and compact.isdigit() and len(compact) == 12:
        raise CaseError(
            "queue.search.tracking_checksum",
            "tracking code: the check digit (the last digit) does not match; check the digits",
            "کد رهگیری: رقم کنترل (رقم آخر) درست نیست؛ رقم‌ها را بررسی کنید",
        )
    raise CaseError("queue.search.unknown", _NOT_A_CODE_EN, _NOT_A_CODE_FA)


@dataclass(frozen=True)
class QueueCounts:
    open: int
    mine: int
    unassigned: int
    overdue: int
    waiting: int


def queue_counts(actor: User, *, now: dt.datetime | None = None) -> QueueCounts:
    """The sizes of the actor's queues in one aggregate query (plus the two that read their roles)."""
    now = now or timezone.now()
    row = (
        Case.objects.filter(district__in=districts_for(actor, Action.CASE_HANDLE), closed_at__isnull=True)
        .order_by()
        .aggregate(
            open=Count("pk"),
            mine=Count("pk", filter=Q(assigned_to=actor)),
            unassigned=Count("pk", filter=Q(assigned_to__isnull=True)),
            overdue=Count("pk", filter=Q(due_at__lt=now)),
            waiting=Count("pk", filter=waiting_for_roles(actor)),
        )
    )
    return QueueCounts(**{k: int(v or 0) for k, v in row.items()})


def may_manage_queue(*, actor: User) -> bool:
    """True when the actor may give requests to others somewhere (``QUEUE_MANAGE``)."""
    return districts_for(actor, Action.QUEUE_MANAGE).exists()


def queue_search_record(*, actor: User, search: QueueSearch, found: int) -> None:
    """A search of the queue by a requester's national code is a look at personal data: it goes in the audit trail."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="case.search",
            payload={"kind": search.kind, "national_code": search.value, "found": found},
        )


def bulk_assignable_staff(*, actor: User) -> list[User]:
    """Staff who may handle cases in a district where the actor manages the queue (the bulk assignment list)."""
    managed = districts_for(actor, Action.QUEUE_MANAGE)
    grants = Q(role_grants__revoked_at__isnull=True, role_grants__role__in=roles_for(Action.CASE_HANDLE)) & (
        Q(role_grants__district__in=managed)
        | Q(role_grants__district__isnull=True, role_grants__city__in=managed.values("city"))
    )
    return list(
        User.objects.filter(grants, is_active=True).distinct().order_by("last_name", "first_name", "username")[:500]
    )


def case_get_for_staff(*, actor: User, tracking_code: str, record_view: bool = True) -> Case:
    """One case file for staff: 404 when there is no such code, ``AccessDenied`` outside the actor's districts.

    Opening it is recorded in the audit trail (it holds the requester's personal data and documents).
    """
    code = normalize_tracking_code(tracking_code)
    case = (
        Case.objects.select_related("district__city", "city", "requester", "filed_by", "assigned_to")
        .filter(tracking_code=code)
        .first()
        if code
        else None
    )
    if case is None:
        raise Http404("no such request")
    require(actor, Action.CASE_HANDLE, case.district)
    if record_view:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="case.read",
                target=case,
                district=case.district,
                payload={"tracking_code": case.tracking_code},
            )
    return case


def attachment_for_staff(*, actor: User, case: Case, attachment_id: int) -> Attachment:
    """One attachment of a case the actor may handle; its reading is recorded in the audit trail."""
    require(actor, Action.CASE_HANDLE, case.district)
    attachment = case.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("no such attachment")
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="case.attachment_read",
            target=attachment,
            district=case.district,
            payload={"tracking_code": case.tracking_code, "sha256": attachment.sha256},
        )
    return attachment


@dataclass(frozen=True)
class AllowedMove:
    action: str
    transition: Transition
    roles: list[str]  # the actor's roles that may make it (the form asks which one when there are several)


def staff_moves(*, actor: User, case: Case) -> list[AllowedMove]:
    """The moves of the case's table that this staff member may make now (nothing for a case they may not touch)."""
    if not case.is_open or not may(actor, Action.CASE_HANDLE, case.district):
        return []
    if (
        case.assigned_to_id is not None
        and case.assigned_to_id != actor.pk
        and not may(actor, Action.QUEUE_MANAGE, case.district)
    ):
        return []
    held = set(roles_of(actor, case.district))
    moves = []
    for action, transition in workflow_for(case.case_type).moves_from(case.status):
        roles = sorted((transition.roles - {CITIZEN}) & held)
        if roles:
            moves.append(AllowedMove(action, transition, roles))
    return moves


def requester_moves(case: Case) -> list[tuple[str, Transition]]:
    """The moves the requester may make now (for the citizen portal)."""
    if not case.is_open:
        return []
    return [(a, t) for a, t in workflow_for(case.case_type).moves_from(case.status) if CITIZEN in t.roles]


def assignable_staff(*, case: Case) -> list[User]:
    """Staff who may handle cases in the case's district (for the manager's assignment list)."""
    grants = Q(role_grants__revoked_at__isnull=True, role_grants__role__in=roles_for(Action.CASE_HANDLE)) & (
        Q(role_grants__district=case.district) | Q(role_grants__district__isnull=True, role_grants__city=case.city_id)
    )
    return list(User.objects.filter(grants, is_active=True).distinct().order_by("last_name", "first_name", "username"))


# --------------------------------------------------------------------------------------------------
# Transparency
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitsSaved:
    closed: int  # requests finished
    without_visit: int  # of which the requester never had to come to the municipality


def visits_saved(
    *, city: City | None = None, district: District | None = None, since: dt.datetime | None = None
) -> VisitsSaved:
    """How many finished requests needed no visit (public numbers: counts only, no personal data)."""
    cases = Case.objects.filter(closed_at__isnull=False)
    if city is not None:
        cases = cases.filter(city=city)
    if district is not None:
        cases = cases.filter(district=district)
    if since is not None:
        cases = cases.filter(closed_at__gte=since)
    return VisitsSaved(closed=cases.count(), without_visit=cases.filter(needed_visit=False).count())


# --------------------------------------------------------------------------------------------------
# Holidays
# --------------------------------------------------------------------------------------------------


def may_edit_holidays(actor: User, city: City) -> bool:
    """Holidays are the city's: editing them needs ``QUEUE_MANAGE`` in every district of the city."""
    districts = set(city.districts.values_list("pk", flat=True))
    managed = set(districts_for(actor, Action.QUEUE_MANAGE).filter(city=city).values_list("pk", flat=True))
    return bool(districts) and districts <= managed


def holiday_city(*, actor: User) -> City:
    """The city whose holidays the actor may edit; ``AccessDenied`` (audited, 403) when there is none."""
    cities = {d.city_id: d.city for d in districts_for(actor, Action.QUEUE_MANAGE)}
    for city in sorted(cities.values(), key=lambda c: c.name):
        if may_edit_holidays(actor, city):
            return city
    raise AccessDenied(actor=actor, action=Action.QUEUE_MANAGE, district=None)


def city_districts(*, city: City) -> list[District]:
    return list(city.districts.select_related("city").order_by("number"))


def holidays_of_year(*, city: City, year: int) -> list[Holiday]:
    """The city's holidays in the Jalali ``year``."""
    first = parse_jalali_date(f"{year}/01/01")
    last = parse_jalali_date(f"{year + 1}/01/01") - dt.timedelta(days=1)
    return list(Holiday.objects.filter(city=city, date__gte=first, date__lte=last).order_by("date"))


def holiday_get(*, city: City, holiday_id: int) -> Holiday:
    holiday = Holiday.objects.filter(city=city, pk=holiday_id).first()
    if holiday is None:
        raise Http404("no such holiday")
    return holiday


def case_types() -> list[tuple[str, str]]:
    return [(code, str(w.label)) for code, w in WORKFLOWS.items()]
